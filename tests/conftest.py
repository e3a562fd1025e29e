"""Shared fixtures: one real Dagger session (the engine from `make engine`) for the whole run."""

from __future__ import annotations

import os
import shutil
import uuid

import dagger
import pytest
from dagger import dag

from pipeline import assembly, catalog, orchestrate, recipe, registry_tools


def engine_configured() -> bool:
    return bool(os.environ.get("_EXPERIMENTAL_DAGGER_CLI_BIN")) and shutil.which("docker") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Engine tests need `make engine`'s environment. Under `make test` (REQUIRE_ENGINE=1) its absence
    is an error; elsewhere (plain `pytest`, `make unit`) those tests are skipped with the reason."""
    if engine_configured():
        return
    if os.environ.get("REQUIRE_ENGINE") == "1":
        raise pytest.UsageError("REQUIRE_ENGINE=1 but no engine environment (_EXPERIMENTAL_DAGGER_CLI_BIN, docker)")
    for item in items:
        if "engine" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="no engine environment: run through `make test`"))


@pytest.fixture(scope="session")
async def client():
    async with dagger.connection(dagger.Config(log_output=None)):
        yield


@pytest.fixture(scope="session")
def opts() -> recipe.BuildOptions:
    return recipe.BuildOptions()


@pytest.fixture(scope="session")
async def native(client) -> str:  # noqa: ARG001 - the session must be open
    """The engine's own platform: what builds get when none is asked for."""
    return await orchestrate.engine_platform()


@pytest.fixture(scope="session")
def build(client, opts, native):  # noqa: ARG001 - the session must be open
    """Build an image of the matrix (Dagger dedupes shared layers across calls)."""

    def _build(spark_version: str, variant: str) -> tuple[catalog.Image, dagger.Container]:
        image = catalog.image(spark_version, variant)
        return image, assembly.build(image, opts, native)

    return _build


@pytest.fixture(scope="session")
def in_engine_registry() -> str:
    """The engine's registry as the engine's containers reach it (offline/engine/registry.yml): where a test
    publishes what cosign, in a container, signs and verifies."""
    return "10.87.0.1:5000"


@pytest.fixture(scope="session")
def key_pair(client, opts, in_engine_registry):  # noqa: ARG001 - the session must be open
    """New cosign key pairs, as a publisher makes one (cosign generate-key-pair): the private key as a secret."""

    async def _key_pair(password: str) -> tuple[dagger.Secret, dagger.File]:
        made = (
            registry_tools.Registry(in_engine_registry)
            .tools(opts)
            .with_env_variable("COSIGN_PASSWORD", password)
            .with_env_variable("KEY_PAIR", uuid.uuid4().hex)  # a new one each time
            .with_workdir("/keys")
            .with_exec(["cosign", "generate-key-pair"])
        )
        private = dag.set_secret(f"cosign-key-{uuid.uuid4().hex}", await made.file("cosign.key").contents())
        return private, made.file("cosign.pub")

    return _key_pair
