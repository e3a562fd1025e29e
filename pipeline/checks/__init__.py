"""Checks that prove an image works, run in the engine against services of the image itself."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from collections.abc import Awaitable, Callable

import anyio
import dagger

from .. import catalog, feature_layers, product
from ..limits import CHECK_LIMITS, DEFAULTS, for_platform
from . import advisories, any_uid, cluster, facts, iceberg, jupyter, rapids, redaction, spark_connect, updates
from .result import CheckResult, ImageResult, run_check
from .services import Services, stop_all

CHECKS = tuple(CHECK_LIMITS)  # in the report's order
# Under emulation (platforms other than the engine's) an image gets these checks, each with its wait scaled by
# limits.EMULATION_SLOWDOWN: what it is (facts, size), JupyterLab answering with the token and a
# local Spark session in its kernel (jupyterlab), and its jars' advisories (read through the engine's API,
# no emulated process). The others are the native platform's, from the same
# recipe: reported as skipped, with why. An image whose layers extend those of an emulated image of its
# Spark line that passed them (LineProof: the line's baseline) is not proven again where it is the same:
# its jupyterlab check lists its kernels (what its own layers add to JupyterLab), facts its jars and
# their native code.
EMULATED_CHECKS = ("size", "facts", "advisories", "jupyterlab")


@dataclass(frozen=True)
class LineProof:
    """An image of the same Spark line and platform that passed its checks (the line's baseline), and this
    image's own layers beyond the ones it shares with it, with the features they add. Under emulation it
    proves JupyterLab and a local Spark session (EMULATED_CHECKS); natively, each check it passed that
    none of those features' layers touch (feature_layers.LEAVES_PROVEN), which the image does not run again."""

    prover: ImageResult
    own_layers: list[str]
    own_features: tuple[product.Feature, ...] = ()

    def _shares(self) -> str:
        p, own = self.prover, ", ".join(digest[:19] for digest in self.own_layers)
        features = f": {', '.join(self.own_features)}" if self.own_features else ""
        return (
            f"{p.label} (checked at {p.checked_at}), whose {len(p.layers)} layers this image shares; this "
            f"image's own {len(self.own_layers)} layers ({own}{features})"
        )

    def says(self, listed: str) -> str:
        if not self.prover.emulated:
            return f"{listed.strip()}\nJupyterLab and its local Spark session: {self.covers_note()}"
        return (
            f"{listed.strip()}\nJupyterLab and a local Spark session: proven under emulation on {self._shares()} "
            "are proven here: their kernels above, their jars, native code and labels by facts"
        )

    def covers(self) -> frozenset[str]:
        """The native checks not run again here: passed on the prover, untouched by every own feature's layer."""
        if self.prover.emulated or not self.own_features:
            return frozenset()
        passed = {c.name for c in self.prover.checks if c.status == "passed"}
        for feature in self.own_features:
            passed &= set(feature_layers.LEAVES_PROVEN[feature])
        return frozenset(passed)

    def covers_note(self) -> str:
        return f"proven on {self._shares()} touch nothing it proves"


# the checks that use the shared services (started before them, so that their start is bounded), and on
# an Iceberg image the iceberg check: a check run whose line proof covers all of them starts neither
USES_JUPYTER = frozenset({"jupyterlab", "spark-connect"})
USES_CONNECT = USES_JUPYTER | {"redaction"}

# which service's log explains a failure of each check (None: the default command, JupyterLab)
SERVICE_LOGS = {
    "jupyterlab": [None],
    "spark-connect": [None, "start-connect-server.sh"],
    "iceberg": ["start-connect-server.sh"],
}


async def check_image(
    image: catalog.Image,
    ctr: dagger.Container,
    probes: dagger.Directory,
    *,
    gpu: bool = False,
    limits: dict[str, float] = DEFAULTS,
    platform: str,
    emulated: bool = False,
    tools: dagger.Container | None = None,
    proof: LineProof | None = None,
    layers: list[str] | None = None,
) -> ImageResult:
    """Run every check on one built image (one platform of it) with the probe scripts given. A failing
    check never stops the others.

    Checks run side by side, so that one's waits (a JVM starting, engine I/O) are another's working
    time. The Connect server and JupyterLab (bound to it) are started once: JupyterLab serves the
    JupyterLab and Connect checks (one after the other: one kernel at a time), the Connect server
    those and the Iceberg check (as soon as it is up) and, on images without Iceberg, the redaction
    check (redaction.py); the size check (engine I/O), the any-uid check and the RAPIDS and facts
    checks (their own processes) run beside them.

    With a native line proof, the checks it covers (LineProof.covers) are not run again, each reported
    as skipped and why (the jupyterlab check lists the image's kernels instead), and the services only
    they use are not started. The image's layer digests (layers), where given, name the bytecode cache
    its check run shares with earlier ones of the same Python files (python_layers)."""
    pycache_key = python_layers(layers or [], proof)
    services = await Services.for_image(ctr, probes, iceberg=image.iceberg, tools=tools, pycache_key=pycache_key).read()
    if emulated:
        services = services.emulate()
    # only a speed-up (services.py): without it, Python compiles as before. Not for an emulated image on
    # a line proof: its two probes import little in common, and one more emulated step costs more
    if not (emulated and proof):
        with anyio.move_on_after(limits["prepare"]):
            await services.prepare()
    if emulated:
        return await _check_emulated(image, services, platform, for_platform(limits, emulated=True), proof)
    result, outcomes = ImageResult(image.name, platform=platform), {}
    started: list[dagger.Service] = []
    covered = proof.covers() if proof else frozenset()
    runs_here = {name for name in CHECKS if name not in covered}
    uses_connect = USES_CONNECT | ({"iceberg"} if image.iceberg else set())

    async def start(service: dagger.Service, limit: float) -> None:
        try:  # if it cannot start, the checks that use it fail (and say why)
            with anyio.fail_after(limit):
                started.append(await service.start())
        except (TimeoutError, dagger.DaggerError):
            pass

    size = _size_check(image, services, result)

    async def check(name: str, run: Callable[[], Awaitable[str]]) -> None:
        if proof and name in covered:
            if name != "jupyterlab":
                outcomes[name] = CheckResult(name, "skipped", 0.0, f"not run again: {proof.covers_note()}")
                return
            run = lambda: _kernels(image, services, proof)  # noqa: E731 - its layers' kernels, no service
        outcome = await run_check(name, run, limits[name])
        if outcome.status == "failed" and name in SERVICE_LOGS and name not in covered:
            outcome.detail += await _service_logs(services, SERVICE_LOGS[name], limits["service-log"])
        outcomes[name] = outcome

    async def in_turn(*runs: tuple[str, Callable[[], Awaitable[str]]]) -> None:
        for name, run in runs:
            await check(name, run)

    rapids_then_facts = (
        ("rapids", lambda: rapids.check(image, services, limits["rapids"])),
        ("facts", lambda: facts.check(image, services, platform)),
    )
    try:
        async with anyio.create_task_group() as beside:
            if runs_here & uses_connect:
                beside.start_soon(start, services.connect, limits["spark-connect"])
            if runs_here & USES_JUPYTER:
                beside.start_soon(start, services.jupyter, limits["jupyterlab"])  # waits for the Connect server
            beside.start_soon(check, "size", size)
            beside.start_soon(check, "any-uid", lambda: any_uid.check(image, services))
            beside.start_soon(check, "redaction", lambda: redaction.check(image, services))
            beside.start_soon(in_turn, *rapids_then_facts)
            beside.start_soon(check, "iceberg", lambda: iceberg.check(image, services))  # needs no JupyterLab
            beside.start_soon(check, "updates", lambda: updates.check(image, services))
            beside.start_soon(check, "advisories", lambda: advisories.check(image, services))
            # its own services
            beside.start_soon(check, "cluster", lambda: cluster.check(image, services, gpu, limits["stop"]))
            await in_turn(
                ("jupyterlab", lambda: jupyter.check(image, services)),
                ("spark-connect", lambda: spark_connect.check(image, services)),
            )
    finally:  # their JVMs' CPU back before the GPU check
        await stop_all(started, limits["stop"])
    await check("gpu", lambda: rapids.check_gpu(image, services, gpu))
    result.checks = [outcomes[name] for name in CHECKS]
    return result


def python_layers(layers: list[str], proof: LineProof | None) -> str | None:
    """A digest of the layers an image's Python files come from (Services.pycache_key): with a line proof, its
    prover's, which the image's layers extend (its own features' layers add no Python: jars, settings, a
    kernel spec, a script; tests/test_images.py diffs them); else its own; None where they are not known."""
    shared = proof.prover.layers if proof else layers
    return hashlib.sha256("\n".join(shared).encode()).hexdigest() if shared else None


def _size_check(image: catalog.Image, services: Services, result: ImageResult) -> Callable[[], Awaitable[str]]:
    """The size check, which also records the size in the image's result."""

    async def size() -> str:
        result.size_bytes = await facts.image_size(services)
        return facts.check_size(image, result.size_bytes, result.platform)

    return size


async def _check_emulated(
    image: catalog.Image, services: Services, platform: str, limits: dict[str, float], proof: LineProof | None
) -> ImageResult:
    """EMULATED_CHECKS one after the other (emulation takes the host's cores); the others skipped. With
    a proof, JupyterLab and a Spark session are the prover's: the jupyterlab check lists the kernels,
    and the checks (a process each, no JVM beyond facts' `java -version`) run side by side."""
    result, outcomes = ImageResult(image.name, platform=platform, emulated=True), {}

    size = _size_check(image, services, result)

    runs = {
        "size": size,
        "facts": lambda: facts.check(image, services, platform),
        "advisories": lambda: advisories.check(image, services),
        "jupyterlab": lambda: jupyter.check(image, services),
    }
    if proof is not None:
        runs["jupyterlab"] = lambda: _kernels(image, services, proof)

    async def check(name: str) -> None:
        outcomes[name] = await run_check(name, runs[name], limits[name])

    async with anyio.create_task_group() as beside:
        for name in EMULATED_CHECKS:
            if proof is None:
                await check(name)
            else:
                beside.start_soon(check, name)
    why = f"not run under emulation ({platform}): checked on the engine's own platform, built from the same recipe"
    result.checks = [outcomes.get(name) or CheckResult(name, "skipped", 0.0, why) for name in CHECKS]
    return result


async def _kernels(image: catalog.Image, services: Services, proof: LineProof) -> str:
    """The jupyterlab check of an image on a line proof: its kernelspecs, JupyterLab and its Spark session
    the prover's."""
    return proof.says(await jupyter.check_kernels(image, services))


async def _service_logs(services: Services, commands: list[str | None], limit: float) -> str:
    logs = []
    for command in commands:
        label = command or "default command (JupyterLab)"
        try:
            with anyio.fail_after(limit):
                log = await services.replay_log(*([command] if command else []))
        except (TimeoutError, dagger.DaggerError) as err:
            log = f"(could not replay: {err})"
        logs.append(f"\n--- service log, {label}, replayed for 25s ---\n{log}")
    return "".join(logs)


__all__ = ["CheckResult", "ImageResult", "LineProof", "check_image"]
