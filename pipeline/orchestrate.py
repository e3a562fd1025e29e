"""Plain async orchestration behind the module's functions: build, check, export, publish."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import time
from dataclasses import dataclass, field

import dagger
from dagger import dag

import anyio

from . import assembly, checks, matrix, publish, recipe, report
from .checks.result import ImageResult
from .limits import DEFAULTS
from .log import progress

# Images built at once, and checked at once: checks start JVMs and services that need the host's
# cores to themselves (on 2 cores, two images' checks side by side take longer than one after the other).
PARALLEL_BUILDS, PARALLEL_CHECKS = 2, 1
CHECK_CODE = "pipeline/checks"  # the checks and their probes: a result is reused only if these are unchanged
ARCHIVE_LAYERS = publish.LAYERS  # what every `docker load` reads; pushes use the same, so the same digest
ARCHIVE_TOOL = "pipeline/tools/oci_archive.py"
ARCHIVES = {
    "combined": "one archive of all passed images, each layer stored once (jupyter-spark-images.tar)",
    "per-image": "one archive per passed image (NAME.tar)",
    "both": "the combined archive and one per image",
}
COMBINED = "jupyter-spark-images.tar"


def archives_kind(value: str) -> str:
    """--archives checked, before any work: one of ARCHIVES, or one clear error."""
    if value not in ARCHIVES:
        raise matrix.MatrixError(f"--archives {value!r}: valid: {', '.join(ARCHIVES)}")
    return value


@dataclass
class Built:
    image: matrix.Image
    container: dagger.Container
    result: ImageResult


def container(image: matrix.Image, opts: recipe.BuildOptions, base: dagger.Container | None = None) -> dagger.Container:
    """The image as built, checked and shipped: the recipe plus the source revision label."""
    if image.rapids_shim_override:
        progress(
            f"WARNING {image.name}: RAPIDS {image.line.rapids.jar.version} has no shim for Spark "
            f"{image.spark.version}; forcing the {image.rapids_shim_override} shim (untested upstream)"
        )
    return assembly.build(image, opts, base).with_label(assembly.REVISION_LABEL, opts.revision)


@dataclass
class Run:
    """What one build_and_check_all shares between its images."""

    opts: recipe.BuildOptions
    gpu: bool = False
    limits: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    previous: dict[str, ImageResult] = field(default_factory=dict)  # results that may be reused, by image
    building: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PARALLEL_BUILDS))
    checking: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PARALLEL_CHECKS))


async def build_and_check(image: matrix.Image, run: Run) -> Built:
    """One image built and checked. Whatever goes wrong, it gets a result: a failed build or an
    unexpected error is a failed "build" or "pipeline" entry in its report, never a lost run."""
    ctr = container(image, run.opts)
    start = time.monotonic()
    try:
        return await _build_and_check(image, ctr, run)
    except Exception as err:  # noqa: BLE001 - reported as this image's failure
        progress(f"{image.name}: FAILED ({type(err).__name__})")
        detail = f"{type(err).__name__}: {err}"[-3000:]
        failed = checks.CheckResult("pipeline", "failed", round(time.monotonic() - start, 1), detail)
        return Built(image, ctr, ImageResult(image.name, [failed]))


async def _build_and_check(image: matrix.Image, ctr: dagger.Container, run: Run) -> Built:
    async with run.building:
        progress(f"{image.name}: building")
        start = time.monotonic()
        try:
            with anyio.fail_after(run.limits["build"]):
                await ctr.sync()
                digest = await manifest_digest(ctr, run.opts)
        except (dagger.DaggerError, TimeoutError) as err:
            progress(f"{image.name}: build FAILED")
            why = f"timed out after {run.limits['build']:.0f}s" if isinstance(err, TimeoutError) else str(err)[-3000:]
            failed = checks.CheckResult("build", "failed", round(time.monotonic() - start, 1), why)
            return Built(image, ctr, ImageResult(image.name, [failed]))
        built_in = round(time.monotonic() - start, 1)
    code = await check_code(run.opts, run.gpu)
    earlier = run.previous.get(image.name)
    if earlier and earlier.passed and (earlier.digest, earlier.check_code) == (digest, code):
        progress(f"{image.name}: built in {built_in:.0f}s; unchanged since its checks at {earlier.checked_at}: reused")
        phases = {"build": built_in, "checks": 0.0}
        return Built(image, ctr, dataclasses.replace(earlier, reused=True, phases=phases))
    async with run.checking:
        progress(f"{image.name}: built in {built_in:.0f}s ({digest}), checking")
        checked_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        start = time.monotonic()
        result = await checks.check_image(image, ctr, run.opts.probes(), gpu=run.gpu, limits=run.limits)
    result.digest, result.check_code, result.checked_at = digest, code, checked_at
    result.phases = {"build": built_in, "checks": round(time.monotonic() - start, 1)}
    verdict = "passed" if result.passed else "FAILED"
    progress(f"{image.name}: {verdict} ({result.phases['checks']:.0f}s of checks)")
    return Built(image, ctr, result)


async def check_code(opts: recipe.BuildOptions, gpu: bool) -> str:
    """What the checks are: the digest of their code and probes, and whether the GPU was used."""
    return (await opts.files().directory(CHECK_CODE).digest()) + ("+gpu" if gpu else "")


async def build_and_check_all(selected: list[matrix.Image], run: Run) -> list[Built]:
    return list(await asyncio.gather(*(build_and_check(image, run) for image in selected)))


def reports(results: list[ImageResult]) -> dagger.Directory:
    directory = dag.directory()
    for name, text in report.render_all(results).items():
        directory = directory.with_new_file(name, text)
    return directory


def tarball(ctr: dagger.Container) -> dagger.File:
    """The image as an OCI archive, unnamed: the bytes its digest, its archives and its pushes share."""
    return ctr.as_tarball(forced_compression=ARCHIVE_LAYERS)


def _archive_tool(ctr: dagger.Container, opts: recipe.BuildOptions) -> dagger.Container:
    """The image's own Python, as root, with the archive tool: no other image is needed."""
    return ctr.with_user("0").with_mounted_file("/archive/oci_archive.py", opts.files().file(ARCHIVE_TOOL))


async def manifest_digest(ctr: dagger.Container, opts: recipe.BuildOptions) -> str:
    """The image's manifest digest (sha256:...), as its archives and registries will carry it."""
    tool = _archive_tool(ctr, opts).with_mounted_file("/archive/image.tar", tarball(ctr))
    return (
        await tool.with_exec(["python3", "/archive/oci_archive.py", "digest", "/archive/image.tar"]).stdout()
    ).strip()


def image_tags(name: str, revision: str) -> list[str]:
    """The names an archive gives an image: NAME:latest and NAME:<revision>."""
    return [f"{name}:latest", f"{name}:{revision}"]


def archive(built: list[Built], opts: recipe.BuildOptions) -> dagger.File:
    """Checked images in one archive that loads each as NAME:latest and NAME:<revision>, each
    layer stored once. The images (manifests, configs, layers) are the checked ones, byte for byte:
    only the names are added."""
    tool, plan = _archive_tool(built[0].container, opts), []
    for b in built:
        tool = tool.with_mounted_file(f"/archive/in/{b.image.name}.tar", tarball(b.container))
        plan.append(
            {
                "archive": f"/archive/in/{b.image.name}.tar",
                "digest": b.result.digest,
                "tags": image_tags(b.image.name, opts.revision),
            }
        )
    script = ["python3", "/archive/oci_archive.py", "write", "/archive/out.tar", json.dumps(plan)]
    return tool.with_exec(script).file("/archive/out.tar")


def exported_images(built: list[Built], opts: recipe.BuildOptions, archives: str = "combined") -> dagger.Directory:
    """The archives of the images that passed (ARCHIVES says which), for `docker load`."""
    passed, directory = [b for b in built if b.result.passed], dag.directory()
    if passed and archives in ("combined", "both"):
        directory = directory.with_file(COMBINED, archive(passed, opts))
    if archives in ("per-image", "both"):
        for b in passed:
            directory = directory.with_file(f"{b.image.name}.tar", archive([b], opts))
    return directory


PHASES = ("engine", "build", "checks", "export")


def summary(results: list[ImageResult]) -> str:
    """The final table: image, size, checks, verdict, seconds per phase (checks reused: "reused")."""
    rows = [f"{'image':<27} {'size':<8} {'checks':<22} {'verdict':<8} " + " ".join(f"{p:>7}" for p in PHASES)]
    for r in results:
        counts = {s: sum(c.status == s for c in r.checks) for s in ("passed", "failed", "skipped")}
        size = f"{r.size_bytes / 1e9:.2f}GB" if r.size_bytes else "-"
        phases = {p: f"{r.phases[p]:.0f}s" if p in r.phases else "-" for p in PHASES} | (
            {"checks": "reused"} if r.reused else {}
        )
        rows.append(
            f"{r.image:<27} {size:<8} {counts['passed']} ok {counts['failed']} failed {counts['skipped']} skip"
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
) -> Published:
    """Push the images that passed, each reference on its own: a failed push is reported and the
    others go on. The immutable tag is never moved: if it holds other content, that push fails."""
    out = Published([], [], [])
    for b in built:
        if not b.result.passed:
            progress(f"REFUSED {b.image.name}: it failed its checks")
            out.refused.append(b.image.name)
            continue
        ctr = publish.with_auth(b.container, registry, username, password)
        try:
            with anyio.fail_after(limits["push"]):
                await publish.push(ctr, *publish.references(registry, b.image, rev), b.result.digest, pushed=out.pushed)
        except (dagger.DaggerError, TimeoutError, publish.TagMoved, publish.NotChecked) as err:
            why = f"timed out after {limits['push']:.0f}s" if isinstance(err, TimeoutError) else str(err)
            progress(f"PUSH FAILED {b.image.name}: {why}")
            out.failed.append(f"{b.image.name}: {why.strip().splitlines()[0] if why.strip() else type(err).__name__}")
    return out
