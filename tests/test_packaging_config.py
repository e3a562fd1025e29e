"""Packaging facts that must agree (pure reads, no engine): one Dagger version everywhere, and
dagger-io left to the vendored client library as Dagger's Python SDK runtime expects."""

from __future__ import annotations

import json
import re
import tomllib

from pipeline.recipe import ROOT


def test_one_dagger_version_everywhere():
    version = json.loads((ROOT / "dagger.json").read_text())["engineVersion"]
    assert json.loads((ROOT / "offline" / "sdk-runtime" / "dagger.json").read_text())["engineVersion"] == version
    go_mod = re.findall(
        r"^\s*(?:dagger\.io/dagger|github\.com/dagger/dagger\S*) (v\S+)",
        (ROOT / "offline" / "engine" / "go.mod").read_text(),
        re.M,
    )
    assert len(go_mod) == 3 and set(go_mod) == {version}, go_mod
    assert re.search(r"^DAGGER_VERSION=(\S+)", (ROOT / "offline" / "engine.sh").read_text(), re.M)[1] == version
    module_in = (ROOT / "requirements" / "module.in").read_text()
    assert re.search(r"^dagger-io==(\S+)", module_in, re.M)[1] == version.removeprefix("v")


def test_dagger_io_comes_from_the_vendored_sdk_unpinned():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dagger-io" in pyproject["project"]["dependencies"]
    assert pyproject["tool"]["uv"]["sources"]["dagger-io"] == {"path": "sdk", "editable": True}
    assert pyproject["project"]["entry-points"]["dagger.mod"]["main_object"] == "pipeline:JupyterSparkImages"


def test_the_ci_examples_and_the_docs_name_the_same_dagger_version():
    version = json.loads((ROOT / "dagger.json").read_text())["engineVersion"]
    for example in sorted((ROOT / "ci-examples").glob("*.yml")):
        assert re.findall(r'DAGGER_VERSION: "(\S+)"', example.read_text()) == [version.removeprefix("v")], example.name
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named = set(re.findall(r"\b(?:Dagger|engine)(?: CLI)? (v\d+\.\d+\.\d+)", doc.read_text()))
        assert named <= {version}, f"{doc.name} names Dagger {named}"
