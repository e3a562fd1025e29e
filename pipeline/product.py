"""What the product is, declared: the features a variant adds, the variants as sets of them, the
platforms images are built for, the Python and Jupyter versions every image has. Release facts are
releases.py's; the images and what is built of them, catalog.py's."""

from __future__ import annotations

from typing import Final, Literal, get_args

from . import python_deps

# A feature is what a variant adds to the baseline image; a variant is a named set of features.
# "gpu" is the user-facing name of the rapids feature set; whether the engine's host has a GPU is
# a run option (--gpu), never a property of an image.
Feature = Literal["rapids", "iceberg"]


FEATURES: Final[tuple[Feature, ...]] = get_args(Feature)  # also the order of their layers


Variant = Literal["baseline", "gpu", "iceberg", "gpu-iceberg"]


VARIANT_FEATURES: Final[dict[Variant, frozenset[Feature]]] = {
    "baseline": frozenset(),
    "gpu": frozenset({"rapids"}),
    "iceberg": frozenset({"iceberg"}),
    "gpu-iceberg": frozenset({"rapids", "iceberg"}),
}


VARIANTS: Final[tuple[Variant, ...]] = tuple(VARIANT_FEATURES)


# Platforms the images are built for, one multi-platform image (OCI index) per name. The engine's own
# platform (dag.default_platform(), asked at run time: amd64 on most CI runners, arm64 on Apple silicon
# and Graviton) is native; another is built from the same recipe and checked under emulation (QEMU
# user-mode, set up by `make engine`), its platform-independent work done natively (cross-building).
PLATFORMS: Final = ("linux/amd64", "linux/arm64")


ALL_PLATFORMS: Final = "all"  # --platform all


PYTHON_VERSION: Final = "3.11"  # Debian bookworm's python3


JUPYTERLAB_VERSION: Final = python_deps.common_pin("jupyterlab")  # pinned in requirements/jupyter-*.in


JUPYTERHUB_VERSION: Final = python_deps.common_pin("jupyterhub")  # jupyterhub-singleuser
