"""Shipping what passed: the images' digests and archives as the checks saw them, their evidence (SBOMs,
provenance, the report), and publishing (publish_passed; merge for a per-platform CI fan-out).
Nothing here builds or checks an image: orchestrate.py does, and hands over Built images."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import dagger
from dagger import dag

from . import catalog, provenance, publish, recipe, registry_tools, report, sbom, signing, stages
from .checks import record
from .checks.result import ImageResult
from .errors import UsageError
from .limits import DEFAULTS
from .log import progress


ARCHIVES = {
    "combined": "one archive of all passed images, each layer stored once (jupyter-spark-images.tar)",
    "per-image": "one archive per passed image (NAME.tar)",
    "both": "the combined archive and one per image",
    "none": "no archive, the report only (its digests are what `publish` ships)",
}


COMBINED = "jupyter-spark-images.tar"


def archives_kind(value: str) -> str:
    """--archives checked, before any work: one of ARCHIVES, or one clear error."""
    if value not in ARCHIVES:
        raise UsageError(f"--archives {value!r}: valid: {', '.join(ARCHIVES)}")
    return value


@dataclass
class Built:
    """One platform of one image, built and checked (result.platform says which)."""

    image: catalog.Image
    container: dagger.Container
    result: ImageResult


def shipped(built: list[Built]) -> list[list[Built]]:
    """The images that ship, each as its built platforms: only images whose every platform passed."""
    by_name: dict[str, list[Built]] = {}
    for b in built:
        by_name.setdefault(b.image.name, []).append(b)
    return [group for group in by_name.values() if all(b.result.passed for b in group)]


async def ship(built: list[Built], opts: recipe.BuildOptions, limits: dict[str, float] = DEFAULTS) -> list[list[Built]]:
    """shipped(built), with the index of each multi-platform image recorded in its results: the
    engine's multi-platform archive of the checked containers, whose manifests must be the checked ones
    (each within limits["ship"])."""
    groups = shipped(built)
    for group in groups:
        if len(group) > 1:
            with anyio.fail_after(limits["ship"]):
                index = await manifest_digest(group, opts, verify=True)
            for b in group:
                b.result.index = index
    return groups


def reports(results: list[ImageResult]) -> dagger.Directory:
    directory = dag.directory()
    for name, text in report.render_all(results).items():
        directory = directory.with_new_file(name, text)
    return directory


def tarball(group: list[Built] | dagger.Container, opts: recipe.BuildOptions) -> dagger.File:
    return publish.tarball([b.container for b in group] if isinstance(group, list) else [group], opts)


def checked_platforms(group: list[Built]) -> dict[str, str]:
    return {b.result.platform: str(b.result.digest) for b in group}


def tools(opts: recipe.BuildOptions) -> dagger.Container:
    """A container on the engine's own platform with python3 (the build stages' tools): where work on
    images' archives runs natively, whatever platform the images are."""
    return recipe.built_stage(stages.TOOLS, opts, None)


def _archive_tool(opts: recipe.BuildOptions) -> dagger.Container:
    """The tools container, as root, with the archive tool."""
    return publish.archive_tool(tools(opts), opts)


async def layer_digests(ctr: dagger.Container, opts: recipe.BuildOptions) -> list[str]:
    """One platform's layer digests, base first, as its archive (and a registry) carries them."""
    tool = _archive_tool(opts).with_mounted_file(publish.ARCHIVE, tarball(ctr, opts))
    return json.loads(await tool.with_exec(["python3", publish.ARCHIVE_TOOL, "layers", publish.ARCHIVE]).stdout())


async def manifest_digest(
    image: list[Built] | dagger.Container, opts: recipe.BuildOptions, verify: bool = False
) -> str:
    """The image's manifest (or multi-platform index) digest, as its archives and registries will
    carry it. verify: the index must list exactly the checked platforms' manifests (else NotChecked)."""
    tool = _archive_tool(opts).with_mounted_file(publish.ARCHIVE, tarball(image, opts))
    run = ["python3", publish.ARCHIVE_TOOL]
    digest = (await tool.with_exec([*run, "digest", publish.ARCHIVE]).stdout()).strip()
    if verify and isinstance(image, list):
        held = json.loads(await tool.with_exec([*run, "platforms", publish.ARCHIVE]).stdout())
        if held != checked_platforms(image):
            raise publish.NotChecked(
                f"{image[0].image.name}: the index lists {held}, not the checked {checked_platforms(image)}"
            )
    return digest


def image_tags(name: str, revision: str) -> list[str]:
    """The names an archive gives an image: NAME:latest and NAME:<revision>."""
    return [f"{name}:latest", f"{name}:{revision}"]


def _archive_inputs(groups: list[list[Built]], opts: recipe.BuildOptions) -> tuple[dagger.Container, dict[str, dict]]:
    """The archive tool with each image's archive mounted; the plan entry of each image, by name."""
    tool, entries = _archive_tool(opts), {}
    for group in groups:
        name = group[0].image.name
        tool = tool.with_mounted_file(f"/archive/in/{name}.tar", tarball(group, opts))
        entries[name] = {
            "archive": f"/archive/in/{name}.tar",
            "platforms": checked_platforms(group),
            "tags": image_tags(name, opts.revision),
        }
    return tool, entries


def _write(target: str, plan: list[dict]) -> list[str]:
    return ["python3", publish.ARCHIVE_TOOL, "write", target, json.dumps(plan)]


def archive(groups: list[list[Built]], opts: recipe.BuildOptions) -> dagger.File:
    """Checked images in one archive that loads each as NAME:latest and NAME:<revision>, each
    layer stored once, several platforms of an image as one multi-platform image. The images
    (indexes, manifests, configs, layers) are the checked ones, byte for byte: only the names are added."""
    tool, entries = _archive_inputs(groups, opts)
    return tool.with_exec(_write("/archive/out.tar", list(entries.values()))).file("/archive/out.tar")


def sboms(groups: list[list[Built]], opts: recipe.BuildOptions) -> dagger.Directory:
    """NAME.ARCH.cdx.json: the SBOM of each platform of each image (sbom.py), from its checked archive."""
    directory = dag.directory()
    for group in groups:
        for b in group:
            directory = directory.with_file(
                f"{b.image.name}.{catalog.arch(b.result.platform)}.cdx.json", sbom_of(b, opts)
            )
    return directory


def sbom_of(b: Built, opts: recipe.BuildOptions) -> dagger.File:
    """The SBOM of one platform of an image (sbom.py), from its checked archive."""
    return sbom.document(tools(opts), b.container, tarball(b.container, opts), b.image.name, str(b.result.digest), opts)


def evidence(group: list[Built], made: provenance.MadeBy, opts: recipe.BuildOptions) -> dagger.Directory:
    """What publish's signing step attests for one image (signing.py): the predicates of its provenance
    (provenance.json) and of its check record (checks.json), and each platform's SBOM (sbom.ARCH.json):
    the documents build-all writes, as predicates."""
    image, shipped, platforms = group[0].image, str(group[0].result.shipped), [b.result.platform for b in group]
    built_by = provenance.statement(image, shipped, platforms, made, opts)["predicate"]
    passed = record.statement([b.result for b in group])["predicate"]
    directory = dag.directory().with_new_file("provenance.json", json.dumps(built_by))
    directory = directory.with_new_file("checks.json", json.dumps(passed))
    for b in group:
        directory = directory.with_file(f"sbom.{catalog.arch(b.result.platform)}.json", sbom_of(b, opts))
    return directory


def provenances(groups: list[list[Built]], made: provenance.MadeBy, opts: recipe.BuildOptions) -> dagger.Directory:
    """NAME.intoto.json: the provenance of each image, as it ships (its manifest or index digest)."""
    directory = dag.directory()
    for group in groups:
        platforms = [b.result.platform for b in group]
        text = provenance.document(group[0].image, str(group[0].result.shipped), platforms, made, opts)
        directory = directory.with_new_file(f"{group[0].image.name}.intoto.json", text)
    return directory


def output(
    built: list[Built], opts: recipe.BuildOptions, archives: str = "combined", made: provenance.MadeBy | None = None
) -> dagger.Directory:
    """The main job's output: images/, the archives (as `archive` writes them; ARCHIVES says which)
    of the images that passed on every platform, their SBOMs in sbom/ (sboms), their provenance in
    provenance/ (where `made` says what made them: made_by), and reports/. The
    archive tool writes the archives into the output directory itself (a mount), so the engine keeps
    each archive once, not once more per copy into a directory; they do not depend on the report, so
    a run with nothing changed reuses them."""
    passed, images = shipped(built), dag.directory().with_new_directory("images", permissions=0o755)  # not 0644
    if passed and archives != "none":
        tool, entries = _archive_inputs(passed, opts)
        plans = {COMBINED: list(entries.values())} if archives in ("combined", "both") else {}
        if archives in ("per-image", "both"):
            plans |= {f"{name}.tar": [entry] for name, entry in entries.items()}
        tool = tool.with_mounted_directory("/out", images)
        for file, plan in plans.items():
            tool = tool.with_exec(_write(f"/out/images/{file}", plan))
        images = tool.directory("/out")
    images = images.with_directory("sbom", sboms(passed, opts))
    if made is not None:
        images = images.with_directory("provenance", provenances(passed, made, opts))
    return images.with_directory("reports", reports([b.result for b in built]))


@dataclass
class Published:
    pushed: list[str]  # each reference with its digest
    refused: list[str]  # images that did not pass their checks
    failed: list[str]  # pushes that did not happen, with the reason


async def publish_passed(
    built: list[Built],
    registry: str,
    username: str | None,
    password: dagger.Secret | None,
    rev: str,
    limits: dict[str, float] = DEFAULTS,
    opts: recipe.BuildOptions | None = None,
    signer: tuple[signing.Signer, provenance.MadeBy] | None = None,
    per_platform: bool = False,
) -> Published:
    """Push the images that passed on every platform. Fail-closed: first, before anything is pushed,
    every image is verified: what would be pushed has its checked digest, and its immutable tag is
    absent or holds that digest (a registry answer other than "not found" fails that image). Then each
    verified image on its own (a failed push is reported and the others go on), from its checked archive
    byte for byte (publish.push): the immutable tag first, :latest last, so a refused or failed image
    never moves :latest. A multi-platform image must have been through ship() (its index is what the
    registry must get). signer (its key, and what made the images): each image signed, with its evidence
    attested, once the registry has it and before any tag names it. Each image's steps within
    limits["push"]. per_platform: each platform that passed goes to its own tag only
    (publish.platform_reference, immutable too), for merge() to join: a per-platform CI job."""
    out, groups, opts = Published([], [], []), shipped(built), opts or recipe.BuildOptions()
    passed = {group[0].image.name for group in groups}
    for name in dict.fromkeys(b.image.name for b in built if b.image.name not in passed):
        progress(f"REFUSED {name}: it failed its checks")
        out.refused.append(name)
    if per_platform:  # each platform ships on its own: its manifest, not the index of its platforms
        groups = [[dataclasses.replace(b, result=dataclasses.replace(b.result, index=None))] for g in groups for b in g]
    base = publish.with_auth(dag.container(), registry, username, password)
    where = registry_tools.Registry(registry.partition("/")[0], username, password)
    verified = []
    for group in groups:
        image, checked = group[0].image, str(group[0].result.shipped)
        if per_platform:
            tags = [publish.platform_reference(registry, image, rev, group[0].result.platform)]
        else:
            tags = publish.references(registry, image, rev)[::-1]  # the immutable tag, then :latest
        with _push_failure(image.name, limits, out):
            now = await manifest_digest(group, opts)
            if now != checked:
                raise publish.NotChecked(f"{image.name} would push manifest {now}, not the checked {checked}")
            verified.append((group, tags, checked, await publish.verify(base, tags[0], checked)))
    for group, tags, checked, present in verified:
        sign = None
        if signer is not None:
            key, made = signer
            sign = functools.partial(key.sign, evidence=evidence(group, made, opts))
        with _push_failure(group[0].image.name, limits, out):
            archive = tarball(group, opts)
            await publish.push(where, opts, archive, tags, checked, present=present, pushed=out.pushed, sign=sign)
    return out


async def merge(
    images: list[catalog.Image],
    platforms: tuple[str, ...],
    registry: str,
    username: str | None,
    password: dagger.Secret | None,
    rev: str,
    limits: dict[str, float] = DEFAULTS,
    opts: recipe.BuildOptions | None = None,
) -> Published:
    """The last job of a per-platform CI fan-out: each image's platforms, as their jobs pushed them
    (publish_passed(per_platform=True): a platform's tag exists only where it passed), joined into the
    image's one multi-platform index under its immutable tag and :latest, only where every platform of
    the image (of `platforms`) is there; an image that lacks one gets no index and is named in `refused`.
    The index is written by crane in the registry (registry_tools.py), by reference: it lists exactly the
    manifests the platform jobs pushed (read back before any tag moves); the immutable tag first (never
    moved: if it holds an index, that index must list them), :latest last."""
    out, opts = Published([], [], []), opts or recipe.BuildOptions()
    base = publish.with_auth(dag.container(), registry, username, password)
    tools = registry_tools.Registry(registry.partition("/")[0], username, password)
    for image in images:
        with _push_failure(image.name, limits, out):
            wanted = [p for p in image.platforms if p in platforms]
            pushed = {
                p: await publish.digest_of(publish.platform_reference(registry, image, rev, p), base) for p in wanted
            }
            if missing := [p for p, digest in pushed.items() if digest is None]:
                tags = ", ".join(publish.platform_reference(registry, image, rev, p) for p in missing)
                progress(f"NOT MERGED {image.name}: no {tags} (that platform failed or its job did not push)")
                out.refused.append(f"{image.name} (missing {', '.join(missing)})")
                continue
            repo = publish.repository(publish.platform_reference(registry, image, rev, wanted[0]))
            latest, immutable = publish.references(registry, image, rev)
            index = await publish.digest_of(immutable, base)
            if index is None:  # the index, written by reference: the manifests as the platforms' jobs pushed them
                said = await tools.crane(opts, "index", "append", *[f"--manifest={repo}@{d}" for d in pushed.values()],
                                         f"--tag={immutable}")  # fmt: skip
                index = said.strip().rsplit("@", 1)[-1]
            listed = json.loads(await tools.crane(opts, "manifest", f"{repo}@{index}")).get("manifests", [])
            if sorted(m["digest"] for m in listed) != sorted(pushed.values()):
                lists = sorted(m["digest"] for m in listed)
                raise publish.TagMoved(f"{immutable} holds {index}, which lists {lists}, not the platforms' {pushed}")
            out.pushed.append(f"{immutable}@{index}")
            await tools.crane(opts, "tag", f"{repo}@{index}", latest.rsplit(":", 1)[1])
            out.pushed.append(f"{latest}@{index}")
            progress(f"merged {latest}@{index}: {', '.join(f'{p} {d}' for p, d in pushed.items())}")
    return out


@contextlib.contextmanager
def _push_failure(name: str, limits: dict[str, float], out: Published) -> Iterator[None]:
    """One image's publishing step within limits["push"]; what goes wrong is that image's failure, reported."""
    try:
        with anyio.fail_after(limits["push"]):
            yield
    except (
        dagger.DaggerError,
        TimeoutError,
        publish.TagMoved,
        publish.NotChecked,
        publish.ReadFailed,
        signing.NotSigned,
    ) as err:
        why = f"timed out after {limits['push']:.0f}s" if isinstance(err, TimeoutError) else str(err)
        progress(f"PUSH FAILED {name}: {why}")
        out.failed.append(f"{name}: {why.strip().splitlines()[0] if why.strip() else type(err).__name__}")
