"""RAPIDS checks: the jar's shim and explainOnly planning (no GPU needed), and real GPU
execution where the engine's host has a GPU and the run asks for it (--gpu)."""

from __future__ import annotations

from .. import catalog, paths
from ..limits import DEFAULTS
from .result import Skip
from .services import Services

# where the probes find what the rapids layer wrote (they import nothing of the pipeline)
PROBE_PATHS = ("--jar", paths.RAPIDS_JAR, "--kernels", paths.KERNELS)


async def check(image: catalog.Image, services: Services, within: float = DEFAULTS["rapids"]) -> str:
    """within: the check's limit, which the probe's Spark sessions share."""
    if not image.rapids:
        raise Skip("no RAPIDS in this image")
    shim = image.rapids_shim_override or image.spark.version
    # the CPU-side fallback for a failed explainOnly session only where the matrix marks the release
    explain_needs_gpu = "yes" if image.line.rapids.explain_needs_gpu else "no"
    return await services.probe("rapids_probe.py", shim, explain_needs_gpu, *PROBE_PATHS, "--within", str(within))


async def check_gpu(image: catalog.Image, services: Services, host_gpu: bool) -> str:
    if not image.rapids:
        raise Skip("no RAPIDS in this image")
    if not host_gpu:
        raise Skip("no GPU on the engine host (pass --gpu where it has one): Gpu* plans not checked")
    ctr = services.runner().experimental_with_all_gp_us()
    return await ctr.with_exec(["python", "gpu_probe.py"]).stdout()
