"""Checks that prove an image works, run in the engine against services of the image itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import dagger

from .. import matrix
from ..limits import DEFAULTS
from . import facts, iceberg, jupyter, platform, rapids, spark_connect
from .result import CheckResult, ImageResult, run_check
from .services import Services

CHECKS = (
    "size",
    "jupyterlab",
    "spark-connect",
    "iceberg",
    "platform",
    "rapids",
    "gpu",
    "facts",
)  # in the report's order
# which service's log explains a failure of each check (None: the default command, JupyterLab)
SERVICE_LOGS = {
    "jupyterlab": [None],
    "spark-connect": [None, "start-connect-server.sh"],
    "iceberg": ["start-connect-server.sh"],
}


async def check_image(
    image: matrix.Image,
    ctr: dagger.Container,
    probes: dagger.Directory,
    *,
    gpu: bool = False,
    limits: dict[str, float] = DEFAULTS,
) -> ImageResult:
    """Run every check on one built image with the probe scripts given. A failing check never stops the others.

    Checks run side by side, so that one's waits (a JVM starting, engine I/O) are another's working
    time. The Connect server and JupyterLab (bound to it) are started once: JupyterLab serves the
    JupyterLab and Connect checks (one after the other: one kernel at a time), the Connect server
    those and the Iceberg check (as soon as it is up) and, on images without Iceberg, the platform
    check's redaction proof (platform.py); the size check (engine I/O), the platform check and the
    RAPIDS and facts checks (their own processes) run beside them."""
    services = Services.for_image(ctr, probes, iceberg=image.iceberg)
    result, outcomes = ImageResult(image.name), {}
    started: list[dagger.Service] = []

    async def start(service: dagger.Service, limit: float) -> None:
        try:  # if it cannot start, the checks that use it fail (and say why)
            with anyio.fail_after(limit):
                started.append(await service.start())
        except (TimeoutError, dagger.DaggerError):
            pass

    async def size() -> str:
        result.size_bytes = await facts.image_size(ctr)
        return facts.check_size(image, result.size_bytes)

    async def check(name: str, run: Callable[[], Awaitable[str]]) -> None:
        outcome = await run_check(name, run, limits[name])
        if outcome.status == "failed" and name in SERVICE_LOGS:
            outcome.detail += await _service_logs(services, SERVICE_LOGS[name], limits["service-log"])
        outcomes[name] = outcome

    async def in_turn(*runs: tuple[str, Callable[[], Awaitable[str]]]) -> None:
        for name, run in runs:
            await check(name, run)

    rapids_then_facts = (
        ("rapids", lambda: rapids.check(image, services)),
        ("facts", lambda: facts.check(image, services)),
    )
    try:
        async with anyio.create_task_group() as beside:
            beside.start_soon(start, services.connect, limits["spark-connect"])
            beside.start_soon(start, services.jupyter, limits["jupyterlab"])  # waits for the Connect server
            beside.start_soon(check, "size", size)
            beside.start_soon(check, "platform", lambda: platform.check(image, services))
            beside.start_soon(in_turn, *rapids_then_facts)
            beside.start_soon(check, "iceberg", lambda: iceberg.check(image, services))  # needs no JupyterLab
            await in_turn(
                ("jupyterlab", lambda: jupyter.check(image, services)),
                ("spark-connect", lambda: spark_connect.check(image, services)),
            )
    finally:  # their JVMs' CPU back before the GPU check
        for service in reversed(started):
            await service.stop()
    await check("gpu", lambda: rapids.check_gpu(image, services, gpu))
    result.checks = [outcomes[name] for name in CHECKS]
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


__all__ = ["CheckResult", "ImageResult", "check_image"]
