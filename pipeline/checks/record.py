"""The record of the checks an image passed: an in-toto Statement whose subject is the image as it ships
(its manifest digest, or its multi-platform index's) and whose predicate is each platform's checks as
the report has them (name, status, seconds, what it proves, its detail). Written into reports/ as
NAME.checks.intoto.json for every image that ships, beside its OpenVEX document; publish --signing-key
attests its predicate, signed, beside the pushed image (signing.py)."""

from __future__ import annotations

import json

from ..provenance import STATEMENT
from .result import ImageResult, shipping

PREDICATE = "urn:jupyter-spark-images:check-record:v1"
# What each check proves, in a line (docs/checks.md says it whole); the same names as limits.CHECK_LIMITS
PROVES = {
    "size": "the image's uncompressed layers fit its size budget",
    "jupyterlab": "JupyterLab serves under a base URL with token auth, the promised kernels, a local Spark session "
    "and its Spark UI through the server",
    "spark-connect": "the image as a Spark Connect server, used from the Connect kernel and a direct client",
    "iceberg": "Iceberg tables through Spark Connect: write, read, snapshots and time travel",
    "any-uid": "arbitrary uids (OpenShift's, docker --user) through the entrypoint and exec'd shells",
    "redaction": "credentials handed to a Spark Connect server are redacted in its UI",
    "rapids": "the RAPIDS Accelerator loads with the image's settings and plans operators for the GPU",
    "gpu": "Spark runs operators on a GPU (only where the engine's host has one)",
    "facts": "what the image says it is: labels, versions, jars, users, no build-time CA left",
    "updates": "no Debian package behind bookworm, bookworm-updates and bookworm-security",
    "advisories": "every bundled jar with a known advisory has a recorded decision",
    "cluster": "a standalone cluster of the image (master, two workers, Connect server) runs the notebook's jobs "
    "on both workers",
}


def statement(platforms: list[ImageResult]) -> dict:
    """The record of one image's checks, its platforms' results as the report has them."""
    algorithm, _, value = str(platforms[0].shipped).partition(":")
    return {
        "_type": STATEMENT,
        "subject": [{"name": platforms[0].image, "digest": {algorithm: value}}],
        "predicateType": PREDICATE,
        "predicate": {
            "verdict": "passed" if all(r.passed for r in platforms) else "failed",
            "platforms": [
                {
                    "platform": r.platform,
                    "digest": r.digest,
                    "emulated": r.emulated,
                    "checkedAt": r.checked_at,
                    "checkCode": r.check_code,
                    "reused": r.reused,
                    "checks": [
                        {
                            "name": c.name,
                            "status": c.status,
                            "seconds": round(c.seconds, 1),
                            "proves": PROVES.get(c.name, ""),
                            "detail": c.detail,
                        }
                        for c in r.checks
                    ],
                }
                for r in platforms
            ],
        },
    }


def documents(results: list[ImageResult]) -> dict[str, str]:
    """NAME.checks.intoto.json for each image whose every platform passed (the images that ship)."""
    return {
        f"{name}.checks.intoto.json": json.dumps(statement(rs), indent=2) + "\n"
        for name, rs in shipping(results).items()
    }
