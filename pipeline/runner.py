"""`python -m pipeline build-all`: the module's build_all called once per Spark line, each in a session
of its own, the images that passed assembled into build/images/ on the host, the reports merged."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import dagger
from dagger import dag

from . import catalog, orchestrate, publish, recipe, report, shipping
from .archives import Archives
from .checks.result import CheckResult, ImageResult
from .errors import UsageError
from .limits import parse as parse_limits
from .report import verdict
from .cli import CONFIG, INTERRUPTED, bind, note_interrupts
from .main import JupyterSparkImages


async def build_all(args: argparse.Namespace) -> int:
    """build-all as the module's build_all, called once per Spark line, each in a session of its own,
    and the per-line reports merged into one; a line's images delivered in the next line's session
    (_session). The engine keeps what a session exports until the session ends: all 14 archives from
    one call and their layers do not fit this machine's disk quota. The combined archive is assembled
    here, image by image, from the engine's own archive of each checked image (archives.py), so at most
    one image's archive is staged, and the engine keeps no named archives (--archives none there):
    what stays in its cache between runs is smaller.

    What is unchanged is not redone: without --recheck, the last report.json in OUTPUT is the
    --previous one (checks reused where image and check code are unchanged), and an image whose
    archive already holds its digest under its names is not exported again.

    Every line's session reads the module's source from one copy made as the run starts (recipe.checkout
    of it): an edit to the checkout during the run (a probe, a copied file) reaches none of its lines,
    each of which would otherwise read the checkout as it is when its session opens."""
    note_interrupts()
    # bad input: before any work (the platforms checked once the engine said its own)
    catalog.images(args.spark_version or None, args.variant or None)
    shipping.archives_kind(args.archives)
    out, waits = Path(args.output or "build"), parse_limits(args.limits)
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out), tempfile.TemporaryDirectory(prefix="jupyter-spark-source-") as copy:
        source = Path(copy)
        async with dagger.connection(CONFIG):
            native = await orchestrate.engine_platform()
            await recipe.checkout().export(str(source))
        targets = catalog.targets(args.platform, native)
        selected = catalog.images(args.spark_version or None, args.variant or None, targets.platforms)
        return await _build_all(args, selected, targets, out, waits, source)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One build-all writing OUTPUT at a time: a second one stops at once instead of mixing files."""
    with (out / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another build-all is writing {out}/; wait for it or use -o DIR") from None
        yield


def _previous(args: argparse.Namespace, out: Path) -> str | None:
    """The report whose results may be reused: --previous, else OUTPUT's last one (none with --recheck)."""
    path = Path(args.previous) if args.previous else out / "reports" / "report.json"
    return None if args.recheck or not path.is_file() else path.read_text()


async def _build_all(
    args: argparse.Namespace,
    selected: list[catalog.Image],
    on: catalog.Targets,
    out: Path,
    waits: dict[str, float],
    source: Path,
) -> int:
    previous = _previous(args, out)
    for earlier in ("reports", "sbom", "provenance"):  # the verdict (gate) and the evidence: this run's only
        shutil.rmtree(out / earlier, ignore_errors=True)
    images = Archives(out / "images", args.archives)
    results: list[ImageResult] = []
    try:
        checking: Checked | None = None
        for line in [*lines(selected), None]:
            delivering, checking = checking, Checked(line, []) if line else None
            # a line may reuse the results of this run's lines before it
            done = results + (delivering.results if delivering else [])
            await _session(args, checking, delivering, images, waits, report.overlaid(previous, done), source)
            if INTERRUPTED.is_set():  # what its session said after a Ctrl-C (a lost connection) is no result
                raise KeyboardInterrupt
            results += delivering.results if delivering else []  # a line's results once it is delivered
        await anyio.to_thread.run_sync(images.finish)
    finally:  # the report is written whatever happened: images not done are failed, with the reason
        images.discard()
        why = f"not built: the run stopped ({sys.exc_info()[1]!r})"
        finished = {r.image for r in results}
        results += [
            ImageResult(i.name, [CheckResult("pipeline", "failed", 0.0, why)], p, on.emulated(p))
            for i in selected
            if i.name not in finished
            for p in on.of(i)
        ]
        (out / "reports").mkdir(parents=True)
        for name, text in report.render_all(results).items():
            (out / "reports" / name).write_text(text)
    print(orchestrate.summary(results), file=sys.stderr)
    print(images.said, file=sys.stderr)
    print(f"exported to {out}/", file=sys.stderr)
    if not args.allow_failures:  # as the module's build_all: a failed image fails the run, named
        verdict([r.as_dict() for r in results])
    return 0


def lines(selected: list[catalog.Image]) -> list[list[catalog.Image]]:
    """The images selected, by Spark line, in their order."""
    by_line: dict[str, list[catalog.Image]] = {}
    for image in selected:
        by_line.setdefault(image.spark.version, []).append(image)
    return list(by_line.values())


@dataclass
class Checked:
    """A Spark line's images and, once its session's build_all returned, their results."""

    line: list[catalog.Image]
    results: list[ImageResult]


async def _session(
    args: argparse.Namespace,
    checking: Checked | None,
    delivering: Checked | None,
    images: Archives,
    waits: dict[str, float],
    previous: str | None,
    source: Path,
) -> None:
    """One session: the module's build_all for a Spark line's images (their platforms; checking.results
    filled in; the module's source read from source: build_all) and, beside it, the delivery of the line
    checked before it: each passed image's archive fetched, one at a time, only if needed. That reading
    and writing of gigabytes (the disk's work, not the cores') so runs beside the next line's builds and
    checks instead of between them; the images come from the engine's cache, and each archive must hold
    exactly the digests checked (Archives.stage). In one session the line's images overlap as build_all
    schedules them (orchestrate.py: two builds at a time, one image checked natively and one under
    emulation), so one image's emulated work runs beside the next one's native work and the line's
    emulated images stand on its prover's proof. The engine holds one line's archives at most: the line before's."""
    start = time.monotonic()
    async with dagger.connection(CONFIG):
        obj, kwargs = bind(args, source)
        connected = round(time.monotonic() - start, 1)
        async with anyio.create_task_group() as beside:
            if delivering is not None:
                beside.start_soon(_deliver_line, obj, delivering, images, waits)
            if checking is not None:
                checking.results = await _check_line(obj, kwargs, checking.line, images, previous)
                for result in checking.results:
                    result.phases = {"engine": connected, **result.phases}


async def _check_line(
    obj: JupyterSparkImages, kwargs: dict, line: list[catalog.Image], images: Archives, previous: str | None
) -> list[ImageResult]:
    """The module's build_all for one Spark line (its report and evidence: the SBOMs and provenance of
    the images that passed), each image's report also when it failed: the verdict on all comes after,
    in _build_all."""
    if previous is not None:
        kwargs["previous"] = dag.directory().with_new_file("report.json", previous).file("report.json")
    # the line's images: its Spark version, and the variant as the command line selected it (bind)
    kwargs |= {"spark_version": line[0].spark.version, "archives": "none", "allow_failures": True}
    result = await obj.build_all(**kwargs)
    checked = report.from_json(await result.file("reports/report.json").contents())
    for evidence in ("sbom", "provenance"):
        await result.directory(evidence).export(str(images.folder.parent / evidence))
    return checked


async def _deliver_line(obj: JupyterSparkImages, checked: Checked, images: Archives, waits: dict[str, float]) -> None:
    for image in checked.line:
        start, platforms = time.monotonic(), [r for r in checked.results if r.image == image.name]
        await _deliver(obj, image, platforms, images, waits)
        for platform in platforms:
            platform.phases["export"] = round(time.monotonic() - start, 1)


async def _deliver(
    obj: JupyterSparkImages,
    image: catalog.Image,
    platforms: list[ImageResult],
    images: Archives,
    waits: dict[str, float],
) -> None:
    """An image into the combined archive if every platform of it passed (its archive fetched only if the
    archive lacks its digest under its names), else named failed there."""
    if not platforms or not all(platform.passed for platform in platforms):
        images.failed(image.name)
        return
    tags, digest = shipping.image_tags(image.name, await obj.effective_revision()), str(platforms[0].shipped)
    if images.needs(image.name, digest, tags):
        opts, digests = await obj.options(), {r.platform: str(r.digest) for r in platforms}
        tarball = publish.tarball([orchestrate.container(image, opts, p) for p in digests], opts)
        with anyio.fail_after(waits["export"]):
            await images.fetch(image.name, tarball, digest, digests, tags)
    await anyio.to_thread.run_sync(images.take, image.name, digest, tags)
