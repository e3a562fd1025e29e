"""linux/arm64 under emulation (QEMU user-mode, from `make engine`): jupyter-4.1.1 built from the
same recipe, checked, and shipped with its amd64 build as one multi-platform image; and, with
`make test-arm64-gpu`, jupyter-4.1.1-gpu built and checked for arm64 with NVIDIA's arm64 RAPIDS jar."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import uuid

import pytest

from dagger import dag

from pipeline import catalog, checks, orchestrate, paths, product, publish, registry_tools, shipping, signing
from pipeline.archives import held
from pipeline.checks.services import Services
from pipeline.tools import oci_archive

pytestmark = pytest.mark.engine

ARM64 = "linux/arm64"
REGISTRY = "localhost:5000"  # the engine's local registry


@pytest.fixture(scope="module")
async def both(client, opts) -> list[shipping.Built]:  # noqa: ARG001 - the session must be open
    """jupyter-4.1.1 built and checked for both platforms, as build-all --platform all does."""
    run = orchestrate.RunState(opts, targets=catalog.targets("all", await orchestrate.engine_platform()))
    return await orchestrate.build_and_check_all([catalog.image("4.1.1", "baseline")], run)


async def test_the_arm64_image_is_built_from_the_same_recipe_and_passes_its_emulated_checks(both):
    native, arm64 = both
    assert (native.result.platform, arm64.result.platform) == ("linux/amd64", ARM64)  # this machine's engine: amd64
    assert (native.result.emulated, arm64.result.emulated) == (False, True)
    assert (native.result.label, arm64.result.label) == ("jupyter-4.1.1", "jupyter-4.1.1 (linux/arm64)")
    outcomes = {c.name: c for c in arm64.result.checks}
    assert {n for n, c in outcomes.items() if c.status == "passed"} == set(checks.EMULATED_CHECKS), arm64.result
    assert all(
        c.status == "skipped" and "emulation" in c.detail
        for n, c in outcomes.items()
        if n not in checks.EMULATED_CHECKS
    )
    assert '"architecture": "arm64"' in outcomes["facts"].detail
    assert native.result.passed and arm64.result.digest != native.result.digest


async def _wheel_kinds(venv_site) -> dict[str, bool]:
    """Each installed distribution's folder name (its dist-info) and whether its wheel is pure Python."""
    kinds = {}
    for entry in await venv_site.entries():
        if entry.endswith(".dist-info/"):
            wheel = await venv_site.file(f"{entry}WHEEL").contents()
            kinds[entry] = "Root-Is-Purelib: true" in wheel
    return kinds


async def test_the_platform_independent_files_are_byte_identical_between_the_platforms(both):
    """Cross-building: Spark's distribution (jars, scripts, pyspark), Debian's trust store (recipe.TRUST_STORE)
    and every pure-Python package are the same bytes in both platforms' images (made once, natively); only
    platform wheels differ."""
    native, arm64 = (b.container for b in both)
    for path in (paths.SPARK_HOME + "/jars", paths.SPARK_HOME + "/python", paths.SPARK_HOME + "/bin"):
        assert await native.directory(path).digest() == await arm64.directory(path).digest(), path
    # the certificates' links and bundle (Java's keystore: the same certificates, rewritten by an engine that
    # adds its CAs around every exec, tests/engine/test_dockerfiles_build.py)
    trust = [ctr.directory("/etc/ssl/certs").without_directory("java").digest() for ctr in (native, arm64)]
    assert await trust[0] == await trust[1]
    site = f"{paths.VENV}/lib/python{product.PYTHON_VERSION}/site-packages"
    kinds, arm64_kinds = await _wheel_kinds(native.directory(site)), await _wheel_kinds(arm64.directory(site))
    assert kinds.keys() == arm64_kinds.keys()  # the same distributions, from one lock
    # pure on both (a release may ship a platform wheel for one and a pure one for the other: debugpy)
    pure = [name for name, is_pure in kinds.items() if is_pure and arm64_kinds[name]]
    assert len(pure) > 50 and not all(kinds.values())  # jupyterlab, httpx, ...; and pyzmq, tornado: built
    native_site, arm64_site = native.directory(site), arm64.directory(site)
    owner = {}  # every installed file (RECORD: path, sha256, size) -> its distribution's dist-info
    for dist_info in kinds:
        for line in (await native_site.file(f"{dist_info}RECORD").contents()).splitlines():
            path = line.rsplit(",", 2)[0]
            if not path.startswith(("..", dist_info)):
                owner[path] = dist_info
    for dist_info in pure:
        record = await native_site.file(f"{dist_info}RECORD").contents()
        assert record == await arm64_site.file(f"{dist_info}RECORD").contents(), dist_info
    mine = [path for path, dist_info in owner.items() if dist_info in pure]
    for top in sorted({path.split("/")[0] for path in mine}):  # the files themselves, a folder at once
        inside = [path for path in owner if path == top or path.startswith(f"{top}/")]
        if all(owner[path] in pure for path in inside) and inside != [top]:
            ours, theirs = native_site.directory(top), arm64_site.directory(top)
        elif inside == [top]:
            ours, theirs = native_site.file(top), arm64_site.file(top)
        else:  # a namespace folder shared with a platform wheel (google/ with protobuf): file by file
            for path in (path for path in inside if owner[path] in pure):
                assert await native_site.file(path).digest() == await arm64_site.file(path).digest(), path
            continue
        assert await ours.digest() == await theirs.digest(), top


async def test_an_arm64_variant_stands_on_its_lines_proof_and_its_own_layers_are_checked(both, opts):
    """Emulated checks prove what differs, once: jupyter-4.1.1-iceberg's arm64 build shares the baseline's
    layers (JupyterLab and a Spark session proven there) and is checked for its own; its own layer
    broken on arm64 alone (the Iceberg jar left out) fails it."""
    baseline = both[1].result
    previous = {(baseline.image, ARM64): baseline}
    run = orchestrate.RunState(
        opts, previous=previous, targets=catalog.targets("all", await orchestrate.engine_platform())
    )
    image = catalog.image("4.1.1", "iceberg")

    async def emulated_checks(ctr):
        layers = await shipping.layer_digests(ctr, opts)
        proof = await orchestrate.line_proof(image, ARM64, run, layers)
        assert proof is not None and proof.prover is baseline and proof.own_layers == layers[len(baseline.layers) :]
        result = await checks.check_image(
            image, ctr, opts.probes(), platform=ARM64, emulated=True, tools=shipping.tools(opts), proof=proof
        )
        return {c.name: c for c in result.checks}

    ctr = orchestrate.container(image, opts, ARM64)
    outcomes = await emulated_checks(ctr)
    assert all(outcomes[name].status == "passed" for name in checks.EMULATED_CHECKS), outcomes
    said = outcomes["jupyterlab"].detail
    assert "proven under emulation on jupyter-4.1.1 (linux/arm64)" in said and "kernelspecs" in said
    broken = await emulated_checks(ctr.without_file(f"{paths.SPARK_JARS}/{image.line.iceberg.filename}"))
    assert broken["facts"].status == "failed" and "iceberg" in broken["facts"].detail, broken["facts"]
    # a baseline that did not pass proves nothing: the variant proves it all itself
    failed = dataclasses.replace(baseline, checks=[checks.CheckResult("jupyterlab", "failed", 1.0, "broken")])
    run.previous = {(baseline.image, ARM64): failed}
    assert await orchestrate.line_proof(image, ARM64, run, await shipping.layer_digests(ctr, opts)) is None


# make test builds one arm64 image (jupyter-4.1.1, above), so CI stays inside its time: the GPU image
# for arm64 (a cold emulated build, about 25 min here) is `make test-arm64-gpu`'s.
@pytest.mark.skipif(os.environ.get("ARM64_GPU") != "1", reason="a second arm64 image: `make test-arm64-gpu`")
async def test_the_arm64_gpu_image_carries_the_arm64_rapids_jar_and_passes_its_emulated_checks(client, opts):  # noqa: ARG001
    run = orchestrate.RunState(opts, targets=catalog.targets(ARM64, await orchestrate.engine_platform()))
    [built] = await orchestrate.build_and_check_all([catalog.image("4.1.1", "gpu")], run)
    outcomes = {c.name: c for c in built.result.checks}
    assert {n for n, c in outcomes.items() if c.status == "passed"} == set(checks.EMULATED_CHECKS), built.result
    assert '"rapids-native": ["aarch64"]' in outcomes["facts"].detail  # NVIDIA's cuda12-arm64 build
    assert "pyspark-rapids" in outcomes["jupyterlab"].detail  # its kernel is there


@pytest.mark.parametrize(
    ("variant", "said"),
    [
        (  # its config and its binaries say amd64
            "baseline",
            [
                "architecture: built for 'arm64', image has 'amd64'",
                "platform: built for linux/arm64, the image's config says linux/amd64",
            ],
        ),
        # and its RAPIDS jar (the plain jar) carries amd64's native cuDF
        ("gpu", ["rapids-native: built for ['aarch64'], image has ['amd64']"]),
    ],
)
async def test_the_facts_check_fails_an_image_whose_architecture_is_not_its_platforms(build, opts, variant, said):
    # the amd64 image checked as if it were the arm64 one
    image, ctr = build("4.1.1", variant)
    services = Services.for_image(ctr, opts.probes())
    with pytest.raises(checks.result.CheckFailed) as failed:
        await checks.facts.check(image, services, ARM64)
    assert all(s in str(failed.value) for s in said), str(failed.value)


def sh(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


async def test_both_platforms_ship_as_one_multi_platform_image_in_archives_and_pushes(
    both, opts, tmp_path, key_pair, in_engine_registry
):
    [group] = await shipping.ship(both, opts)
    index = group[0].result.index
    assert index and all(b.result.index == index for b in group)
    rev = uuid.uuid4().hex[:12]
    path = tmp_path / "jupyter-4.1.1.tar"
    await shipping.archive([group], dataclasses.replace(opts, revision=rev)).export(str(path))
    assert held(path) == dict.fromkeys(shipping.image_tags("jupyter-4.1.1", rev), index)

    tag = f"jupyter-4.1.1:{rev}"
    assert oci_archive.platforms(str(path)) == shipping.checked_platforms(group)  # the checked manifests
    for b in group:  # skopeo picks each platform out of the index
        arch = catalog.arch(b.result.platform)
        inspected = sh("skopeo", "inspect", "--override-arch", arch, f"oci-archive:{path}:{tag}")
        assert inspected.returncode == 0, inspected.stderr
        assert json.loads(inspected.stdout)["Architecture"] == arch
    try:  # Docker's classic store reads manifest.json: the native platform
        assert f"Loaded image: {tag}" in sh("docker", "load", "-i", str(path)).stdout
        assert sh("docker", "image", "inspect", "-f", "{{.Architecture}}", tag).stdout.strip() == "amd64"
    finally:
        sh("docker", "rmi", "-f", "jupyter-4.1.1:latest", tag)

    # pushed and signed: the index, its signature and attestations, each platform's SBOM among them
    key, public = await key_pair("s3cret")
    where = registry_tools.Registry(in_engine_registry)
    signer = signing.Signer(key, dag.set_secret("signing-password", "s3cret"), where, opts)
    made = await orchestrate.made_by(orchestrate.RunState(opts), group)
    out = await shipping.publish_passed(
        group, f"{in_engine_registry}/ci-{rev}", None, None, rev, {"push": 900.0}, opts, (signer, made)
    )
    assert not out.failed and not out.refused
    assert all(ref.endswith(f"@{index}") for ref in out.pushed)  # the registry got the checked index
    said = await signing.verify(out.pushed[-1], public, where, opts)
    for b in group:
        assert f"check record: {b.result.platform} {b.result.digest}: " in said, said
        assert f"sbom of {b.result.digest}: " in said, said
    assert f"every statement's subject: {index}" in said, said


async def test_an_image_ships_only_when_every_platform_passed(both):
    native, arm64 = both
    failed = dataclasses.replace(
        arm64,
        result=dataclasses.replace(
            arm64.result, checks=[checks.CheckResult("jupyterlab", "failed", 1.0, "broken on purpose")]
        ),
    )
    assert shipping.shipped([native, failed]) == []
    out = await shipping.publish_passed([native, failed], f"{REGISTRY}/ci-refused", None, None, "r", {"push": 60.0})
    assert out.refused == ["jupyter-4.1.1"] and out.pushed == []


async def test_a_per_platform_fan_out_merges_into_the_checked_index_only_when_every_platform_passed(
    both, opts, in_engine_registry
):
    """CI on native runners: each platform's job pushes its own tag, the last job joins them (merge, with
    crane in a container: the engine's registry as its containers reach it)."""
    native, arm64 = both
    image, rev, fast = native.image, uuid.uuid4().hex[:12], {"push": 900.0}
    namespace = f"{in_engine_registry}/fanout-{rev}"
    for job in both:  # two jobs, one per platform, each pushing what it checked
        out = await shipping.publish_passed([job], namespace, None, None, rev, fast, opts, per_platform=True)
        tag = publish.platform_reference(namespace, image, rev, job.result.platform)
        assert out.pushed == [f"{tag}@{job.result.digest}"] and not out.failed, out
    merged = await shipping.merge([image], product.PLATFORMS, namespace, None, None, rev, fast, opts)
    latest, immutable = publish.references(namespace, image, rev)
    index = merged.pushed[0].rsplit("@", 1)[-1]
    assert merged.pushed == [f"{immutable}@{index}", f"{latest}@{index}"] and not merged.refused, merged
    listed = json.loads(await registry_tools.Registry(in_engine_registry).crane(opts, "manifest", latest))
    platforms = {f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"] for m in listed["manifests"]}
    assert platforms == {b.result.platform: b.result.digest for b in both}  # the checked manifests, no other
    again = await shipping.merge([image], product.PLATFORMS, namespace, None, None, rev, fast, opts)
    assert again.pushed == merged.pushed, again  # a rerun finds the same index under the immutable tag

    # the arm64 job failed its checks: it pushes nothing, and the merge leaves no index behind
    failed = dataclasses.replace(
        arm64, result=dataclasses.replace(arm64.result, checks=[checks.CheckResult("facts", "failed", 1.0, "broken")])
    )
    namespace = f"{in_engine_registry}/fanout-failed-{rev}"
    out = await shipping.publish_passed([native], namespace, None, None, rev, fast, opts, per_platform=True)
    assert len(out.pushed) == 1
    refused = await shipping.publish_passed([failed], namespace, None, None, rev, fast, opts, per_platform=True)
    assert refused.refused == ["jupyter-4.1.1"] and refused.pushed == []
    merged = await shipping.merge([image], product.PLATFORMS, namespace, None, None, rev, fast, opts)
    assert merged.refused == ["jupyter-4.1.1 (missing linux/arm64)"] and merged.pushed == [], merged
    latest, immutable = publish.references(namespace, image, rev)
    assert await publish.digest_of(latest) is None and await publish.digest_of(immutable) is None
