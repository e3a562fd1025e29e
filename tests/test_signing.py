"""What `verify` makes of the statements cosign verified (pure logic; the signing itself, against the
engine's registry: tests/test_images.py)."""

from __future__ import annotations

import base64
import json

import pytest

from pipeline import provenance, signing
from pipeline.checks import record
from pipeline.report import Failed

DIGEST = "sha256:" + "ab" * 32


def statement(kind: str, predicate: dict) -> dict:
    return {"_type": provenance.STATEMENT, "subject": [{"name": "x", "digest": {"sha256": "ab" * 32}}],
            "predicateType": kind, "predicate": predicate}  # fmt: skip


def checks(verdict: str) -> dict:
    return statement(
        record.PREDICATE,
        {
            "verdict": verdict,
            "platforms": [
                {"platform": "linux/amd64", "digest": DIGEST, "checks": [{"status": "passed"}, {"status": "skipped"}]}
            ],
        },
    )


def test_a_verified_image_is_summed_up_from_its_statements():
    sbom = statement(signing.CYCLONEDX, {"metadata": {"component": {"version": DIGEST}}, "components": [{}] * 3})
    made = statement(
        provenance.PREDICATE,
        {"buildDefinition": {"resolvedDependencies": [{}] * 5}, "runDetails": {"builder": {"id": "https://b/1"}}},
    )
    said = signing.summary("r/x:1", [checks("passed"), sbom, made])
    assert said.splitlines() == [
        "r/x:1: signature verified (offline, with the given public key)",
        f"check record: linux/amd64 {DIGEST}: 1 passed, 1 skipped",
        "provenance: built by https://b/1, 5 inputs",
        f"sbom of {DIGEST}: 3 components",
        f"every statement's subject: {DIGEST}",
    ]


@pytest.mark.parametrize("records", [[], [checks("failed")], [checks("passed"), checks("failed")]])
def test_an_image_without_a_signed_record_of_passing_does_not_verify(records):
    with pytest.raises(Failed, match="no signed check record says it passed"):
        signing.summary("r/x:1", records)


def test_cosigns_envelope_is_read_for_its_statement():
    line = json.dumps({"payloadType": "application/vnd.in-toto+json",
                       "payload": base64.b64encode(json.dumps(checks("passed")).encode()).decode()})  # fmt: skip
    assert signing.statement_of(line) == checks("passed")


def test_signing_names_no_transparency_log_or_timestamp_authority():
    assert not any(signing.SIGNING_CONFIG.get(k) for k in ("rekorTlogUrls", "tsaUrls", "caUrls", "oidcUrls"))
