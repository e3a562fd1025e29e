"""JupyterLab check: the image's default command serves 8888 with token auth under JupyterHub's base URL
(services.BASE_URL), the promised kernelspecs, a PySpark (local) kernel that computes a known result,
and that session's Spark UI at the base URL's spark-ui/, behind the token."""

from __future__ import annotations

from .. import catalog, feature_layers
from .services import JUPYTER_URL, Services

BASE_KERNELS = ("python3", "pyspark-local", "pyspark-connect")


def expected_kernels(image: catalog.Image) -> list[str]:
    return [
        *BASE_KERNELS,
        *(k for f in catalog.ordered_features(image.features) for k in feature_layers.FEATURE_KERNELS[f]),
    ]


async def check(image: catalog.Image, services: Services) -> str:
    kernels = ",".join(expected_kernels(image))
    return await services.probe("jupyter_probe.py", JUPYTER_URL, kernels, jupyter=True)


async def check_kernels(image: catalog.Image, services: Services) -> str:
    """The kernelspecs alone (kernels_probe.py): for an emulated image whose JupyterLab and Spark session
    are proven on the image whose layers it shares."""
    return await services.probe("kernels_probe.py", ",".join(expected_kernels(image)))
