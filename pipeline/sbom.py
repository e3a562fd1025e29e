"""SBOMs: every Debian package, Python distribution and jar of an image, as CycloneDX 1.6 JSON, made by
syft from the image's archive (the one its digest was read from), natively whatever its platform.

syft is built here, on the engine's platform, from requirements/sbom/ (its go.mod and go.sum pin syft
and every module it is built from): Debian's Go fetches the pinned Go toolchain as a module from the Go
module proxy (verified against Go's checksum database), which builds syft with the go.sum checked."""

from __future__ import annotations

import dagger

from . import paths, recipe
from .recipe import PIP_CACHE, Copy, Layer, Run, Stage, apt_install
from .stages import OUT, TOOLS

GO_TOOLCHAIN = "go1.26.8"  # the Go that requirements/sbom/go.mod names (syft v1.57 needs it)
SYFT = "github.com/anchore/syft/cmd/syft"
FORMAT = "cyclonedx-json@1.6"
LOCK = "requirements/sbom"
JARS_TOOL = "pipeline/tools/sbom_jars.py"
BUILD = f"""
export GOMODCACHE={PIP_CACHE}/go-mod GOCACHE={PIP_CACHE}/go-build GOTOOLCHAIN=local CGO_ENABLED=0
toolchain=golang.org/toolchain@v0.0.1-{GO_TOOLCHAIN}.linux-$(dpkg --print-architecture)
goroot=$(cd /tmp && GOFLAGS=-modcacherw go mod download -json "$toolchain" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
chmod -R u+x "$goroot/bin" "$goroot/pkg/tool"  # module zips carry no exec bits
cd /src/sbom
GOFLAGS=-mod=readonly "$goroot/bin/go" build -trimpath -ldflags=-s -o {OUT}/syft {SYFT}
"""
TOOL = Stage(
    "sbom-tool",
    TOOLS,  # python3 and the CA set-up are there already
    Layer(
        args=("DEBIAN_MIRROR", "GOPROXY"),
        steps=(
            apt_install("golang-go"),
            Copy(f"{LOCK}/go.mod", "/src/sbom/go.mod"),
            Copy(f"{LOCK}/go.sum", "/src/sbom/go.sum"),
            Run(BUILD, cache=PIP_CACHE),
        ),
    ),
)


def syft(opts: recipe.BuildOptions) -> dagger.File:
    return recipe.built_stage(TOOL, opts, None).file(f"{OUT}/syft")


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
        .with_file("/usr/local/bin/syft", syft(opts))
        .with_mounted_file("/archive/image.tar", archive)
        .with_exec(scan)
        .with_mounted_directory("/archive/jars", image.directory(paths.SPARK_JARS))
        .with_mounted_file("/archive/sbom_jars.py", opts.files().file(JARS_TOOL))
        .with_exec(["python3", "/archive/sbom_jars.py", "/archive/sbom.json", "/archive/jars", paths.SPARK_JARS])
        .file("/archive/sbom.json")
    )
