"""One image's trouble is that image's failed result, never a lost run (real engine)."""

from __future__ import annotations

import pytest

from pipeline import catalog, limits, orchestrate

pytestmark = pytest.mark.engine


async def test_a_build_over_its_limit_is_a_failed_build(client, opts):
    # a limit no build can meet, not even one answered from the cache
    image = catalog.image("4.1.1", "baseline")
    [timed_out] = await orchestrate.build_and_check_all(
        [image], orchestrate.RunState(opts, limits=limits.DEFAULTS | {"build": 0.001})
    )
    assert [(c.name, c.status, c.detail) for c in timed_out.result.checks] == [
        ("build", "failed", "timed out after 0s")
    ]
    assert not timed_out.result.passed


async def test_an_unexpected_error_fails_that_image_with_its_reason(client, opts):
    # limits without the build's entry: a KeyError inside the pipeline, for every image of the run
    images = [catalog.image("4.1.1", "baseline"), catalog.image("4.1.1", "iceberg")]
    built = await orchestrate.build_and_check_all(images, orchestrate.RunState(opts, limits={}))
    assert [b.image.name for b in built] == ["jupyter-4.1.1", "jupyter-4.1.1-iceberg"]
    for b in built:
        [failure] = b.result.checks
        assert (failure.name, failure.status) == ("pipeline", "failed") and "KeyError: 'build'" in failure.detail
