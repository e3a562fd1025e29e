"""The archives build-all ships: the checked containers, byte for byte, each layer stored once, each
image named, loaded for real by Docker (20.10 here), podman and skopeo."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
import tarfile
import uuid

import pytest

from pipeline import catalog, orchestrate, shipping
from pipeline.archives import held
from pipeline.recipe import ROOT
from pipeline.checks.result import CheckResult, ImageResult

pytestmark = pytest.mark.engine


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900).stdout


async def checked(build, opts, spark_version: str, variant: str) -> shipping.Built:
    """A built image with a passing result carrying its digest, as build_and_check leaves it."""
    image, ctr = build(spark_version, variant)
    digest, platform = await shipping.manifest_digest(ctr, opts), str(await ctr.platform())
    checks = [CheckResult("facts", "passed", 1.0, "ok")]
    return shipping.Built(image, ctr, ImageResult(image.name, checks, platform, digest=digest))


def distinct_blob_bytes(path) -> tuple[int, int]:
    """(bytes of the distinct blobs, bytes of all blobs the images reference) of an archive."""
    with tarfile.open(path) as tar:
        sizes = {m.name: m.size for m in tar if m.name.startswith("blobs/")}
        referenced = 0
        for entry in json.load(tar.extractfile("manifest.json")):
            referenced += sizes[entry["Config"]] + sum(sizes[layer] for layer in entry["Layers"])
    return sum(sizes.values()), referenced


async def test_the_combined_archive_holds_each_layer_once_and_loads_every_image_by_name(build, opts, tmp_path):
    built = [await checked(build, opts, "4.1.1", v) for v in ("baseline", "iceberg")]
    rev = uuid.uuid4().hex[:12]
    path = tmp_path / shipping.COMBINED
    await shipping.archive([[b] for b in built], dataclasses.replace(opts, revision=rev)).export(str(path))

    names = {b.image.name: b.result.digest for b in built}
    tags = {tag: digest for name, digest in names.items() for tag in shipping.image_tags(name, rev)}
    assert held(path) == tags  # each image under its names, with the digest its checks saw
    distinct, referenced = distinct_blob_bytes(path)
    assert path.stat().st_size <= 1.02 * distinct < referenced  # shared layers once: the iceberg image adds jars only

    try:
        loaded = sh("docker", "load", "-i", str(path))
        for tag in tags:
            assert f"Loaded image: {tag}" in loaded
        for b in built:
            config = json.loads(sh("docker", "image", "inspect", f"{b.image.name}:{rev}"))[0]
            label = config["Config"]["Labels"]["org.opencontainers.image.title"]
            assert label == b.image.name
        for tag, digest in tags.items():  # skopeo picks each image out of the archive by its name
            raw = subprocess.run(["skopeo", "inspect", "--raw", f"oci-archive:{path}:{tag}"], capture_output=True)
            assert raw.returncode == 0, raw.stderr
            assert "sha256:" + hashlib.sha256(raw.stdout).hexdigest() == digest
        podman = sh("podman", "load", "-i", str(path))
        for tag in tags:
            assert tag in podman
    finally:
        subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)
        subprocess.run(["podman", "rmi", "-f", *(f"localhost/{t}" for t in tags)], capture_output=True)


async def test_a_per_image_archive_names_its_image_and_keeps_the_checked_manifest(build, opts, tmp_path):
    one = await checked(build, opts, "4.1.1", "baseline")
    path = tmp_path / "jupyter-4.1.1.tar"
    await shipping.archive([[one]], dataclasses.replace(opts, revision="r1")).export(str(path))
    assert held(path) == dict.fromkeys(shipping.image_tags("jupyter-4.1.1", "r1"), one.result.digest)


async def test_build_alls_output_holds_the_archives_written_in_place_and_the_report(build, opts, tmp_path):
    """shipping.output, what `dagger call build-all` returns: the tool writes the archives into the
    output directory itself (a mount); every archive asked for, named, with the checked digest."""
    built = [await checked(build, opts, "4.1.1", v) for v in ("baseline", "iceberg")]
    rev = uuid.uuid4().hex[:12]
    revised = dataclasses.replace(opts, revision=rev)
    made = await orchestrate.made_by(orchestrate.RunState(revised), built)
    await shipping.output(built, revised, "both", made).export(str(tmp_path / "both"))
    tags = {t: b.result.digest for b in built for t in shipping.image_tags(b.image.name, rev)}
    images = tmp_path / "both" / "images"
    assert oct(images.stat().st_mode & 0o777) == "0o755"  # any user can read the archives in it
    assert sorted(p.name for p in images.iterdir()) == sorted([shipping.COMBINED, *(f"{n}.tar" for n in names(built))])
    assert held(images / shipping.COMBINED) == tags
    for b in built:
        assert held(images / f"{b.image.name}.tar") == dict.fromkeys(
            shipping.image_tags(b.image.name, rev), b.result.digest
        )
    assert [r["image"] for r in json.loads((tmp_path / "both" / "reports" / "report.json").read_text())] == names(built)
    arch = catalog.arch(built[0].result.platform)
    assert sorted(p.name for p in (tmp_path / "both" / "sbom").iterdir()) == sorted(
        f"{n}.{arch}.cdx.json" for n in names(built)
    )
    for b in built:  # each image's own SBOM, and its OpenVEX document, name its checked digest
        sbom = json.loads((tmp_path / "both" / "sbom" / f"{b.image.name}.{arch}.cdx.json").read_text())
        assert sbom["metadata"]["component"] == sbom["metadata"]["component"] | {
            "name": b.image.name,
            "version": b.result.digest,
        }
        vex = json.loads((tmp_path / "both" / "reports" / f"{b.image.name}.openvex.json").read_text())
        assert vex["statements"][0]["products"][0]["@id"].endswith(b.result.digest.replace(":", "%3A"))
        checked_record = json.loads((tmp_path / "both" / "reports" / f"{b.image.name}.checks.intoto.json").read_text())
        assert checked_record["subject"][0]["digest"] == {"sha256": b.result.digest.split(":")[1]}
        assert [c["name"] for c in checked_record["predicate"]["platforms"][0]["checks"]] == ["facts"]
        made_it = json.loads((tmp_path / "both" / "provenance" / f"{b.image.name}.intoto.json").read_text())
        assert made_it["subject"] == [{"name": b.image.name, "digest": {"sha256": b.result.digest.split(":")[1]}}]
        base = next(
            d for d in made_it["predicate"]["buildDefinition"]["resolvedDependencies"] if d.get("name") == "base image"
        )
        assert "@sha256:" in base["uri"]

    # docs/evidence.md's "Verifying an image" commands, run on this output as the docs show them (all but
    # the registry's line, which needs a registry)
    (tmp_path / "build").symlink_to(tmp_path / "both")
    said = [bash(command, tmp_path) for command in documented_commands() if "docker://" not in command]
    digest = built[0].result.digest
    assert said[0] == [digest] and said[2] == [digest.split(":")[1]], said  # report and provenance agree
    assert [line.split("\t")[:2] for line in said[1]] == [[c.name, c.status] for c in built[0].result.checks]
    assert len(said[3]) > 300 and all(line.count("\t") == 2 for line in said[3])  # every package, with its purl

    await shipping.output(built, revised, "none").export(str(tmp_path / "none"))
    assert not list((tmp_path / "none" / "images").iterdir())
    assert (tmp_path / "none" / "reports" / "report.json").is_file()


def documented_commands() -> list[str]:
    """The commands of docs/evidence.md's "Verifying an image" block."""
    text = (ROOT / "docs" / "evidence.md").read_text()
    block = re.search(r"### Verifying an image\n.*?```sh\n(.*?)```", text, re.S)[1]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def bash(command: str, cwd) -> list[str]:
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout.splitlines()


def names(built: list[shipping.Built]) -> list[str]:
    return [b.image.name for b in built]
