"""RAPIDS checks: the jar's shim and explainOnly planning (no GPU needed), and real GPU
execution where the engine has a GPU and the run asks for it."""

from __future__ import annotations

from .. import matrix
from .result import Skip
from .services import Services


async def check(image: matrix.Image, services: Services) -> str:
    if not image.gpu:
        raise Skip("not a GPU image")
    shim = image.rapids_shim_override or image.spark.version
    # the CPU-side fallback for a failed explainOnly session only where the matrix marks the release
    return await services.probe("rapids_probe.py", shim, "yes" if image.line.rapids.explain_needs_gpu else "no")


async def check_gpu(image: matrix.Image, services: Services, gpu: bool) -> str:
    if not image.gpu:
        raise Skip("not a GPU image")
    if not gpu:
        raise Skip("no GPU on the engine host (pass --gpu where it has one): Gpu* plans not checked")
    ctr = services.runner().experimental_with_all_gp_us()
    return await ctr.with_exec(["python", "gpu_probe.py"]).stdout()
