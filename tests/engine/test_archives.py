"""The archives build-all ships: the checked container, byte for byte, named for `docker load`."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tarfile
import uuid

import pytest

from pipeline import pipeline
from pipeline.checks.result import CheckResult, ImageResult

pytestmark = pytest.mark.engine


def read(archive, name: str) -> object:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile(name))


async def test_an_archive_loads_with_its_names_and_holds_the_checked_image(build, opts, tmp_path):
    image, ctr = build("4.1.1", "baseline")
    checked = pipeline.Built(image, ctr, ImageResult(image.name, [CheckResult("facts", "passed", 1.0, "ok")]))
    rev = uuid.uuid4().hex[:12]
    named, plain = tmp_path / "named.tar", tmp_path / "plain.tar"
    await pipeline.named_archive(checked, dataclasses.replace(opts, revision=rev)).export(str(named))
    await ctr.as_tarball(forced_compression=pipeline.ARCHIVE_LAYERS).export(str(plain))

    # the same image manifest (so the same config and layers): only the names were added
    assert read(named, "index.json")["manifests"][0]["digest"] == read(plain, "index.json")["manifests"][0]["digest"]
    config = read(plain, "manifest.json")[0]["Config"].rsplit("/", 1)[1]

    loaded = subprocess.run(["docker", "load", "-i", named], capture_output=True, text=True, check=True, timeout=600)
    try:
        assert f"Loaded image: jupyter-4.1.1:{rev}" in loaded.stdout and "jupyter-4.1.1:latest" in loaded.stdout
        inspect = ["docker", "image", "inspect", "--format", "{{.Id}}", f"jupyter-4.1.1:{rev}"]
        assert subprocess.run(inspect, capture_output=True, text=True, check=True).stdout.strip() == f"sha256:{config}"
    finally:
        subprocess.run(["docker", "rmi", "-f", f"jupyter-4.1.1:{rev}", "jupyter-4.1.1:latest"], capture_output=True)
