"""Image facts: size (baseline under 3 GB), the user it runs as, no build CA left, labels that match what is inside."""

from __future__ import annotations

import json

import dagger

from .. import images, matrix
from .services import Services

BASELINE_LIMIT = 3 * 10**9  # the work order's hard limit for baseline images
P = images.LABEL_PREFIX


async def image_size(ctr: dagger.Container) -> int:
    """Bytes of the image's uncompressed layers (what `docker images` reports, near enough)."""
    tarball = ctr.as_tarball(forced_compression=dagger.ImageLayerCompression.Uncompressed)
    return await tarball.size()


def expected_facts(image: matrix.Image, labels: dict[str, str]) -> dict[str, object]:
    """What facts_probe.py must find, derived from the image's labels."""
    return {
        "uid": 1000,
        "user": "jovyan",
        "spark": labels[f"{P}.spark.version"],
        "pyspark": labels[f"{P}.spark.version"],
        "scala": labels[f"{P}.scala.version"],
        "java": labels[f"{P}.java.version"],
        "python": labels[f"{P}.python.version"],
        "jupyterlab": labels[f"{P}.jupyterlab.version"],
        "iceberg": labels.get(f"{P}.iceberg.version"),
        "spark-connect": labels.get(f"{P}.spark-connect.version", labels[f"{P}.spark.version"]),
        "rapids": labels.get(f"{P}.rapids.version"),
        "build-cas-left": 0,
    }


def check_size(image: matrix.Image, size: int) -> str:
    if image.variant == "baseline":
        assert size < BASELINE_LIMIT, f"baseline image is {size / 1e9:.2f} GB, over the 3 GB limit"
    return f"{size / 1e9:.2f} GB uncompressed" + (" (baseline limit 3 GB)" if image.variant == "baseline" else "")


async def check(image: matrix.Image, services: Services) -> str:
    # the labels as the built image carries them, read back from its config
    labels = {name: await services.image.label(name) for name in images.labels(image)}
    inputs = (
        dagger.dag.directory()
        .with_file("cacerts", services.image.file("/etc/ssl/certs/java/cacerts"))
        .with_file("ca-certificates.crt", services.image.file("/etc/ssl/certs/ca-certificates.crt"))
    )
    found = json.loads(await services.probe("facts_probe.py", inputs=inputs))
    expected = expected_facts(image, labels)
    wrong = {k: f"label says {v!r}, image has {found.get(k)!r}" for k, v in expected.items() if found.get(k) != v}
    assert not wrong, "labels do not match the image: " + "; ".join(f"{k}: {v}" for k, v in wrong.items())
    return "runs as jovyan (uid 1000); no build CA left; labels match: " + json.dumps(found)
