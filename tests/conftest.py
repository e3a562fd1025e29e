"""Shared fixtures: one real Dagger session (the engine from `make engine`) for the whole run."""

from __future__ import annotations

import os
import shutil

import dagger
import pytest

from pipeline import assembly, catalog, orchestrate, recipe


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
