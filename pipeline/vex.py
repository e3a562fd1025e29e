"""OpenVEX (v0.2.0) documents: for each image that ships, the decisions pipeline/advisories.json records
for the jars it bundles, in the form vulnerability scanners read (e.g. `grype --vex`, `trivy --vex`).
The product is the image as it ships (its checked manifest or index digest); the subcomponents are the
jars, as Maven package URLs. Written into reports/ as NAME.openvex.json by every run."""

from __future__ import annotations

import json

from . import catalog
from .checks import advisories
from .checks.result import ImageResult, shipping

CONTEXT = "https://openvex.dev/ns/v0.2.0"
AUTHOR = "jupyter-spark-images pipeline (pipeline/advisories.json)"


def maven_purl(entry: dict, jar: str) -> str:
    """pkg:maven/org.apache.derby/derby@10.16.1.1 for derby-10.16.1.1.jar (advisories.jar_pattern reads it)."""
    named = advisories.jar_pattern(entry).fullmatch(jar)
    if named is None:
        raise ValueError(f"{jar} is none of {entry['artifacts']}")
    group = next(a.split(":")[0] for a in entry["artifacts"] if a.split(":")[1] == named["name"])
    return f"pkg:maven/{group}/{named['name']}@{named['version']}"


def document(image: catalog.Image, digest: str, when: str) -> dict:
    """The OpenVEX document of one image, shipped as `digest`, stated at `when` (its checks' time)."""
    product = f"pkg:oci/{image.name}@{digest.replace(':', '%3A')}"
    statements = [
        {
            "vulnerability": {"name": name, "@id": entry["url"]},
            "products": [{"@id": product, "subcomponents": [{"@id": maven_purl(entry, jar)} for jar in jars]}],
            "status": entry["status"],
            "justification": entry["justification"],
            "impact_statement": entry["why"],
        }
        for name, jars in advisories.decided(image).items()
        if jars
        for entry in [advisories.advisories()[name]]
    ]
    return {
        "@context": CONTEXT,
        "@id": f"urn:jupyter-spark-images:vex:{image.name}@{digest}",
        "author": AUTHOR,
        "timestamp": when,
        "version": 1,
        "statements": statements,
    }


def documents(results: list[ImageResult]) -> dict[str, str]:
    """NAME.openvex.json for each image whose every platform passed, stating its shipped digest."""
    by_name = {image.name: image for image in catalog.images()}
    out = {}
    for name, platforms in shipping(results).items():
        if name in by_name:
            when = max(r.checked_at or "" for r in platforms) or "1970-01-01T00:00:00Z"
            out[f"{name}.openvex.json"] = (
                json.dumps(document(by_name[name], platforms[0].shipped, when), indent=2) + "\n"
            )
    return out
