"""pipeline/tools/sbom_jars.py: the jars an SBOM's scanner did not catalog are added, and only those."""

from __future__ import annotations

import hashlib

from pipeline.tools import sbom_jars


def syft_component(name: str, version: str, path: str) -> dict:
    return {
        "type": "library",
        "name": name,
        "version": version,
        "properties": [{"name": "syft:location:0:path", "value": path}],
    }


def test_the_jars_no_component_lies_at_are_added_with_name_version_and_sha256(tmp_path):
    (tmp_path / "connect-repl").mkdir()
    for name in ("derby-10.16.1.1.jar", "orc-core-2.2.1-shaded-protobuf.jar", "connect-repl/client-4.1.1.jar", "x.txt"):
        (tmp_path / name).write_bytes(name.encode())
    document = {"components": [syft_component("derby", "10.16.1.1", "/opt/spark/jars/derby-10.16.1.1.jar")]}
    added = sbom_jars.complete(document, tmp_path, "/opt/spark/jars")
    assert added == [
        "/opt/spark/jars/connect-repl/client-4.1.1.jar",
        "/opt/spark/jars/orc-core-2.2.1-shaded-protobuf.jar",
    ]
    orc = document["components"][-1]
    assert (orc["name"], orc["version"]) == ("orc-core", "2.2.1")
    expected = hashlib.sha256(b"orc-core-2.2.1-shaded-protobuf.jar").hexdigest()
    assert orc["hashes"] == [{"alg": "SHA-256", "content": expected}]
    assert sbom_jars.listed_paths(document) >= {f"/opt/spark/jars/{n}" for n in ("derby-10.16.1.1.jar",)} | set(added)
    assert sbom_jars.complete(document, tmp_path, "/opt/spark/jars") == []  # complete: nothing more to add
