"""The module through the engine's module API, with the GraphQL calls `dagger call` makes: load the
module source, turn it into a module, serve it, then call its functions on the Query root. The
runtime is the offline SDK (offline/sdk-runtime/), since this engine has no builtin Python SDK content."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from pipeline import assembly, catalog
from pipeline.recipe import ROOT

from module_api import QueryError, Session

pytestmark = pytest.mark.engine

ENGINE = "dagger-engine"  # the engine container (make engine), whose loopback has the local registry
REGISTRY_ROOT = "/var/lib/registry/docker/registry/v2/repositories"  # offline/engine/registry.yml


@pytest.fixture(scope="module")
async def api(tmp_path_factory):
    """A session serving the module loaded from .cache/offline-module's twin: module source -> module -> serve."""
    path = tmp_path_factory.mktemp("offline") / "jupyter-spark-images"
    subprocess.run([ROOT / "offline" / "offline-module.sh", path], check=True, capture_output=True)
    session = Session()
    try:
        loaded = await session.query(
            "query($ref: String!) { moduleSource(refString: $ref) { asModule { id } } }", ref=str(path)
        )
        module = loaded["moduleSource"]["asModule"]["id"]
        await session.query("query($id: ModuleID!) { loadModuleFromID(id: $id) { serve } }", id=module)
        yield session
    finally:
        await session.close()


async def call(api: Session, selection: str, **variables) -> dict:
    """One function call on the module's main object, as `dagger call` sends it."""
    declared = ", ".join(f"${name}: {kind}" for name, (kind, _) in variables.items())
    text = f"query{f'({declared})' if declared else ''} {{ jupyterSparkImages {{ {selection} }} }}"
    data = await api.query(text, **{name: value for name, (_, value) in variables.items()})
    return data["jupyterSparkImages"]


async def test_dockerfiles_equals_the_rendered_dockerfiles(api):
    paths = sorted(p.relative_to(ROOT / "dockerfiles").as_posix() for p in (ROOT / "dockerfiles").rglob("*Dockerfile"))
    files = " ".join(f'f{i}: file(path: "{path}") {{ contents }}' for i, path in enumerate(paths))
    got = await call(api, f'dockerfiles {{ glob(pattern: "**/*Dockerfile") {files} }}')
    assert sorted(got["dockerfiles"]["glob"]) == paths
    for i, path in enumerate(paths):
        assert got["dockerfiles"][f"f{i}"]["contents"] == (ROOT / "dockerfiles" / path).read_text(), path


async def test_build_returns_the_image_with_its_labels(api):
    got = await call(api, 'build(sparkVersion: "4.1.1") { labels { name value } }')
    labels = {label["name"]: label["value"] for label in got["build"]["labels"]}
    expected = assembly.labels(catalog.image("4.1.1", "baseline"))
    assert {name: labels.get(name) for name in expected} == expected
    # no --revision: the build is named by the digest of its inputs
    assert re.fullmatch(r"src-[0-9a-f]{12}", labels[assembly.REVISION_LABEL])


async def test_a_bad_spark_version_gets_the_modules_own_error(api):
    with pytest.raises(QueryError) as error:
        await call(api, 'build(sparkVersion: "4.1.9") { id }')
    assert "unknown Spark version '4.1.9'; valid: 3.5.7, 3.5.8, 4.1.0, 4.1.1" in str(error.value)


ONE_IMAGE = 'sparkVersion: "4.1.1", variant: "baseline", platform: "linux/amd64"'


@pytest.fixture(scope="module")
async def tested(api) -> tuple[list[dict], str]:
    """`dagger call test --spark-version 4.1.1 --variant baseline`: its report.json and that file's ID."""
    got = await call(api, f'test({ONE_IMAGE}) {{ file(path: "report.json") {{ id contents }} }}')
    return json.loads(got["test"]["file"]["contents"]), got["test"]["file"]["id"]


async def test_test_returns_the_report_and_gate_judges_it(api, tested):
    report, report_id = tested
    assert [(r["image"], r["verdict"]) for r in report] == [("jupyter-4.1.1", "passed")], report
    assert {c["name"] for c in report[0]["checks"]} >= {"jupyterlab", "spark-connect", "facts"}
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", report[0]["digest"]) and not report[0]["reused"]
    passed = await call(api, "gate(report: $report)", report=("ID!", report_id))
    assert passed["gate"] == "1 of 1 images passed"

    report[0]["verdict"] = "failed"
    failed = await api.query(
        "query($report: String!) "
        '{ directory { withNewFile(path: "r.json", contents: $report) { file(path: "r.json") { id } } } }',
        report=json.dumps(report),
    )
    with pytest.raises(QueryError) as error:
        await call(api, "gate(report: $report)", report=("ID!", failed["directory"]["withNewFile"]["file"]["id"]))
    assert "1 of 1 images failed their checks: jupyter-4.1.1" in str(error.value)


async def test_test_fails_naming_the_image_and_its_check_unless_failures_are_allowed(api):
    # the facts check given no time: it fails, the others pass
    selection = f'test({ONE_IMAGE}, allowFailures: $allow) {{ file(path: "report.json") {{ contents }} }}'
    text = f'query($allow: Boolean!) {{ jupyterSparkImages(limits: "facts=0.001") {{ {selection} }} }}'
    allowed = await api.query(text, allow=True)
    [image] = json.loads(allowed["jupyterSparkImages"]["test"]["file"]["contents"])
    assert image["verdict"] == "failed" and [c["name"] for c in image["checks"] if c["status"] == "failed"] == ["facts"]
    with pytest.raises(QueryError) as error:
        await api.query(text, allow=False)
    assert "1 of 1 images failed their checks: jupyter-4.1.1 (facts)" in str(error.value)


async def test_the_dockerfiles_generator_changes_nothing_in_the_checkout_and_mends_a_stale_one(api):
    assert (await call(api, "generateDockerfiles { isEmpty }"))["generateDockerfiles"]["isEmpty"] is True
    # the checkout's dockerfiles/ with one file edited by hand
    stale_file = "dockerfiles/spark-4.1.1/Dockerfile"
    host = await api.query(
        "query($path: String!) { host { directory(path: $path) { id } } }", path=str(ROOT / "dockerfiles")
    )
    edited = await api.query(
        'query($dir: ID!, $file: String!) { directory { withDirectory(path: "dockerfiles", '
        'source: $dir) { withNewFile(path: $file, contents: "FROM edited") { id } } } }',
        dir=host["host"]["directory"]["id"],
        file=stale_file,
    )
    checkout = ("ID!", edited["directory"]["withDirectory"]["withNewFile"]["id"])
    changes = await call(api, "generateDockerfiles(checkout: $c) { modifiedPaths addedPaths removedPaths }", c=checkout)
    assert changes["generateDockerfiles"] == {"modifiedPaths": [stale_file], "addedPaths": [], "removedPaths": []}


def registry_has(repository: str, tag: str) -> bool:
    path = f"{REGISTRY_ROOT}/{repository}/_manifests/tags/{tag}"
    return subprocess.run(["docker", "exec", ENGINE, "test", "-d", path], check=False).returncode == 0


async def test_a_previous_report_is_reused_for_the_same_image_and_checks_unless_rechecked(api, tested):
    report, report_id = tested
    selection = (
        f'test({ONE_IMAGE}, previous: $report, recheck: $recheck) {{ file(path: "report.json") {{ contents }} }}'
    )
    got = await call(api, selection, report=("ID!", report_id), recheck=("Boolean!", False))
    [reused] = json.loads(got["test"]["file"]["contents"])
    assert reused["reused"] and reused["checked_at"] == report[0]["checked_at"]
    assert reused["digest"] == report[0]["digest"] and reused["checks"] == report[0]["checks"]

    got = await call(api, selection, report=("ID!", report_id), recheck=("Boolean!", True))
    [rechecked] = json.loads(got["test"]["file"]["contents"])
    assert not rechecked["reused"] and rechecked["digest"] == report[0]["digest"]


async def test_publish_is_never_cached_each_call_pushes_the_checked_manifest(api, tested):
    namespace = f"twice-{uuid.uuid4().hex[:8]}"
    selection = f"publish(registry: $registry, {ONE_IMAGE})"
    registry = ("String!", f"10.87.0.1:5000/{namespace}")  # as the engine's containers reach it (conftest.py)
    first = (await call(api, selection, registry=registry))["publish"]
    assert len(first) == 2 and all(ref.startswith(f"10.87.0.1:5000/{namespace}/jupyter-4.1.1:") for ref in first)
    assert {ref.split("@")[1] for ref in first} == {tested[0][0]["digest"]}  # what `test` checked is what ships
    assert registry_has(f"{namespace}/jupyter-4.1.1", "latest")

    # forget the push in the registry: only a second real push brings the tag back
    subprocess.run(["docker", "exec", ENGINE, "rm", "-rf", f"{REGISTRY_ROOT}/{namespace}"], check=True)
    assert not registry_has(f"{namespace}/jupyter-4.1.1", "latest")
    second = (await call(api, selection, registry=registry))["publish"]
    assert [ref.split("@")[0] for ref in second] == [ref.split("@")[0] for ref in first]
    assert registry_has(f"{namespace}/jupyter-4.1.1", "latest")


def test_offline_module_copy_keeps_the_module_and_points_at_the_offline_sdk(tmp_path: Path):
    dest = tmp_path / "module"
    subprocess.run([ROOT / "offline" / "offline-module.sh", dest], check=True, capture_output=True)
    config = json.loads((dest / "dagger.json").read_text())
    assert config == json.loads((ROOT / "dagger.json").read_text()) | {"sdk": {"source": "./offline/sdk-runtime"}}
    assert (dest / ".git").is_dir() and (dest / "offline" / "sdk-runtime" / "main.dang").is_file()
    assert (dest / "pipeline" / "main.py").read_text() == (ROOT / "pipeline" / "main.py").read_text()
