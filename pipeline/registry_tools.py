"""The registry's own tools, for the steps Dagger's publish cannot take: cosign (signing.py: signatures and
attestations beside an image) and crane (publish.push: an image's checked archive copied byte for byte;
shipping.merge: an index of manifests already in the registry, written by reference, so that it lists
them byte for byte). Both are built here (go_tools.py) and run in the tools container, where the
registry must be reachable from the engine's containers, as a CI registry is (the engine's test
registry: offline/engine/registry.yml)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import dagger

from . import recipe, stages
from .go_tools import COSIGN, CRANE

# Each command logs in first where credentials are given: they live in a secret variable and in a file on a
# temporary mount (DOCKER_CONFIG), never in a layer
LOGIN = (
    'if [ -n "${REGISTRY_USER:-}" ]; then\n'
    '  printf %s "$REGISTRY_PASSWORD" | crane auth login "$REGISTRY" -u "$REGISTRY_USER" --password-stdin >/dev/null\n'
    "fi\n"
)


@dataclass(frozen=True)
class Registry:
    """Where the tools read and write, with the publisher's credentials (none for an open registry)."""

    host: str
    username: str | None = None
    password: dagger.Secret | None = None

    def tools(self, opts: recipe.BuildOptions) -> dagger.Container:
        """cosign and crane in the tools container; every command run there sees the registry as it is
        now (never a cached result)."""
        ctr = (
            recipe.built_stage(stages.TOOLS, opts, None)
            .with_file("/usr/local/bin/cosign", COSIGN.binary(opts))
            .with_file("/usr/local/bin/crane", CRANE.binary(opts))
            .with_mounted_temp("/run/registry-auth")
            .with_env_variable("DOCKER_CONFIG", "/run/registry-auth")
            .with_env_variable("REGISTRY", self.host)
            .with_env_variable("REGISTRY_RUN", uuid.uuid4().hex)
        )
        if self.username and self.password:
            ctr = ctr.with_env_variable("REGISTRY_USER", self.username)
            ctr = ctr.with_secret_variable("REGISTRY_PASSWORD", self.password)
        return ctr

    async def crane(self, opts: recipe.BuildOptions, *args: str) -> str:
        """crane's output for one command; dagger.ExecError with its error otherwise."""
        script = LOGIN + 'exec crane "$@"'
        return await self.tools(opts).with_exec(["bash", "-euo", "pipefail", "-c", script, "crane", *args]).stdout()
