"""Provenance (pipeline/provenance.py): an in-toto Statement v1 with a SLSA Provenance v1 predicate whose
subject is the shipped digest and whose resolved dependencies are every download with its checksum."""

from __future__ import annotations

import re

from pipeline import catalog, jupyter_layer, provenance, recipe, releases, stages

MADE_BY = provenance.MadeBy(
    source="sha256:" + "5" * 64,
    engine="v0.21.8",
    base="registry.example/library/debian:bookworm-slim@sha256:" + "b" * 64,
    archive={"linux/amd64": " 0123 456 main/binary-amd64/Packages.xz\n"},
)
INDEX = "sha256:" + "a" * 64


def statement(spark: str, variant: str, platforms: list[str]) -> dict:
    return provenance.statement(catalog.image(spark, variant), INDEX, platforms, MADE_BY, recipe.BuildOptions())


def pins(lock: str) -> int:
    return sum(1 for line in (recipe.ROOT / lock).read_text().splitlines() if re.match(r"^[A-Za-z0-9._-]+==", line))


def test_the_subject_is_the_shipped_digest_and_the_predicate_slsa_provenance_v1():
    doc = statement("4.1.1", "gpu-iceberg", ["linux/amd64", "linux/arm64"])
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    assert doc["predicateType"] == "https://slsa.dev/provenance/v1"
    assert doc["subject"] == [{"name": "jupyter-4.1.1-gpu-iceberg", "digest": {"sha256": "a" * 64}}]
    build = doc["predicate"]["buildDefinition"]
    assert build["externalParameters"]["platforms"] == ["linux/amd64", "linux/arm64"]
    assert doc["predicate"]["runDetails"]["builder"]["id"].endswith("/v0.21.8")
    names = {d.get("name") for d in build["resolvedDependencies"]}
    assert {"source", "base image"} <= names


def test_every_download_is_a_resolved_dependency_with_its_checksum():
    image = catalog.image("3.5.7", "iceberg")
    deps = statement("3.5.7", "iceberg", ["linux/amd64"])["predicate"]["buildDefinition"]["resolvedDependencies"]
    by_uri = {d["uri"]: d for d in deps if "uri" in d}
    sdist = next(d for uri, d in by_uri.items() if uri.endswith(image.spark.sdist_path))
    assert sdist["digest"] == {"sha256": image.spark.sdist_sha256}
    for jar in [image.spark.connect_jar, *catalog.added_jars(image, "linux/amd64")]:
        assert by_uri[f"{releases.MAVEN_CENTRAL}/{jar.path()}"]["digest"]["sha256"] == jar.sha256
    wheels = [d for d in deps if d.get("uri", "").startswith("pkg:pypi/")]
    locks = (jupyter_layer.lock_file(image.spark), stages.BUILD_TOOLS_LOCK)
    assert len(wheels) == sum(pins(lock) for lock in locks)
    assert all(d["annotations"]["sha256"] and all(len(h) == 64 for h in d["annotations"]["sha256"]) for d in wheels)
    for lock in locks:
        assert any(d.get("name") == lock and len(d["digest"]["sha256"]) == 64 for d in deps)
    assert any(d["uri"] == "debian-archive:linux/amd64" for d in deps)


def test_a_gpu_image_names_each_platforms_rapids_jar():
    image = catalog.image("4.1.1", "gpu")
    deps = statement("4.1.1", "gpu", ["linux/amd64", "linux/arm64"])["predicate"]["buildDefinition"]
    uris = {d.get("uri") for d in deps["resolvedDependencies"]}
    for platform in ("linux/amd64", "linux/arm64"):
        for jar in catalog.added_jars(image, platform):
            assert f"{releases.MAVEN_CENTRAL}/{jar.path()}" in uris
