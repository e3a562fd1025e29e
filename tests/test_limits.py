"""Waits: one table of defaults, overridable per run (pure logic)."""

from __future__ import annotations

import anyio
import pytest

from pipeline import limits
from pipeline.checks.result import run_check
from pipeline.checks.services import without_sbin
from pipeline.errors import UsageError


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
        ("cluster=-1", r"\(or 0 to skip the check\)"),
    ],
)
def test_bad_overrides_are_one_clear_error(text, message):
    with pytest.raises(UsageError, match=message):
        limits.parse(text)


def test_a_checks_limit_of_zero_skips_it_and_says_so():
    waits = limits.parse("cluster=0")
    assert waits["cluster"] == 0 and set(limits.CHECK_LIMITS) <= set(waits)
    with pytest.raises(UsageError, match="positive finite number$"):  # a wait is not a check: never 0
        limits.parse("stop=0")

    async def never() -> str:
        raise AssertionError("a skipped check must not run")

    outcome = anyio.run(run_check, "cluster", never, waits["cluster"])
    assert (outcome.status, outcome.detail) == ("skipped", "skipped at the caller's request (--limits cluster=0)")


def test_a_check_runs_path_keeps_every_folder_but_the_systems_sbin_ones():
    """Services.path: the engine's CA hook finds no update-ca-certificates, the rest is the image's, Spark's
    sbin (its start scripts: start-connect-server.sh) included."""
    image_path = (
        "/opt/venv/bin:/opt/spark/bin:/opt/spark/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    )
    assert without_sbin(image_path) == "/opt/venv/bin:/opt/spark/bin:/opt/spark/sbin:/usr/local/bin:/usr/bin:/bin"
    assert without_sbin("/usr/bin:/sbin/:/opt/sbinx/bin") == "/usr/bin:/opt/sbinx/bin"
