"""Plain async orchestration behind the module's functions: build, check, export, publish."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagger
from dagger import dag

import anyio

from . import assembly, checks, dockerfiles, matrix, provenance, publish, recipe, report, sbom, stages
from .errors import UsageError
from .checks import jupyter as jupyter_check
from .checks import advisories as advisories_check
from .checks import updates as updates_check
from .checks.result import ImageResult, label
from .limits import CHECK_LIMITS, CURL, DEFAULTS, for_platform
from .log import progress, step_failure

# Images built at once, and checked at once: checks start JVMs and services that need the host's
# cores to themselves (on 2 cores, two images' checks side by side take longer than one after the other).
PARALLEL_BUILDS, PARALLEL_CHECKS = 2, 1
CHECK_CODE = "pipeline/checks"  # the checks and their probes: a result is reused only if these are unchanged
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

    image: matrix.Image
    container: dagger.Container
    result: ImageResult


def container(
    image: matrix.Image, opts: recipe.BuildOptions, platform: str, base: dagger.Container | None = None
) -> dagger.Container:
    """The image as built, checked and shipped: the recipe plus the source revision label."""
    return assembly.build(image, opts, platform, base).with_label(assembly.REVISION_LABEL, opts.revision)


def warn_of_forced_shim(image: matrix.Image) -> None:
    """Said once per image built (by its builders, not by container(): that also rebuilds what is shipped)."""
    if image.rapids_shim_override:
        progress(
            f"WARNING {image.name}: RAPIDS {image.line.rapids.version} has no shim for Spark "
            f"{image.spark.version}; forcing the {image.rapids_shim_override} shim (untested upstream)"
        )


@dataclass
class RunState:
    """What one build_and_check_all shares between its images."""

    opts: recipe.BuildOptions
    gpu: bool = False
    limits: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    previous: dict[tuple[str, str], ImageResult] = field(default_factory=dict)  # reusable, by (image, platform)
    # the platforms built, and the engine's own (None: build_and_check_all asks the engine, and builds that one)
    targets: matrix.Targets | None = None
    # Debian's archive as it is now, by native platform (archive_state, asked once): what the updates check
    # is held to
    archive: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    # each emulated line prover's result, by (Spark version, platform), as soon as it has one (line_proof)
    proofs: dict[tuple[str, str], asyncio.Future[ImageResult | None]] = field(default_factory=dict)
    building: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PARALLEL_BUILDS))
    checking: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PARALLEL_CHECKS))

    def emulated(self, platform: str) -> bool:
        return self.targets is not None and self.targets.emulated(platform)


async def engine_platform() -> str:
    """The engine's own platform, as the matrix names it: where builds and checks run natively."""
    return matrix.native(str(await dag.default_platform()))


async def build_and_check(image: matrix.Image, run: RunState, platform: str) -> Built:
    """One platform of an image built and checked. Whatever goes wrong, it gets a result: a failed
    build or an unexpected error is a failed "build" or "pipeline" entry in its report, never a lost run."""
    ctr = container(image, run.opts, platform)
    start, built = time.monotonic(), None
    try:
        built = await _build_and_check(image, ctr, run, platform)
    except Exception as err:  # noqa: BLE001 - reported as this image's failure
        progress(f"{label(image.name, platform, run.emulated(platform))}: FAILED ({type(err).__name__})")
        detail = f"{type(err).__name__}: {err}"[-3000:]
        failed = checks.CheckResult("pipeline", "failed", round(time.monotonic() - start, 1), detail)
        built = Built(image, ctr, ImageResult(image.name, [failed], platform, run.emulated(platform)))
    finally:  # the images that wait for this one's proof go on, whatever became of it
        proof = run.proofs.get((image.spark.version, platform)) if image.variant == LINE_PROVER else None
        if proof is not None and not proof.done():
            proof.set_result(built.result if built else None)
    return built


async def _build_and_check(image: matrix.Image, ctr: dagger.Container, run: RunState, platform: str) -> Built:
    emulated = run.emulated(platform)
    name, limit = label(image.name, platform, emulated), for_platform(run.limits, emulated)["build"]
    async with run.building:
        progress(f"{name}: building")
        start = time.monotonic()
        try:
            with anyio.fail_after(limit):
                await ctr.sync()
                digest = await manifest_digest(ctr, run.opts)
                layers = await layer_digests(ctr, run.opts)
        except (dagger.DaggerError, TimeoutError) as err:
            progress(f"{name}: build FAILED")
            why = f"timed out after {limit:.0f}s" if isinstance(err, TimeoutError) else str(err)[-3000:]
            if isinstance(err, dagger.ExecError):
                why = step_failure(err)
            progress(f"{name}: {why}")
            failed = checks.CheckResult("build", "failed", round(time.monotonic() - start, 1), why)
            return Built(image, ctr, ImageResult(image.name, [failed], platform, emulated))
        built_in = round(time.monotonic() - start, 1)
    with anyio.fail_after(run.limits["check-code"]):
        archive = "" if emulated else await archive_of(run, platform)
        code = await check_code(run.opts, run.gpu, held_to(image, platform, run.limits, emulated, archive))
    earlier = run.previous.get((image.name, platform))
    if earlier and earlier.passed and (earlier.digest, earlier.check_code) == (digest, code):
        progress(f"{name}: built in {built_in:.0f}s; unchanged since its checks at {earlier.checked_at}: reused")
        phases = {"build": built_in, "checks": 0.0}
        return Built(image, ctr, dataclasses.replace(earlier, reused=True, phases=phases, index=None))
    proof = await line_proof(image, platform, run, layers) if emulated else None
    async with run.checking:
        progress(f"{name}: built in {built_in:.0f}s ({digest}), checking")
        checked_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        start = time.monotonic()
        result = await checks.check_image(
            image,
            ctr,
            run.opts.probes(),
            gpu=run.gpu,
            limits=run.limits,
            platform=platform,
            emulated=emulated,
            tools=tools(run.opts),
            proof=proof,
        )
    result.digest, result.check_code, result.checked_at, result.layers = digest, code, checked_at, layers
    result.phases = {"build": built_in, "checks": round(time.monotonic() - start, 1)}
    verdict = "passed" if result.passed else "FAILED"
    progress(f"{name}: {verdict} ({result.phases['checks']:.0f}s of checks)")
    return Built(image, ctr, result)


# The image of each Spark line whose emulated checks prove JupyterLab and a local Spark session for the
# layers the line's other images share with it (their own layers added on top): checks.LineProof
LINE_PROVER = "baseline"


async def line_proof(image: matrix.Image, platform: str, run: RunState, layers: list[str]) -> checks.LineProof | None:
    """The proof an emulated image may stand on: its line prover's passed result on this platform (this
    run's, waited for, else an earlier run's held to the same checks), when this image's layers extend
    the prover's; None: the image proves it all itself."""
    if image.variant == LINE_PROVER:
        return None
    line_prover = matrix.Image(image.spark, LINE_PROVER)
    if (image.spark.version, platform) in run.proofs:
        prover = await run.proofs[(image.spark.version, platform)]
    elif (prover := run.previous.get((line_prover.name, platform))) is not None:
        with anyio.fail_after(run.limits["check-code"]):
            code = await check_code(run.opts, run.gpu, held_to(line_prover, platform, run.limits, True))
        prover = prover if prover.check_code == code else None
    if prover is None or not (prover.passed and prover.emulated and prover.layers):
        return None
    if layers[: len(prover.layers)] != prover.layers:
        return None
    return checks.LineProof(prover, layers[len(prover.layers) :])


def held_to(image: matrix.Image, platform: str, limits: dict[str, float], emulated: bool, archive: str = "") -> str:
    """What an image's checks hold it to beyond their code: its size budget, the kernels it must
    offer, the time each check gets (the facts it must show come from its labels, part of its digest),
    the advisories decided for its jars, and Debian's archive as the updates check asked it
    (archive_state)."""
    waits = for_platform(limits, emulated)
    return json.dumps(
        {
            "budget": matrix.budget_parts(image, platform),
            "kernels": jupyter_check.expected_kernels(image),
            "advisories": advisories_check.held_to(image),
            "limits": {name: waits[name] for name in sorted(CHECK_LIMITS)},
        }
        | ({"debian-archive": archive} if archive else {}),
        sort_keys=True,
    )


ARCHIVE_ASKED = 600  # seconds an answer of Debian's archive is reused for (archive_state)


async def archive_state(opts: recipe.BuildOptions, platform: str) -> str:
    """What Debian's archive holds for a platform now: each suite's package list digest (its InRelease's
    SHA-256 line for main/binary-ARCH/Packages.xz), asked natively, the engine's cached answer reused for
    ARCHIVE_ASKED seconds at most (the runner asks once per image). A new security update changes it, so
    every image's checks run again (the updates check then fails an image built before it); an archive
    that cannot be read says so, and the checks run again."""
    mirror, arch = opts.debian_mirror or recipe.DEBIAN, matrix.arch(platform)
    releases = [f"{mirror}/dists/{suite}/InRelease" for suite in updates_check.SUITES[:2]]
    releases.append(f"{mirror}-security/dists/{updates_check.SUITES[2]}/InRelease")
    script = "".join(f'{CURL} "{url}" | grep " main/binary-{arch}/Packages.xz$" | tail -1\n' for url in releases)
    asked = tools(opts).with_env_variable("ASKED_IN", str(int(time.time() // ARCHIVE_ASKED)))
    try:
        return await asked.with_exec(["bash", "-euo", "pipefail", "-c", script]).stdout()
    except dagger.DaggerError as err:
        return "unread: " + (str(err).strip().splitlines() or [type(err).__name__])[0]


async def archive_of(run: RunState, platform: str) -> str:
    """archive_state for a platform, asked once per run (the run's images and their provenance share it)."""
    if platform not in run.archive:
        run.archive[platform] = asyncio.ensure_future(archive_state(run.opts, platform))
    return await asyncio.shield(run.archive[platform])


async def check_code(opts: recipe.BuildOptions, gpu: bool, expectations: str = "") -> str:
    """What the checks are: the digest of their code and probes (the archive tool among them: it
    sizes images) and of what they hold the image to (held_to), and whether the GPU was used. A check
    result is reused only where this and the image's digest are both unchanged."""
    code = opts.files().directory(CHECK_CODE).with_directory("probes", opts.probes())  # as the checks get them
    code = code.with_new_file("held-to.json", expectations)
    return (await code.digest()) + ("+gpu" if gpu else "")


async def build_and_check_all(selected: list[matrix.Image], run: RunState) -> list[Built]:
    """The run's platforms of every image selected."""
    run.targets = run.targets or matrix.targets("", await engine_platform())
    targets = [(i, p) for i in selected for p in run.targets.of(i)]
    loop = asyncio.get_running_loop()
    for image, platform in targets:
        if run.emulated(platform) and image.variant == LINE_PROVER:
            run.proofs[(image.spark.version, platform)] = loop.create_future()
    for image in selected:
        warn_of_forced_shim(image)
    return list(await asyncio.gather(*(build_and_check(image, run, platform) for image, platform in targets)))


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


def tarball(group: list[Built] | dagger.Container) -> dagger.File:
    return publish.tarball([b.container for b in group] if isinstance(group, list) else [group])


def checked_platforms(group: list[Built]) -> dict[str, str]:
    return {b.result.platform: str(b.result.digest) for b in group}


def tools(opts: recipe.BuildOptions) -> dagger.Container:
    """A container on the engine's own platform with python3 (the build stages' tools): where work on
    images' archives runs natively, whatever platform the images are."""
    return recipe.built_stage(stages.TOOLS, opts, None)


def _archive_tool(opts: recipe.BuildOptions) -> dagger.Container:
    """The tools container, as root, with the archive tool."""
    return (
        tools(opts).with_user("0").with_mounted_file("/archive/oci_archive.py", opts.files().file(recipe.ARCHIVE_TOOL))
    )


async def layer_digests(ctr: dagger.Container, opts: recipe.BuildOptions) -> list[str]:
    """One platform's layer digests, base first, as its archive (and a registry) carries them."""
    tool = _archive_tool(opts).with_mounted_file("/archive/image.tar", tarball(ctr))
    return json.loads(
        await tool.with_exec(["python3", "/archive/oci_archive.py", "layers", "/archive/image.tar"]).stdout()
    )


async def manifest_digest(
    image: list[Built] | dagger.Container, opts: recipe.BuildOptions, verify: bool = False
) -> str:
    """The image's manifest (or multi-platform index) digest, as its archives and registries will
    carry it. verify: the index must list exactly the checked platforms' manifests (else NotChecked)."""
    tool = _archive_tool(opts).with_mounted_file("/archive/image.tar", tarball(image))
    run = ["python3", "/archive/oci_archive.py"]
    digest = (await tool.with_exec([*run, "digest", "/archive/image.tar"]).stdout()).strip()
    if verify and isinstance(image, list):
        held = json.loads(await tool.with_exec([*run, "platforms", "/archive/image.tar"]).stdout())
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
        tool = tool.with_mounted_file(f"/archive/in/{name}.tar", tarball(group))
        entries[name] = {
            "archive": f"/archive/in/{name}.tar",
            "platforms": checked_platforms(group),
            "tags": image_tags(name, opts.revision),
        }
    return tool, entries


def _write(target: str, plan: list[dict]) -> list[str]:
    return ["python3", "/archive/oci_archive.py", "write", target, json.dumps(plan)]


def archive(groups: list[list[Built]], opts: recipe.BuildOptions) -> dagger.File:
    """Checked images in one archive that loads each as NAME:latest and NAME:<revision>, each
    layer stored once, several platforms of an image as one multi-platform image. The images
    (indexes, manifests, configs, layers) are the checked ones, byte for byte: only the names are added."""
    tool, entries = _archive_inputs(groups, opts)
    return tool.with_exec(_write("/archive/out.tar", list(entries.values()))).file("/archive/out.tar")


def sboms(groups: list[list[Built]], opts: recipe.BuildOptions) -> dagger.Directory:
    """NAME.ARCH.cdx.json: the SBOM of each platform of each image (sbom.py), from its checked archive."""
    directory, on = dag.directory(), tools(opts)
    for group in groups:
        for b in group:
            document = sbom.document(on, b.container, tarball(b.container), b.image.name, str(b.result.digest), opts)
            directory = directory.with_file(f"{b.image.name}.{matrix.arch(b.result.platform)}.cdx.json", document)
    return directory


async def made_by(run: RunState, built: list[Built]) -> provenance.MadeBy:
    """What the run's images were made by and from (provenance.MadeBy)."""
    platforms = sorted({b.result.platform for b in built})
    return provenance.MadeBy(
        source=await dockerfiles.image_inputs(run.opts.files()).digest(),
        engine=await dag.version(),
        base=await dag.container().from_(stages.BASE_IMAGE).image_ref(),
        archive={platform: await archive_of(run, platform) for platform in platforms},
    )


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


PHASES = ("engine", "build", "checks", "export")


def summary(results: list[ImageResult]) -> str:
    """The final table: image, size, checks, verdict, seconds per phase (checks reused: "reused")."""
    rows = [f"{'image':<41} {'size':<8} {'checks':<22} {'verdict':<8} " + " ".join(f"{p:>7}" for p in PHASES)]
    for r in results:
        counts = {s: sum(c.status == s for c in r.checks) for s in ("passed", "failed", "skipped")}
        size = f"{r.size_bytes / 1e9:.2f}GB" if r.size_bytes else "-"
        phases = {p: f"{r.phases[p]:.0f}s" if p in r.phases else "-" for p in PHASES} | (
            {"checks": "reused"} if r.reused else {}
        )
        rows.append(
            f"{r.label:<41} {size:<8} {counts['passed']} ok {counts['failed']} failed {counts['skipped']} skip"
            f"{'':<3} {'passed' if r.passed else 'FAILED':<8} " + " ".join(f"{phases[p]:>7}" for p in PHASES)
        )
    return "\n".join(rows)


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
    per_platform: bool = False,
) -> Published:
    """Push the images that passed on every platform. Fail-closed: first, before anything is pushed,
    every image is verified: what would be pushed has its checked digest, and its immutable tag is
    absent or holds that digest (a registry answer other than "not found" fails that image). Then each
    verified image on its own (a failed push is reported and the others go on): the immutable tag
    first, :latest last, so a refused or failed image never moves :latest. A multi-platform image must
    have been through ship() (its index is what the registry must get). Each image's steps within
    limits["push"]. per_platform: each platform that passed goes to its own tag only
    (publish.platform_reference, immutable too), for merge() to join: a per-platform CI job."""
    out, groups, opts = Published([], [], []), shipped(built), opts or recipe.BuildOptions()
    passed = {group[0].image.name for group in groups}
    for name in dict.fromkeys(b.image.name for b in built if b.image.name not in passed):
        progress(f"REFUSED {name}: it failed its checks")
        out.refused.append(name)
    if per_platform:
        groups = [[b] for group in groups for b in group]
    base = publish.with_auth(dag.container(), registry, username, password)
    verified = []
    for group in groups:
        image, checked = group[0].image, str(group[0].result.shipped)
        if per_platform:
            tags = [publish.platform_reference(registry, image, rev, group[0].result.platform)]
        else:
            tags = publish.references(registry, image, rev)[::-1]  # the immutable tag, then :latest
        with _push_failure(image.name, limits, out):
            now = await manifest_digest(group if len(group) > 1 else group[0].container, opts)
            if now != checked:
                raise publish.NotChecked(f"{image.name} would push manifest {now}, not the checked {checked}")
            verified.append((group, tags, await publish.verify(base, tags[0], checked)))
    for group, tags, present in verified:
        ctr = publish.with_auth(group[0].container, registry, username, password)
        variants = [b.container for b in group[1:]]
        with _push_failure(group[0].image.name, limits, out):
            await publish.push(ctr, tags, group[0].result.shipped, variants, present=present, pushed=out.pushed)
    return out


async def merge(
    images: list[matrix.Image],
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
    The index lists exactly the manifests the platform jobs pushed (verified before and at the push)."""
    out, opts = Published([], [], []), opts or recipe.BuildOptions()
    base = publish.with_auth(dag.container(), registry, username, password)
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
            group = [
                Built(
                    image,
                    publish.with_auth(
                        dag.container(platform=dagger.Platform(platform)), registry, username, password
                    ).from_(f"{registry}/{image.name}@{digest}"),
                    ImageResult(image.name, platform=platform, digest=digest),
                )
                for platform, digest in pushed.items()
            ]
            index = await manifest_digest(group, opts, verify=True)  # exactly the platforms' manifests
            latest, immutable = publish.references(registry, image, rev)
            present = await publish.verify(base, immutable, index)
            variants = [b.container for b in group[1:]]
            await publish.push(
                group[0].container, [immutable, latest], index, variants, present=present, pushed=out.pushed
            )
    return out


@contextlib.contextmanager
def _push_failure(name: str, limits: dict[str, float], out: Published) -> Iterator[None]:
    """One image's publishing step within limits["push"]; what goes wrong is that image's failure, reported."""
    try:
        with anyio.fail_after(limits["push"]):
            yield
    except (dagger.DaggerError, TimeoutError, publish.TagMoved, publish.NotChecked, publish.ReadFailed) as err:
        why = f"timed out after {limits['push']:.0f}s" if isinstance(err, TimeoutError) else str(err)
        progress(f"PUSH FAILED {name}: {why}")
        out.failed.append(f"{name}: {why.strip().splitlines()[0] if why.strip() else type(err).__name__}")
