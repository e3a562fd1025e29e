"""Checks that prove an image works, run in the engine against services of the image itself."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Awaitable, Callable

import anyio
import dagger

from .. import catalog
from ..limits import CHECK_LIMITS, DEFAULTS, for_platform
from . import advisories, cluster, facts, iceberg, jupyter, rapids, spark_connect, updates
from . import any_uid
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
    """An emulated image of the same Spark line and platform whose JupyterLab and local Spark session
    passed, and this image's own layers beyond the ones it shares with it."""

    prover: ImageResult
    own_layers: list[str]

    def says(self, listed: str) -> str:
        p, own = self.prover, ", ".join(digest[:19] for digest in self.own_layers)
        return (
            f"{listed.strip()}\nJupyterLab and a local Spark session: proven under emulation on {p.label} "
            f"(checked at {p.checked_at}), whose {len(p.layers)} layers this image shares; this image's own "
            f"{len(self.own_layers)} layers ({own}) are proven here: their kernels above, their jars, native "
            "code and labels by facts"
        )


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
) -> ImageResult:
    """Run every check on one built image (one platform of it) with the probe scripts given. A failing
    check never stops the others.

    Checks run side by side, so that one's waits (a JVM starting, engine I/O) are another's working
    time. The Connect server and JupyterLab (bound to it) are started once: JupyterLab serves the
    JupyterLab and Connect checks (one after the other: one kernel at a time), the Connect server
    those and the Iceberg check (as soon as it is up) and, on images without Iceberg, the any-uid
    check's redaction proof (any_uid.py); the size check (engine I/O), the any-uid check and the
    RAPIDS and facts checks (their own processes) run beside them."""
    services = await Services.for_image(ctr, probes, iceberg=image.iceberg, tools=tools).read()
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

    async def start(service: dagger.Service, limit: float) -> None:
        try:  # if it cannot start, the checks that use it fail (and say why)
            with anyio.fail_after(limit):
                started.append(await service.start())
        except (TimeoutError, dagger.DaggerError):
            pass

    size = _size_check(image, services, result)

    async def check(name: str, run: Callable[[], Awaitable[str]]) -> None:
        outcome = await run_check(name, run, limits[name])
        if outcome.status == "failed" and name in SERVICE_LOGS:
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
            beside.start_soon(start, services.connect, limits["spark-connect"])
            beside.start_soon(start, services.jupyter, limits["jupyterlab"])  # waits for the Connect server
            beside.start_soon(check, "size", size)
            beside.start_soon(check, "any-uid", lambda: any_uid.check(image, services))
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

        async def kernels() -> str:
            return proof.says(await jupyter.check_kernels(image, services))

        runs["jupyterlab"] = kernels

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
