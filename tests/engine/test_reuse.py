"""Honest reuse, on the real engine: an image's revision (and so its digest) and its check code change
exactly when what they stand for changes."""

from __future__ import annotations

import pytest

from pipeline import catalog, orchestrate, recipe, rendering
from pipeline.limits import DEFAULTS

pytestmark = pytest.mark.engine

DOCSTRING_EDIT = ('"""', '"""An edited docstring. ')


def edited(path: str) -> str:
    return (recipe.ROOT / path).read_text().replace(*DOCSTRING_EDIT, 1)


async def digest(directory) -> str:
    return await directory.digest()


async def test_the_revision_changes_with_what_images_are_made_of_and_nothing_else(client):  # noqa: ARG001
    source = recipe.checkout()
    before = await digest(rendering.image_inputs(source))
    for elsewhere in ("pipeline/report.py", "pipeline/__main__.py", "pipeline/checks/facts.py"):
        after = await digest(rendering.image_inputs(source.with_new_file(elsewhere, edited(elsewhere))))
        assert after == before, f"an edit of {elsewhere} would relabel every image"
    start = "pipeline/files/start.sh"
    changed = source.with_new_file(start, (recipe.ROOT / start).read_text() + "\n# changed\n")
    assert await digest(rendering.image_inputs(changed)) != before


async def test_the_check_code_changes_with_the_checks_and_what_they_hold_an_image_to(client):  # noqa: ARG001
    opts, image = recipe.BuildOptions(), catalog.image("4.1.1", "iceberg")
    held = orchestrate.held_to(image, "linux/amd64", DEFAULTS, False)
    code = await orchestrate.check_code(opts, False, held)
    report = recipe.BuildOptions(
        source=recipe.checkout().with_new_file("pipeline/report.py", edited("pipeline/report.py"))
    )
    assert await orchestrate.check_code(report, False, held) == code
    facts = "pipeline/checks/facts.py"
    checks = recipe.BuildOptions(source=recipe.checkout().with_new_file(facts, edited(facts)))
    assert await orchestrate.check_code(checks, False, held) != code
    lowered = orchestrate.held_to(image, "linux/amd64", DEFAULTS | {"size": 10}, False)
    assert await orchestrate.check_code(opts, False, lowered) != code
