"""The advisories' decisions (pipeline/advisories.json), the check's verdict on an image's jars, and the
OpenVEX documents that state them."""

from __future__ import annotations

import json

import pytest

from pipeline import catalog, releases, report, vex
from pipeline.checks import advisories
from pipeline.checks.result import CheckFailed, CheckResult, ImageResult

JARS = {
    "3.5": ["derby-10.14.2.0.jar"],
    "4.1": ["derby-10.16.1.1.jar", "derbyshared-10.16.1.1.jar", "derbytools-10.16.1.1.jar"],
}
OTHERS = ["spark-core_2.13-4.1.1.jar", "hive-metastore-2.3.10.jar", "derbyclient.txt"]
# the spec's values (https://github.com/openvex/spec, v0.2.0)
STATUSES = {"not_affected", "affected", "fixed", "under_investigation"}
JUSTIFICATIONS = {
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
}


def test_every_decision_is_complete_and_in_openvex_terms():
    for name, entry in advisories.advisories().items():
        assert {"summary", "url", "artifacts", "jars", "decision", "status", "why"} <= entry.keys(), name
        assert entry["status"] in STATUSES and entry["decision"] in ("kept", "replaced"), name
        if entry["status"] == "not_affected":
            assert entry["justification"] in JUSTIFICATIONS, name
        assert set(entry["jars"]) <= set(releases.LINES), name
        for jars in entry["jars"].values():
            assert all(advisories.jar_pattern(entry).fullmatch(jar) for jar in jars), name


@pytest.mark.parametrize("version", ["3.5.7", "4.1.1"])
def test_the_jars_decided_on_pass_and_the_detail_says_the_decision(version):
    image = catalog.image(version, "baseline")
    detail = advisories.verdict(image, JARS[image.spark.line] + OTHERS)
    assert detail.startswith(f"CVE-2022-46337 ({', '.join(JARS[image.spark.line])}): kept, not_affected: ")


@pytest.mark.parametrize(
    ("jars", "said"),
    [
        (["derby-10.16.1.2.jar", "derbyshared-10.16.1.1.jar", "derbytools-10.16.1.1.jar"], "derby-10.16.1.2.jar"),
        (["derbyshared-10.16.1.1.jar", "derbytools-10.16.1.1.jar"], "holds ['derbyshared"),
        ([*JARS["4.1"], "derbynet-10.16.1.1.jar"], None),  # not one of the advisory's artifacts
        ([*JARS["4.1"], "derby-10.14.2.0.jar"], "derby-10.14.2.0.jar"),
    ],
)
def test_jars_no_decision_covers_fail_naming_them(jars, said):
    image = catalog.image("4.1.1", "gpu")
    if said is None:
        assert advisories.verdict(image, jars).startswith("CVE-2022-46337")
        return
    with pytest.raises(CheckFailed, match="review the decision in pipeline/advisories.json") as err:
        advisories.verdict(image, jars)
    assert said in str(err.value)


def passed(name: str, platform: str, digest: str, index: str | None = None) -> ImageResult:
    checks = [CheckResult("advisories", "passed", 0.1, "x")]
    return ImageResult(name, checks, platform, digest=digest, index=index, checked_at="2026-12-04T10:00:00Z")


def test_the_vex_document_names_the_shipped_digest_and_each_jar_as_a_package_url():
    index = "sha256:" + "a" * 64
    results = [
        passed("jupyter-4.1.1-gpu", "linux/amd64", "sha256:" + "1" * 64, index),
        passed("jupyter-4.1.1-gpu", "linux/arm64", "sha256:" + "2" * 64, index),
    ]
    files = vex.documents(results)
    assert list(files) == ["jupyter-4.1.1-gpu.openvex.json"]
    doc = json.loads(files["jupyter-4.1.1-gpu.openvex.json"])
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0" and doc["version"] == 1
    assert doc["timestamp"] == "2026-12-04T10:00:00Z" and doc["author"]
    (statement,) = doc["statements"]
    assert statement["vulnerability"]["name"] == "CVE-2022-46337"
    assert statement["status"] == "not_affected" and statement["justification"] in JUSTIFICATIONS
    (product,) = statement["products"]
    assert product["@id"] == f"pkg:oci/jupyter-4.1.1-gpu@sha256%3A{'a' * 64}"
    assert [s["@id"] for s in product["subcomponents"]] == [
        "pkg:maven/org.apache.derby/derby@10.16.1.1",
        "pkg:maven/org.apache.derby/derbyshared@10.16.1.1",
        "pkg:maven/org.apache.derby/derbytools@10.16.1.1",
    ]


def test_no_vex_document_for_an_image_that_did_not_pass_everywhere():
    failed = passed("jupyter-3.5.7", "linux/arm64", "sha256:" + "2" * 64)
    failed.checks = [CheckResult("facts", "failed", 0.1, "broken")]
    results = [passed("jupyter-3.5.7", "linux/amd64", "sha256:" + "1" * 64), failed]
    assert vex.documents(results) == {}
    assert "jupyter-3.5.7.openvex.json" not in report.render_all(results)
    assert "jupyter-3.5.7.openvex.json" in report.render_all(results[:1])


def test_the_report_shows_the_decisions_once_for_the_images_they_hold_for():
    detail = advisories.verdict(catalog.image("4.1.1", "baseline"), JARS["4.1"])
    results = [passed(f"jupyter-4.1.1{v}", "linux/amd64", "sha256:" + "1" * 64) for v in ("", "-gpu")]
    for r in results:
        r.checks = [CheckResult("advisories", "passed", 0.1, detail)]
    markdown = report.as_markdown(results)
    assert markdown.count("CVE-2022-46337") == 1
    assert "### Advisories decided for jupyter-4.1.1, jupyter-4.1.1-gpu" in markdown
