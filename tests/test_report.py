"""The report's three forms and its verdict (pure logic)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from pipeline import report
from pipeline.checks.result import CheckResult, ImageResult
from pipeline.errors import UsageError
from pipeline.report import Failed, verdict

LOG_WITH_CONTROL_CHARACTERS = "\x1b[31mERROR\x1b[0m Kernel died\x00\x07 tab\tok\nlast line \x1b[0m"


def results() -> list[ImageResult]:
    return [
        ImageResult(
            "jupyter-4.1.1",
            [CheckResult("jupyterlab", "passed", 3.0, "ok")],
            size_bytes=1_460_000_000,
            digest="sha256:" + "ab" * 32,
            check_code="sha256:" + "cd" * 32,
            checked_at="2026-11-26T12:00:00+00:00",
            reused=True,
            phases={"engine": 1.0, "build": 40.0, "checks": 0.0, "export": 2.0},
        ),
        ImageResult(
            "jupyter-4.1.1-gpu",
            [
                CheckResult("jupyterlab", "failed", 5.0, LOG_WITH_CONTROL_CHARACTERS),
                CheckResult("gpu", "skipped", 0.0, "no GPU \x1b here"),
            ],
        ),
    ]


def test_junit_is_well_formed_with_control_characters_in_details():
    root = ET.fromstring(report.as_junit(results()))
    failure = root.find(".//testcase[@name='jupyterlab'][@classname='jupyter-4.1.1-gpu']/failure")
    assert failure is not None and "\\x1b[31mERROR" in failure.text and "\\x00\\x07 tab\tok" in failure.text
    assert failure.get("message") == "last line \\x1b[0m"
    assert root.find(".//skipped").get("message") == "no GPU \\x1b here"
    assert [s.get("failures") for s in root.iter("testsuite")] == ["0", "1"]


def test_json_round_trips():
    assert report.from_json(report.as_json(results())) == results()


def test_verdict_counts_passes_and_names_failures():
    passed = [{"image": "jupyter-4.1.1", "verdict": "passed"}, {"image": "jupyter-3.5.7-gpu", "verdict": "passed"}]
    assert verdict(passed) == "2 of 2 images passed"
    failed = [passed[0], {"image": "jupyter-3.5.7-gpu", "verdict": "failed"}]
    with pytest.raises(Failed, match="1 of 2 images failed their checks: jupyter-3.5.7-gpu"):
        verdict(failed)
    with pytest.raises(Failed, match="no images"):
        verdict([])


def test_markdown_shows_each_digest_and_when_reused_results_were_checked():
    md = report.as_markdown(results())
    assert "`sha256:abababababab`" in md
    assert "passed (reused: checked at 2026-11-26T12:00:00+00:00)" in md


def test_verdict_names_each_failed_images_failed_checks_and_refuses_what_is_not_a_report():
    failed = [
        {
            "image": "jupyter-4.1.1-iceberg",
            "verdict": "failed",
            "checks": [{"name": "size", "status": "failed"}, {"name": "facts", "status": "passed"}],
        }
    ]
    with pytest.raises(Failed, match=r"1 of 1 images failed their checks: jupyter-4.1.1-iceberg \(size\)$"):
        verdict(failed)
    for not_a_report in ({"image": "x"}, [{"name": "x"}], ["x"], "report"):
        with pytest.raises(UsageError, match="is not a report.json of this pipeline"):
            verdict(not_a_report)


def test_the_check_record_names_the_shipped_digest_and_every_check_with_what_it_proves():
    from pipeline.checks import record
    from pipeline.limits import CHECK_LIMITS

    assert list(record.PROVES) == list(CHECK_LIMITS)  # every check, once, in the report's order
    files = report.render_all(results())
    assert "jupyter-4.1.1.checks.intoto.json" in files and "jupyter-4.1.1-gpu.checks.intoto.json" not in files
    doc = record.statement([results()[0]])
    assert doc["_type"] == "https://in-toto.io/Statement/v1" and doc["predicateType"] == record.PREDICATE
    assert doc["subject"] == [{"name": "jupyter-4.1.1", "digest": {"sha256": "ab" * 32}}]
    (platform,) = doc["predicate"]["platforms"]
    assert platform["checks"] == [
        {
            "name": "jupyterlab",
            "status": "passed",
            "seconds": 3.0,
            "proves": record.PROVES["jupyterlab"],
            "detail": "ok",
        }
    ]
    assert (platform["checkedAt"], platform["reused"], doc["predicate"]["verdict"]) == (
        "2026-11-26T12:00:00+00:00",
        True,
        "passed",
    )
