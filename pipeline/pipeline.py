"""Plain async orchestration behind the module's functions: build, check, export, publish."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import dagger
from dagger import dag

import anyio

from . import checks, images, matrix, publish, recipe, report
from .checks.result import ImageResult
from .limits import DEFAULTS
from .log import progress

PARALLEL_IMAGES = 2  # images built and checked at once: a 2-core engine host is busy with two


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
    return images.build(image, opts, base).with_label(images.REVISION_LABEL, opts.revision)


async def build_and_check(
    image: matrix.Image,
    opts: recipe.BuildOptions,
    *,
    gpu: bool = False,
    limits: dict[str, float] = DEFAULTS,
    parallel: asyncio.Semaphore,
) -> Built:
    """One image built and checked. Whatever goes wrong, it gets a result: a failed build or an
    unexpected error is a failed "build" or "pipeline" entry in its report, never a lost run."""
    async with parallel:
        ctr = container(image, opts)
        start = time.monotonic()
        try:
            return await _build_and_check(image, ctr, opts, gpu, limits)
        except Exception as err:  # noqa: BLE001 - reported as this image's failure
            progress(f"{image.name}: FAILED ({type(err).__name__})")
            detail = f"{type(err).__name__}: {err}"[-3000:]
            failed = checks.CheckResult("pipeline", "failed", round(time.monotonic() - start, 1), detail)
            return Built(image, ctr, ImageResult(image.name, [failed]))


async def _build_and_check(
    image: matrix.Image, ctr: dagger.Container, opts: recipe.BuildOptions, gpu: bool, limits: dict[str, float]
) -> Built:
    progress(f"{image.name}: building")
    start = time.monotonic()
    try:
        with anyio.fail_after(limits["build"]):
            await ctr.sync()
    except (dagger.DaggerError, TimeoutError) as err:
        progress(f"{image.name}: build FAILED")
        why = f"timed out after {limits['build']:.0f}s" if isinstance(err, TimeoutError) else str(err)[-3000:]
        failed = checks.CheckResult("build", "failed", round(time.monotonic() - start, 1), why)
        return Built(image, ctr, ImageResult(image.name, [failed]))
    built_in = round(time.monotonic() - start, 1)
    progress(f"{image.name}: built in {built_in:.0f}s, checking")
    result = await checks.check_image(image, ctr, opts.probes(), gpu=gpu, limits=limits)
    result.build_seconds = built_in
    verdict = "passed" if result.passed else "FAILED"
    progress(f"{image.name}: {verdict} ({sum(c.seconds for c in result.checks):.0f}s of checks)")
    return Built(image, ctr, result)


async def build_and_check_all(
    selected: list[matrix.Image],
    opts: recipe.BuildOptions,
    *,
    gpu: bool = False,
    limits: dict[str, float] = DEFAULTS,
) -> list[Built]:
    parallel = asyncio.Semaphore(PARALLEL_IMAGES)
    return list(
        await asyncio.gather(*(build_and_check(i, opts, gpu=gpu, limits=limits, parallel=parallel) for i in selected))
    )


def reports(results: list[ImageResult]) -> dagger.Directory:
    directory = dag.directory()
    for name, text in report.render_all(results).items():
        directory = directory.with_new_file(name, text)
    return directory


ARCHIVE_LAYERS = dagger.ImageLayerCompression.Gzip  # what every `docker load` reads


def exported_images(built: list[Built], opts: recipe.BuildOptions) -> dagger.Directory:
    """OCI archives of the images that passed, one per image, named for `docker load`."""
    directory = dag.directory()
    for b in built:
        if b.result.passed:
            directory = directory.with_file(f"{b.image.name}.tar", named_archive(b, opts))
    return directory


NAME_ARCHIVE = "pipeline/tools/name_archive.py"


def named_archive(b: Built, opts: recipe.BuildOptions) -> dagger.File:
    """The checked container as an OCI archive that loads as NAME:latest and NAME:<revision>. The
    image itself (manifest, config, layers) is the checked one, byte for byte; its own Python runs
    the renaming, so no other image is needed."""
    tags = [f"{b.image.name}:latest", f"{b.image.name}:{opts.revision}"]
    return (
        b.container.with_user("0")
        .with_mounted_file("/archive/in.tar", b.container.as_tarball(forced_compression=ARCHIVE_LAYERS))
        .with_mounted_file("/archive/name_archive.py", opts.files().file(NAME_ARCHIVE))
        .with_exec(["python3", "/archive/name_archive.py", "/archive/in.tar", "/archive/out.tar", *tags])
        .file("/archive/out.tar")
    )


def summary(results: list[ImageResult]) -> str:
    """The final table: image, size, checks, verdict, time."""
    rows = ["image                       size     checks                 verdict  time"]
    for r in results:
        counts = {s: sum(c.status == s for c in r.checks) for s in ("passed", "failed", "skipped")}
        size = f"{r.size_bytes / 1e9:.2f}GB" if r.size_bytes else "-"
        total = (r.build_seconds or 0) + sum(c.seconds for c in r.checks)
        rows.append(
            f"{r.image:<27} {size:<8} {counts['passed']} ok {counts['failed']} failed {counts['skipped']} skip"
            f"{'':<3} {'passed' if r.passed else 'FAILED':<8} {total:.0f}s"
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
                await publish.push(ctr, *publish.references(registry, b.image, rev), pushed=out.pushed)
        except (dagger.DaggerError, TimeoutError, publish.TagMoved) as err:
            why = f"timed out after {limits['push']:.0f}s" if isinstance(err, TimeoutError) else str(err)
            progress(f"PUSH FAILED {b.image.name}: {why}")
            out.failed.append(f"{b.image.name}: {why.strip().splitlines()[0] if why.strip() else type(err).__name__}")
    return out
