"""Completes an SBOM with the jars its scanner did not catalog (syft v1.57 skips jars such as ORC's
`orc-core-2.2.1-shaded-protobuf.jar`, which carry neither a pom nor a manifest it reads): each is added
as a library with its name and version from the file name and its SHA-256, where it lies in the image.

    python3 sbom_jars.py SBOM.json JARS_DIR IMAGE_PATH    (JARS_DIR: the image's IMAGE_PATH, mounted)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

NAMED = re.compile(r"(?P<name>.+?)-(?P<version>\d[\w.]*?)(?:-(?P<classifier>[A-Za-z][\w-]*))?\.jar")
FOUND_BY = "jupyter-spark-images:foundBy"


def listed_paths(document: dict) -> set[str]:
    """Every path the SBOM's components were found at (syft's syft:location:N:path properties)."""
    return {
        prop["value"]
        for component in document.get("components", [])
        for prop in component.get("properties", [])
        if prop["name"].endswith(":path")
    }


def component(jar: Path, path: str) -> dict:
    named = NAMED.fullmatch(jar.name)
    name, version = (named["name"], named["version"]) if named else (jar.stem, "")
    return {
        "bom-ref": f"jar:{path}",
        "type": "library",
        "name": name,
        "version": version,
        "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(jar.read_bytes()).hexdigest()}],
        "properties": [
            {"name": FOUND_BY, "value": "the jar's file name (the scanner did not catalog it)"},
            {"name": "jupyter-spark-images:location:0:path", "value": path},
        ],
    }


def complete(document: dict, jars: Path, image_path: str) -> list[str]:
    """Add the jars under `jars` (the image's `image_path`) that no component lies at; their paths."""
    listed, added = listed_paths(document), []
    for jar in sorted(jars.rglob("*.jar")):
        path = f"{image_path}/{jar.relative_to(jars).as_posix()}"
        if path not in listed:
            document.setdefault("components", []).append(component(jar, path))
            added.append(path)
    return added


def main(sbom: str, jars: str, image_path: str) -> None:
    document = json.loads(Path(sbom).read_text())
    added = complete(document, Path(jars), image_path.rstrip("/"))
    Path(sbom).write_text(json.dumps(document, indent=1) + "\n")
    print("\n".join(added))


if __name__ == "__main__":
    main(*sys.argv[1:])
