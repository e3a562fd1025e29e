"""JupyterLab check: the image's default command serves 8888 with token auth, the promised
kernelspecs, and a PySpark (local) kernel that computes a known result."""

from __future__ import annotations

from .. import feature_layers, matrix
from .services import JUPYTER_URL, Services

BASE_KERNELS = ("python3", "pyspark-local", "pyspark-connect")


def expected_kernels(image: matrix.Image) -> list[str]:
    return [
        *BASE_KERNELS,
        *(k for f in matrix.ordered_features(image.features) for k in feature_layers.FEATURE_KERNELS[f]),
    ]


async def check(image: matrix.Image, services: Services) -> str:
    kernels = ",".join(expected_kernels(image))
    return await services.probe("jupyter_probe.py", JUPYTER_URL, kernels, jupyter=True)


async def check_kernels(image: matrix.Image, services: Services) -> str:
    """The kernelspecs alone (kernels_probe.py): for an emulated image whose JupyterLab and Spark session
    are proven on the image whose layers it shares."""
    return await services.probe("kernels_probe.py", ",".join(expected_kernels(image)))
