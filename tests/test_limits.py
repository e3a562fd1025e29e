"""Waits: one table of defaults, overridable per run (pure logic)."""

from __future__ import annotations

import pytest

from pipeline import limits
from pipeline.matrix import MatrixError


def test_overrides_apply_over_the_defaults():
    waits = limits.parse("build=3600, push=90.5,")
    assert waits["build"] == 3600 and waits["push"] == 90.5
    assert {k: v for k, v in waits.items() if k not in ("build", "push")} == {
        k: v for k, v in limits.DEFAULTS.items() if k not in ("build", "push")
    }
    assert limits.parse("") == limits.DEFAULTS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("biuld=10", "unknown limit 'biuld'"),
        ("build=0", "positive"),
        ("push=soon", "positive"),
        ("build", "positive"),
        ("build=nan", "positive finite number"),  # every wait would fail at once
        ("build=inf", "positive finite number"),  # the bound would silently go
        ("export=-inf", "positive finite number"),
    ],
)
def test_bad_overrides_are_one_clear_error(text, message):
    with pytest.raises(MatrixError, match=message):
        limits.parse(text)
