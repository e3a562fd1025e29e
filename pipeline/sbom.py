"""SBOMs: every Debian package, Python distribution and jar of an image, as CycloneDX 1.6 JSON, made by
syft from the image's archive (the one its digest was read from), natively whatever its platform.

syft is built here from requirements/sbom/ (go_tools.py)."""

from __future__ import annotations

import dagger

from . import paths, recipe
from .go_tools import SYFT

FORMAT = "cyclonedx-json@1.6"
JARS_TOOL = "pipeline/tools/sbom_jars.py"


def document(
    tools: dagger.Container,
    image: dagger.Container,
    archive: dagger.File,
    name: str,
    digest: str,
    opts: recipe.BuildOptions,
) -> dagger.File:
    """The SBOM of one platform of an image (its container, its archive, its manifest digest), named as the
    image, completed with the jars syft did not catalog (tools/sbom_jars.py)."""
    scan = [
        "/usr/local/bin/syft", "scan", "oci-archive:/archive/image.tar", "--quiet",
        "--source-name", name, "--source-version", digest, "-o", f"{FORMAT}=/archive/sbom.json",
    ]  # fmt: skip
    return (
        tools.with_user("0")
        .with_env_variable("SYFT_CHECK_FOR_APP_UPDATE", "false")  # syft asks the network for a newer syft
        .with_env_variable("SYFT_FILE_METADATA_SELECTION", "none")  # packages, not each of their files
        .with_file("/usr/local/bin/syft", SYFT.binary(opts))
        .with_mounted_file("/archive/image.tar", archive)
        .with_exec(scan)
        .with_mounted_directory("/archive/jars", image.directory(paths.SPARK_JARS))
        .with_mounted_file("/archive/sbom_jars.py", opts.files().file(JARS_TOOL))
        .with_exec(["python3", "/archive/sbom_jars.py", "/archive/sbom.json", "/archive/jars", paths.SPARK_JARS])
        .file("/archive/sbom.json")
    )
