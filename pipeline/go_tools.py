"""The pipeline's Go tools (syft for SBOMs, cosign for signatures, crane for indexes), each built here, on
the engine's platform, from its own folder in requirements/ (a go.mod and go.sum that pin the tool and
every module it is built from): Debian's Go fetches the pinned Go toolchain as a module from the Go module
proxy (verified against Go's checksum database), which builds the tool with the go.sum checked. Refresh
one with `go get -tool PACKAGE@VERSION` in its folder (and GO_TOOLCHAIN if its go.mod names a newer Go)."""

from __future__ import annotations

from dataclasses import dataclass

import dagger

from . import recipe
from .recipe import PIP_CACHE, Copy, Layer, Run, Stage, apt_install
from .stages import OUT, TOOLS

GO_TOOLCHAIN = "go1.26.8"  # the Go that the tools' go.mod files name (syft v1.57 needs it)


@dataclass(frozen=True)
class GoTool:
    name: str  # the binary's name
    package: str  # the Go package that builds it
    lock: str  # its folder in requirements/ (go.mod, go.sum)

    @property
    def stage(self) -> Stage:
        build = f"""
export GOMODCACHE={PIP_CACHE}/go-mod GOCACHE={PIP_CACHE}/go-build GOTOOLCHAIN=local CGO_ENABLED=0
toolchain=golang.org/toolchain@v0.0.1-{GO_TOOLCHAIN}.linux-$(dpkg --print-architecture)
goroot=$(cd /tmp && GOFLAGS=-modcacherw go mod download -json "$toolchain" \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
chmod -R u+x "$goroot/bin" "$goroot/pkg/tool"  # module zips carry no exec bits
cd /src/{self.name}
GOFLAGS=-mod=readonly "$goroot/bin/go" build -trimpath -ldflags=-s -o {OUT}/{self.name} {self.package}
"""
        copies = tuple(Copy(f"{self.lock}/{file}", f"/src/{self.name}/{file}") for file in ("go.mod", "go.sum"))
        steps = (apt_install("golang-go"), *copies, Run(build, cache=PIP_CACHE))
        # TOOLS: python3 and the CA set-up are there already
        return Stage(f"{self.name}-tool", TOOLS, Layer(args=("DEBIAN_MIRROR", "GOPROXY"), steps=steps))

    def binary(self, opts: recipe.BuildOptions) -> dagger.File:
        return recipe.built_stage(self.stage, opts, None).file(f"{OUT}/{self.name}")


SYFT = GoTool("syft", "github.com/anchore/syft/cmd/syft", "requirements/sbom")
COSIGN = GoTool("cosign", "github.com/sigstore/cosign/v3/cmd/cosign", "requirements/cosign")
CRANE = GoTool("crane", "github.com/google/go-containerregistry/cmd/crane", "requirements/crane")
