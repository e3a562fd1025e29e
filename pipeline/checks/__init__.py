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

    Checks that share nothing run side by side, so that one's waits (a JVM starting, engine I/O) are
    another's working time: the size check (engine I/O) and the Connect server's start beside the
    JupyterLab check (its local kernel's JVM), then the RAPIDS and facts checks (their own processes)
    beside the Connect and Iceberg checks, which share one Connect server."""
    services = Services.for_image(ctr, probes)
    result, outcomes = ImageResult(image.name), {}
    connect: dagger.Service | None = None

    async def start_connect() -> None:
        nonlocal connect
        try:  # if it cannot start, the checks that use it fail
            with anyio.fail_after(limits["spark-connect"]):
                connect = await services.connect.start()
        except (TimeoutError, dagger.DaggerError):
            connect = None

    async def size() -> str:
        result.size_bytes = await facts.image_size(ctr)
        return facts.check_size(image, result.size_bytes)

    async def check(name: str, run: Callable[[], Awaitable[str]]) -> None:
        outcome = await run_check(name, run, limits[name])
        if outcome.status == "failed" and name in SERVICE_LOGS:
            outcome.detail += await _service_logs(services, SERVICE_LOGS[name], limits["service-log"])
        outcomes[name] = outcome

    async def rapids_then_facts() -> None:
        await check("rapids", lambda: rapids.check(image, services))
        await check("facts", lambda: facts.check(image, services))

    try:
        async with anyio.create_task_group() as beside:
            beside.start_soon(start_connect)
            beside.start_soon(check, "size", size)
            await check("jupyterlab", lambda: jupyter.check(image, services))

        async with anyio.create_task_group() as beside:
            beside.start_soon(rapids_then_facts)
            await check("spark-connect", lambda: spark_connect.check(image, services))
            await check("iceberg", lambda: iceberg.check(image, services))
        if connect is not None:  # its JVM's CPU back before the platform check starts its own
            await connect.stop()
            connect = None
        await check("platform", lambda: platform.check(image, services))
        await check("gpu", lambda: rapids.check_gpu(image, services, gpu))
    finally:
        if connect is not None:
            await connect.stop()
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
