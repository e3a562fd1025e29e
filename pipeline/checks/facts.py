"""Image facts: size within its budget, the user it runs as, no build CA left, labels that match what
is inside, the architecture its platform names (in its config, running, and in the RAPIDS jar's
native code)."""

from __future__ import annotations

import json

from dagger import dag

from .. import assembly, catalog, paths, publish
from .result import CheckFailed
from .services import Services

CAS_LEFT = "build-cas-left"
BUILT_FOR = ("architecture", "rapids-native")  # facts of the platform, not of a label
P = assembly.LABEL_PREFIX
LAYER_SIZES = "/var/cache/layer-sizes"  # uncompressed size of each layer counted, by its digest


async def image_size(services: Services) -> int:
    """Bytes of the image's uncompressed layers (what `docker images` reports, near enough), counted
    from the archive its digest was read from: no second, uncompressed archive kept in the engine.
    Layer sizes are kept by digest (LAYER_SIZES), so layers that images share are inflated once."""
    tarball = publish.tarball([services.image])
    # natively where the checks have a tool container (an emulated image's own Python inflates at QEMU's pace)
    tool = services.tools.with_mounted_directory("/probes", services.probes) if services.tools else services.runner()
    ctr = (
        tool.with_user("0")
        .with_workdir("/probes")
        .with_mounted_file("/probe-inputs/image.tar", tarball)
        .with_mounted_cache(LAYER_SIZES, dag.cache_volume("check-layer-sizes"))
    )
    size = ["python3", "oci_archive.py", "size", "/probe-inputs/image.tar", LAYER_SIZES]
    return int(await ctr.with_exec(size).stdout())


def expected_facts(image: catalog.Image, labels: dict[str, str], platform: str) -> dict[str, object]:
    """What facts_probe.py must find, derived from the image's labels and the platform it was built for."""
    return {
        "architecture": catalog.arch(platform),
        "uid": paths.NB_UID,
        "user": paths.NB_USER,
        "spark": labels[f"{P}.spark.version"],
        "pyspark": labels[f"{P}.spark.version"],
        "scala": labels[f"{P}.scala.version"],
        "java": labels[f"{P}.java.version"],
        "python": labels[f"{P}.python.version"],
        "jupyterlab": labels[f"{P}.jupyterlab.version"],
        "jupyterhub": labels[f"{P}.jupyterhub.version"],
        "iceberg": labels.get(f"{P}.iceberg.version"),
        "spark-connect": labels.get(f"{P}.spark-connect.version", labels[f"{P}.spark.version"]),
        "rapids": labels.get(f"{P}.rapids.version"),
        # the RAPIDS jar's native code (cuDF) for the JVM's architecture: the platform's build of the jar
        "rapids-native": [catalog.jvm_arch(platform)] if f"{P}.rapids.version" in labels else None,
        # CAs left from the build: Java keystore entries, bundle certificates, links (facts_probe.build_cas_left)
        CAS_LEFT: [],
    }


def _gb(size: int) -> str:
    return f"{size / 1e9:.2f} GB"


def check_size(image: catalog.Image, size: int, platform: str) -> str:
    """The image within its budget: the baseline's (under the work order's 3 GB) plus what its variant
    adds on the platform (a RAPIDS jar's size is its platform's build's)."""
    limit, parts = catalog.budget(image, platform), catalog.budget_parts(image, platform)
    said = f"budget {_gb(limit)}" + (
        " = " + " + ".join(f"{name} {_gb(part)}" for name, part in parts)
        if len(parts) > 1
        else f" (baseline; the work order's ceiling is {_gb(catalog.BASELINE_CEILING)})"
    )
    if size > limit:
        raise CheckFailed(f"{image.name} is {_gb(size)} uncompressed ({size} bytes), over its {said}")
    return f"{_gb(size)} uncompressed, within its {said}"


async def check(image: catalog.Image, services: Services, platform: str) -> str:
    # the labels and platform as the built image carries them, read back from its config
    labels = {name: await services.image.label(name) for name in assembly.labels(image)}
    configured = str(await services.image.platform())
    inputs = services.image.directory("/etc/ssl/certs")  # the bundle, Java's keystore, the links
    where = ("--jars", paths.SPARK_JARS, "--rapids-jar", paths.RAPIDS_JAR)
    found = json.loads(await services.probe("facts_probe.py", *where, inputs=inputs))
    expected = expected_facts(image, labels, platform)
    wrong = [
        f"{k}: {'built for' if k in BUILT_FOR else 'label says'} {v!r}, image has {found.get(k)!r}"
        for k, v in expected.items()
        if k != CAS_LEFT and found.get(k) != v
    ]
    if configured != platform:
        wrong.append(f"platform: built for {platform}, the image's config says {configured}")
    if platform not in labels[f"{P}.platforms"].split(","):
        wrong.append(f"platforms: label says {labels[f'{P}.platforms']!r}, without {platform}, the image's")
    problems = ["labels do not match the image: " + "; ".join(wrong)] if wrong else []
    if (left := found.get(CAS_LEFT)) != expected[CAS_LEFT]:
        problems.append(
            f"{CAS_LEFT}: CAs trusted while building are left in the image (Java's keystore, the CA bundle or "
            "/etc/ssl/certs; expected none): " + (", ".join(map(str, left)) if isinstance(left, list) else repr(left))
        )
    if problems:
        raise CheckFailed("\n".join(problems))
    user = f"{paths.NB_USER} (uid {paths.NB_UID})"
    return f"{platform}; runs as {user}; no build CA left; labels match: " + json.dumps(found)
