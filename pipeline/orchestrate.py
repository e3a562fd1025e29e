"""Plain async orchestration behind the module's functions: build, check, export, publish."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import json
import time
from dataclasses import dataclass, field

import dagger
from dagger import dag

import anyio

from . import assembly, catalog, checks, provenance, recipe, rendering, shipping, stages
from .checks import jupyter as jupyter_check
from .checks import advisories as advisories_check
from .checks import updates as updates_check
from .checks.result import ImageResult, label
from .go_tools import SYFT
from .limits import CHECK_LIMITS, CURL, DEFAULTS, for_platform
from .log import progress, step_failure
from .shipping import Built

# Images built at once, and checked at once on each side of emulation: native checks start JVMs and
# services that keep the host's cores busy (on 2 cores, two images' checks side by side take longer than one
# after the other), while emulated work keeps about one core busy (qemu), so one emulated image's checks
# run beside one native image's and neither core waits.
PARALLEL_BUILDS, PARALLEL_CHECKS = 2, 1
CHECK_CODE = "pipeline/checks"  # the checks and their probes: a result is reused only if these are unchanged


def container(
    image: catalog.Image, opts: recipe.BuildOptions, platform: str, base: dagger.Container | None = None
) -> dagger.Container:
    """The image as built, checked and shipped: the recipe plus the source revision label."""
    return assembly.build(image, opts, platform, base).with_label(assembly.REVISION_LABEL, opts.revision)


def warn_of_forced_shim(image: catalog.Image) -> None:
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
    targets: catalog.Targets | None = None
    # Debian's archive as it is now, by native platform (archive_state, asked once): what the updates check
    # is held to
    archive: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    # each emulated line prover's result, by (Spark version, platform), as soon as it has one (line_proof)
    proofs: dict[tuple[str, str], asyncio.Future[ImageResult | None]] = field(default_factory=dict)
    # build-all's output has each passed image's SBOM: made as soon as it passed (sboms_ahead), beside the
    # next image's checks, not all after the last one's; the export then finds them in the engine's cache
    sboms: bool = False
    ahead: list[asyncio.Future[None]] = field(default_factory=list)
    building: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PARALLEL_BUILDS))
    # by emulated or not: one image checked natively and one under emulation at a time
    checking: dict[bool, asyncio.Semaphore] = field(
        default_factory=lambda: {emulated: asyncio.Semaphore(PARALLEL_CHECKS) for emulated in (False, True)}
    )

    def emulated(self, platform: str) -> bool:
        return self.targets is not None and self.targets.emulated(platform)


async def engine_platform() -> str:
    """The engine's own platform, as the matrix names it: where builds and checks run natively."""
    return catalog.native(str(await dag.default_platform()))


async def build_and_check(image: catalog.Image, run: RunState, platform: str) -> Built:
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
    if run.sboms and built.result.passed:
        run.ahead.append(asyncio.ensure_future(_made_ahead(shipping.sbom_of(built, run.opts))))
    return built


async def _made_ahead(file: dagger.File) -> None:
    """Evidence made before it is exported. Where that fails, its export fails the same way and says why."""
    with contextlib.suppress(dagger.DaggerError):
        await file.sync()


def sboms_as_they_pass(run: RunState) -> None:
    """Each passed image's SBOM made as soon as it passed (RunState.sboms), and syft built from the start,
    beside the first builds: from a cold engine cache its build takes minutes on 2 cores, which the first
    image to pass would otherwise wait for."""
    run.sboms = True
    run.ahead.append(asyncio.ensure_future(_made_ahead(SYFT.binary(run.opts))))


async def sboms_ahead(run: RunState) -> None:
    """The SBOMs made ahead (RunState.sboms), done: what their export waits for anyway."""
    await asyncio.gather(*run.ahead)


async def _build_and_check(image: catalog.Image, ctr: dagger.Container, run: RunState, platform: str) -> Built:
    emulated = run.emulated(platform)
    name, limit = label(image.name, platform, emulated), for_platform(run.limits, emulated)["build"]
    async with run.building:
        progress(f"{name}: building")
        start = time.monotonic()
        try:
            with anyio.fail_after(limit):
                await ctr.sync()
                digest = await shipping.manifest_digest(ctr, run.opts)
                layers = await shipping.layer_digests(ctr, run.opts)
        except (dagger.DaggerError, TimeoutError) as err:
            progress(f"{name}: build FAILED")
            why = f"timed out after {limit:.0f}s" if isinstance(err, TimeoutError) else str(err)[-3000:]
            if isinstance(err, dagger.ExecError):
                why = step_failure(err)
            progress(f"{name}: {why}")
            failed = checks.CheckResult("build", "failed", round(time.monotonic() - start, 1), why)
            return Built(image, ctr, ImageResult(image.name, [failed], platform, emulated))
        built_in = round(time.monotonic() - start, 1)
    code = await run_check_code(run, image, platform)
    earlier = run.previous.get((image.name, platform))
    if earlier and earlier.passed and (earlier.digest, earlier.check_code) == (digest, code):
        progress(f"{name}: built in {built_in:.0f}s; unchanged since its checks at {earlier.checked_at}: reused")
        phases = {"build": built_in, "checks": 0.0}
        return Built(image, ctr, dataclasses.replace(earlier, reused=True, phases=phases, index=None))
    proof = await line_proof(image, platform, run, layers)
    async with run.checking[emulated]:
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
            tools=shipping.tools(run.opts),
            proof=proof,
            layers=layers,
        )
    result.digest, result.check_code, result.checked_at, result.layers = digest, code, checked_at, layers
    result.phases = {"build": built_in, "checks": round(time.monotonic() - start, 1)}
    verdict = "passed" if result.passed else "FAILED"
    progress(f"{name}: {verdict} ({result.phases['checks']:.0f}s of checks)")
    return Built(image, ctr, result)


# The image of each Spark line whose checks prove, for the layers the line's other images share with it
# (their own layers added on top), what those layers do not touch: checks.LineProof. Under emulation,
# JupyterLab and a local Spark session; natively, the checks feature_layers.LEAVES_PROVEN names.
LINE_PROVER = "baseline"


async def line_proof(image: catalog.Image, platform: str, run: RunState, layers: list[str]) -> checks.LineProof | None:
    """The proof an image may stand on: its line prover's passed result on this platform (this run's,
    waited for, else an earlier run's held to the same checks), when this image's layers extend the
    prover's; None: the image proves it all itself."""
    if image.variant == LINE_PROVER:
        return None
    emulated, line_prover = run.emulated(platform), catalog.Image(image.spark, LINE_PROVER)
    if (image.spark.version, platform) in run.proofs:
        prover = await run.proofs[(image.spark.version, platform)]
    elif (prover := run.previous.get((line_prover.name, platform))) is not None:
        prover = prover if prover.check_code == await run_check_code(run, line_prover, platform) else None
    if prover is None or not (prover.passed and prover.emulated == emulated and prover.layers):
        return None
    if layers[: len(prover.layers)] != prover.layers:
        return None
    own = tuple(catalog.ordered_features(image.features - line_prover.features))
    return checks.LineProof(prover, layers[len(prover.layers) :], own)


def held_to(image: catalog.Image, platform: str, limits: dict[str, float], emulated: bool, archive: str = "") -> str:
    """What an image's checks hold it to beyond their code: its size budget, the kernels it must
    offer, the time each check gets (the facts it must show come from its labels, part of its digest),
    the advisories decided for its jars, and Debian's archive as the updates check asked it
    (archive_state)."""
    waits = for_platform(limits, emulated)
    return json.dumps(
        {
            "budget": catalog.budget_parts(image, platform),
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
    mirror, arch = opts.debian_mirror or recipe.DEBIAN, catalog.arch(platform)
    releases = [f"{mirror}/dists/{suite}/InRelease" for suite in updates_check.SUITES[:2]]
    releases.append(f"{mirror}-security/dists/{updates_check.SUITES[2]}/InRelease")
    script = "".join(f'{CURL} "{url}" | grep " main/binary-{arch}/Packages.xz$" | tail -1\n' for url in releases)
    asked = shipping.tools(opts).with_env_variable("ASKED_IN", str(int(time.time() // ARCHIVE_ASKED)))
    try:
        return await asked.with_exec(["bash", "-euo", "pipefail", "-c", script]).stdout()
    except dagger.DaggerError as err:
        return "unread: " + (str(err).strip().splitlines() or [type(err).__name__])[0]


async def archive_of(run: RunState, platform: str) -> str:
    """archive_state for a platform, asked once per run (the run's images and their provenance share it)."""
    if platform not in run.archive:
        run.archive[platform] = asyncio.ensure_future(archive_state(run.opts, platform))
    return await asyncio.shield(run.archive[platform])


async def run_check_code(run: RunState, image: catalog.Image, platform: str) -> str:
    """check_code for one platform of an image in this run: its limits, its GPU, Debian's archive as the
    run asked it (natively: the updates check's)."""
    emulated = run.emulated(platform)
    with anyio.fail_after(run.limits["check-code"]):
        archive = "" if emulated else await archive_of(run, platform)
        return await check_code(run.opts, run.gpu, held_to(image, platform, run.limits, emulated, archive))


async def check_code(opts: recipe.BuildOptions, gpu: bool, expectations: str = "") -> str:
    """What the checks are: the digest of their code and probes (the archive tool among them: it
    sizes images) and of what they hold the image to (held_to), and whether the GPU was used. A check
    result is reused only where this and the image's digest are both unchanged."""
    code = opts.files().directory(CHECK_CODE).with_directory("probes", opts.probes())  # as the checks get them
    code = code.with_new_file("held-to.json", expectations)
    return (await code.digest()) + ("+gpu" if gpu else "")


async def build_and_check_all(selected: list[catalog.Image], run: RunState) -> list[Built]:
    """The run's platforms of every image selected."""
    run.targets = run.targets or catalog.targets("", await engine_platform())
    targets = [(i, p) for i in selected for p in run.targets.of(i)]
    loop = asyncio.get_running_loop()
    for image, platform in targets:
        if image.variant == LINE_PROVER:
            run.proofs[(image.spark.version, platform)] = loop.create_future()
    for image in selected:
        warn_of_forced_shim(image)
    return list(await asyncio.gather(*(build_and_check(image, run, platform) for image, platform in targets)))


async def made_by(run: RunState, built: list[Built]) -> provenance.MadeBy:
    """What the run's images were made by and from (provenance.MadeBy)."""
    platforms = sorted({b.result.platform for b in built})
    return provenance.MadeBy(
        source=await rendering.image_inputs(run.opts.files()).digest(),
        engine=await dag.version(),
        base=await dag.container().from_(stages.BASE_IMAGE).image_ref(),
        archive={platform: await archive_of(run, platform) for platform in platforms},
    )


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
