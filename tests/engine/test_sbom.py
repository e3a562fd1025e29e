"""The SBOM (pipeline/sbom.py): valid CycloneDX 1.6 by its published schema, and complete against the
image itself: every Debian package dpkg lists, every Python distribution in the venv, every jar of Spark."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pipeline import paths, sbom, shipping
from pipeline.tools import sbom_jars

pytestmark = pytest.mark.engine

INVENTORY = """
import importlib.metadata, json, subprocess, sysconfig
debs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"], capture_output=True, text=True).stdout
venv = [sysconfig.get_path("purelib")]
dists = {(d.metadata["Name"], d.version) for d in importlib.metadata.distributions(path=venv)}
print(json.dumps({"deb": [line.split(" ", 1) for line in debs.splitlines()], "pypi": sorted(dists)}))
"""


def normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def missing(document: dict, inventory: dict[str, list], jars: list[str]) -> list[str]:
    """What the image holds that the SBOM does not list (by purl type, name and version; jars by path)."""
    listed, paths_listed = set(), sbom_jars.listed_paths(document)
    for c in document.get("components", []):
        kind = c.get("purl", "").partition("/")[0].removeprefix("pkg:")
        listed.add((kind, normalized(c["name"]), c.get("version", "")))
    out = [f"deb {n} {v}" for n, v in inventory["deb"] if ("deb", normalized(n), v) not in listed]
    out += [f"pypi {n} {v}" for n, v in inventory["pypi"] if ("pypi", normalized(n), v) not in listed]
    return out + [f"jar {j}" for j in jars if f"{paths.SPARK_JARS}/{j}" not in paths_listed]


async def test_the_sbom_is_valid_cyclonedx_and_lists_every_package_of_the_image(build, opts):
    image, ctr = build("4.1.1", "iceberg")
    digest = await shipping.manifest_digest(ctr, opts)
    text = await sbom.document(
        shipping.tools(opts), ctr, shipping.tarball(ctr, opts), image.name, digest, opts
    ).contents()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    assert document["metadata"]["component"]["name"] == image.name
    assert document["metadata"]["component"]["version"] == digest

    inventory = json.loads(await ctr.with_exec(["python3", "-c", INVENTORY]).stdout())
    jars = await ctr.directory(paths.SPARK_JARS).glob("**/*.jar")
    assert len(inventory["deb"]) > 100 and len(inventory["pypi"]) > 100 and len(jars) > 250
    assert "connect-repl/spark-connect-client-jvm_2.13-4.1.1.jar" in jars
    assert missing(document, inventory, jars) == []
    derby = next(c for c in document["components"] if c["name"] == "derby")
    assert derby["purl"] == "pkg:maven/org.apache.derby/derby@10.16.1.1" and derby["externalReferences"][0]["hashes"]

    # the cross-check can fail: a package the SBOM lost is named
    lost = dict(document, components=[c for c in document["components"] if c["name"] != "jupyterlab"])
    assert [m for m in missing(lost, inventory, jars) if m.startswith("pypi jupyterlab ")]
