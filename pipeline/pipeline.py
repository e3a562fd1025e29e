"""Plain async orchestration behind the module's functions: build, check, export, publish."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

import dagger
from dagger import dag

from . import checks, images, matrix, publish, recipe, report
from .checks.result import ImageResult

PARALLEL_IMAGES = 2  # images built and checked at once: a 2-core engine host is busy with two


def progress(message: str) -> None:
    """One line per step on stderr: Dagger's own output shows it under the function's span."""
    print(f"[jupyter-spark] {message}", file=sys.stderr, flush=True)


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
    limit: asyncio.Semaphore,
) -> Built:
    async with limit:
        progress(f"{image.name}: building")
        start = time.monotonic()
        ctr = container(image, opts)
        try:
            await ctr.sync()
        except dagger.DaggerError as err:
            progress(f"{image.name}: build FAILED")
            failed = checks.CheckResult("build", "failed", round(time.monotonic() - start, 1), str(err)[-3000:])
            return Built(image, ctr, ImageResult(image.name, [failed]))
        built_in = round(time.monotonic() - start, 1)
        progress(f"{image.name}: built in {built_in:.0f}s, checking")
        result = await checks.check_image(image, ctr, opts.probes(), gpu=gpu)
        result.build_seconds = built_in
        progress(
            f"{image.name}: {'passed' if result.passed else 'FAILED'} "
            f"({sum(c.seconds for c in result.checks):.0f}s of checks)"
        )
        return Built(image, ctr, result)


async def build_and_check_all(
    selected: list[matrix.Image],
    opts: recipe.BuildOptions,
    *,
    gpu: bool = False,
) -> list[Built]:
    limit = asyncio.Semaphore(PARALLEL_IMAGES)
    return list(await asyncio.gather(*(build_and_check(i, opts, gpu=gpu, limit=limit) for i in selected)))


def reports(results: list[ImageResult]) -> dagger.Directory:
    directory = dag.directory()
    for name, text in report.render_all(results).items():
        directory = directory.with_new_file(name, text)
    return directory


ARCHIVE_LAYERS = dagger.ImageLayerCompression.Gzip  # what every `docker load` reads


def exported_images(built: list[Built]) -> dagger.Directory:
    """OCI tarballs of the images that passed, one per image name."""
    directory = dag.directory()
    for b in built:
        if b.result.passed:
            directory = directory.with_file(
                f"{b.image.name}.tar", b.container.as_tarball(forced_compression=ARCHIVE_LAYERS)
            )
    return directory


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


async def publish_passed(
    built: list[Built], registry: str, username: str | None, password: dagger.Secret | None, rev: str
) -> list[str]:
    """Push the images that passed (each reference with its digest); refuse, and say so, the others."""
    pushed = []
    for b in built:
        try:
            publish.refuse_unchecked(b.result, b.image.name)
        except PermissionError as refusal:
            progress(f"REFUSED {refusal}")
            continue
        for ref in await publish.push(b.container, publish.references(registry, b.image, rev), username, password):
            progress(f"pushed {ref}")
            pushed.append(ref)
    return pushed
