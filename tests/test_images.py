"""Images of each variant, built and checked on the real engine; and the checks themselves
failing for the right reason on broken images."""

from __future__ import annotations

import dataclasses
import re
import uuid

import dagger
import pytest

from dagger import dag

from pipeline import (
    catalog,
    checks,
    limits,
    orchestrate,
    paths,
    product,
    publish,
    recipe,
    registry_tools,
    releases,
    shipping,
    signing,
)
from pipeline.checks import advisories, cluster, facts, jupyter, rapids, updates
from pipeline.checks.result import run_check
from pipeline.checks.services import CHECK_JVM, OPENSHIFT_USER, OTHER_USER, PYCACHE, Services, listening, ready_when
from pipeline.report import Failed

pytestmark = pytest.mark.engine

# Each variant, both Spark lines, and the RAPIDS cases: own shim, override, override + CPU-side explain.
CASES = [("4.1.1", "baseline"), ("4.1.1", "gpu"), ("3.5.8", "gpu"), ("3.5.7", "iceberg"), ("4.1.0", "gpu-iceberg")]
# the cluster check on both lines, with and without Iceberg and RAPIDS; the other images are checked the way a
# quick run skips it (--limits cluster=0), which must say so
CLUSTER_SKIPPED = [("4.1.1", "gpu"), ("3.5.8", "gpu")]


def expected(spark: str, variant: str) -> dict[str, str]:
    """check -> status: every image passes the common checks; iceberg and rapids only apply to their variants."""
    applies = {feature: feature in product.VARIANT_FEATURES[variant] for feature in product.FEATURES}
    common = dict.fromkeys(
        ("size", "jupyterlab", "spark-connect", "any-uid", "redaction", "facts", "updates", "advisories"), "passed"
    )
    cluster = "skipped" if (spark, variant) in CLUSTER_SKIPPED else "passed"
    return common | {name: "passed" if on else "skipped" for name, on in applies.items()} | {"cluster": cluster}


@pytest.fixture(scope="module")
async def results(client, opts):  # noqa: ARG001 - the session must be open
    """Built and checked the way build-all does it (two builds at a time, checks one image at a time)."""
    run = orchestrate.RunState(opts)  # the engine's platform; arm64: tests/engine/test_arm64.py
    quick = orchestrate.RunState(opts, limits=limits.parse("cluster=0"))
    built = await orchestrate.build_and_check_all([catalog.image(*c) for c in CASES if c not in CLUSTER_SKIPPED], run)
    built += await orchestrate.build_and_check_all([catalog.image(*c) for c in CLUSTER_SKIPPED], quick)
    return {(b.image.spark.version, b.image.variant): (b.image, b.container, b.result) for b in built}


@pytest.mark.parametrize(("spark", "variant"), CASES)
async def test_image_passes_its_checks(results, spark, variant):
    image, _, result = results[(spark, variant)]
    statuses = {c.name: c.status for c in result.checks}
    details = "\n".join(f"{c.name}: {c.status}: {c.detail}" for c in result.checks)
    assert {k: statuses[k] for k in expected(spark, variant)} == expected(spark, variant), details
    assert result.passed, details
    gpu = next(c for c in result.checks if c.name == "gpu")
    assert gpu.status == "skipped" and ("no GPU" in gpu.detail or "no RAPIDS" in gpu.detail)
    cluster = next(c for c in result.checks if c.name == "cluster")
    if cluster.status == "skipped":
        assert cluster.detail == "skipped at the caller's request (--limits cluster=0)"
    else:  # on both workers, both ways, from the cluster's own APIs
        assert "Python tasks ran on spark-worker-1, spark-worker-2" in cluster.detail, cluster.detail
        assert cluster.detail.count(": an executor on each of ") == 2, cluster.detail
        assert "client mode on spark://" in cluster.detail, cluster.detail
        assert ("VERSION AS OF the first snapshot" in cluster.detail) == ("iceberg" in variant), cluster.detail


async def test_images_contain_what_their_variant_promises(results):
    _, ctr, _ = results[("4.1.0", "gpu-iceberg")]
    kernels = await ctr.with_exec(["jupyter", "kernelspec", "list", "--json"]).stdout()
    for name in ("pyspark-local", "pyspark-connect", "pyspark-rapids", "python3"):
        assert f'"{name}"' in kernels
    conf = await ctr.file("/opt/spark/conf/spark-defaults.conf").contents()
    assert "spark.sql.catalog.local org.apache.iceberg.spark.SparkCatalog" in conf
    assert "spark.sql.defaultCatalog local" in conf
    rapids = await ctr.file("/opt/spark/conf/rapids.conf").contents()
    assert (
        "spark.rapids.shims-provider-override com.nvidia.spark.rapids.shims.spark411.SparkShimServiceProvider" in rapids
    )
    assert await ctr.label("io.jupyter-spark.rapids.shim-override") == "4.1.1 (untested upstream)"
    assert await ctr.user() == "1000:100"


async def test_a_gpu_image_on_its_lines_native_proof_runs_what_its_own_layer_touches(results, opts, native):
    """Native checks prove what differs, once: jupyter-4.1.1-gpu shares the baseline's layers (checked above,
    every check passed) and runs only the checks that the rapids layer's files can change; those files are
    the layer's own, and the layer broken fails its check on the proof."""
    image, ctr, _ = results[("4.1.1", "gpu")]
    _, base_ctr, baseline = results[("4.1.1", "baseline")]
    run = orchestrate.RunState(opts, previous={(baseline.image, native): baseline})
    proof = await orchestrate.line_proof(image, native, run, await shipping.layer_digests(ctr, opts))
    assert proof is not None and proof.prover is baseline and proof.own_features == ("rapids",)

    async def checked(ctr: dagger.Container) -> dict[str, checks.CheckResult]:
        tools = shipping.tools(opts)
        result = await checks.check_image(image, ctr, opts.probes(), platform=native, tools=tools, proof=proof)
        return {c.name: c for c in result.checks}

    outcomes = await checked(ctr)
    for name in ("spark-connect", "cluster", "any-uid", "redaction", "updates"):
        said = outcomes[name].detail
        assert outcomes[name].status == "skipped" and said.startswith("not run again: proven on jupyter-4.1.1 ("), said
        assert f"whose {len(baseline.layers)} layers this image shares" in said and ": rapids)" in said, said
    assert all(outcomes[name].status == "passed" for name in ("size", "jupyterlab", "rapids", "facts", "advisories"))
    assert (
        "pyspark-rapids" in outcomes["jupyterlab"].detail and "touch nothing it proves" in outcomes["jupyterlab"].detail
    )
    # what the gpu image's files change from the baseline's: the rapids layer's own paths, and the folders above
    own = [p.strip("/") for p in (paths.RAPIDS_DIR, paths.RAPIDS_CONF, f"{paths.KERNELS}/pyspark-rapids")]
    changed = await base_ctr.rootfs().diff(ctr.rootfs()).glob("**")
    outside = [
        p for p in changed if not any(p.rstrip("/") in (o, *_folders_above(o)) or p.startswith(o + "/") for o in own)
    ]
    assert changed and not outside, outside
    # its own layer broken (the RAPIDS kernel's settings gone): the rapids check fails on the proof
    broken = await checked(ctr.without_file(paths.RAPIDS_CONF))
    assert broken["rapids"].status == "failed", broken["rapids"]
    # a baseline that did not pass (its cluster check failed) proves nothing: the image proves it all itself
    failed = [dataclasses.replace(c, status="failed") if c.name == "cluster" else c for c in baseline.checks]
    run.previous = {(baseline.image, native): dataclasses.replace(baseline, checks=failed)}
    assert await orchestrate.line_proof(image, native, run, await shipping.layer_digests(ctr, opts)) is None


@pytest.mark.parametrize("variant", ["gpu", "iceberg", "gpu-iceberg"])
async def test_a_features_layers_add_no_python_to_the_baselines_files(build, variant):
    """What checks.python_layers rests on, for the check run's kept bytecode: a variant's files beyond its
    baseline's (its features' layers) hold no Python source, so its Python is its line prover's."""
    _, base_ctr = build("4.1.1", "baseline")
    _, ctr = build("4.1.1", variant)
    changed = await base_ctr.rootfs().diff(ctr.rootfs()).glob("**")
    assert changed and not [p for p in changed if p.endswith((".py", ".pth"))], changed


def _folders_above(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


async def test_iceberg_rest_catalog_is_switched_on_by_environment(results):
    _, ctr, _ = results[("3.5.7", "iceberg")]
    conf = await (
        ctr.with_env_variable("ICEBERG_REST_URI", "http://catalog:8181")
        .with_env_variable("ICEBERG_REST_TOKEN", "t0k")
        .with_exec(
            [
                "bash",
                "-c",
                "spark-conf-from-env && grep '^spark.sql.catalog.local' $SPARK_HOME/conf/spark-defaults.conf",
            ]
        )
        .stdout()
    )
    assert "spark.sql.catalog.local.type rest" in conf and "spark.sql.catalog.local.uri http://catalog:8181" in conf
    assert "spark.sql.catalog.local.token t0k" in conf and "type hadoop" not in conf


async def test_a_broken_jupyterlab_fails_the_jupyterlab_check(build, opts, native):
    image, ctr = build("4.1.1", "baseline")
    broken = ctr.with_new_file(
        "/usr/local/bin/start-notebook.py", "#!/bin/sh\necho broken on purpose >&2\nexit 3\n", permissions=0o755
    )
    result = await checks.check_image(image, broken, opts.probes(), platform=native)
    by_name = {c.name: c for c in result.checks}
    assert by_name["jupyterlab"].status == "failed"
    assert "broken on purpose" in by_name["jupyterlab"].detail  # the service's own log is in the report
    assert by_name["facts"].status == "passed"  # one failing check does not stop the others
    assert not result.passed


async def test_a_spark_ui_proxy_that_loses_the_base_url_fails_the_jupyterlab_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    # the spark-ui proxy entry without its redirect rewriting: Spark's redirects leave the proxy
    drop = r"sed -i '/\"rewrite_response\"/d' /etc/jupyter/jupyter_server_config.py"
    broken = ctr.with_user("root").with_exec(["bash", "-c", drop]).with_user(paths.NOTEBOOK_USER)
    services = Services.for_image(broken, opts.probes())
    outcome = await run_check("jupyterlab", lambda: jupyter.check(image, services), limits.CHECK_LIMITS["jupyterlab"])
    assert outcome.status == "failed", outcome.detail
    assert "/user/jovyan/spark-ui/executors redirected to 'http://" in outcome.detail, outcome.detail


# one installed package put back to its oldest version in the archive (libssl3 first: bookworm's point
# release has an older one than bookworm-security's), as an image built before an update would have it
STALE_PACKAGE = r"""
apt-get update -qq
for pkg in libssl3 $(dpkg-query -W -f '${Package}\n'); do
  oldest=$(apt-cache madison "$pkg" | awk '{print $3}' | tail -1)
  [ -n "$oldest" ] && [ "$oldest" != "$(dpkg-query -W -f '${Version}' "$pkg")" ] || continue
  if apt-get install -qq -y --allow-downgrades "$pkg=$oldest" >/dev/null 2>&1; then echo "$pkg $oldest"; break; fi
done
rm -rf /var/lib/apt/lists/*
"""


async def test_an_image_with_a_package_behind_debians_updates_fails_the_updates_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    services = Services.for_image(ctr, opts.probes())
    assert (await run_check("updates", lambda: updates.check(image, services), 240)).status == "passed"
    stale = ctr.with_user("root").with_exec(["bash", "-euo", "pipefail", "-c", STALE_PACKAGE])
    package, version = (await stale.stdout()).split()
    services = Services.for_image(stale.with_user(paths.NOTEBOOK_USER), opts.probes())
    outcome = await run_check("updates", lambda: updates.check(image, services), 240)
    assert outcome.status == "failed" and f"{package} {version} -> " in outcome.detail, outcome.detail
    assert "--refresh" in outcome.detail


async def test_an_image_with_a_derby_jar_no_decision_covers_fails_the_advisories_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    services = Services.for_image(ctr, opts.probes())
    passed = await run_check("advisories", lambda: advisories.check(image, services), 60)
    assert passed.status == "passed" and "CVE-2022-46337 (derby-10.16.1.1.jar, " in passed.detail, passed.detail
    # a Spark release bringing another Derby: the decision must be reviewed before the image ships
    other = ctr.with_new_file("/opt/spark/jars/derby-10.17.1.0.jar", "not a jar")
    services = Services.for_image(other, opts.probes())
    outcome = await run_check("advisories", lambda: advisories.check(image, services), 60)
    assert outcome.status == "failed" and "derby-10.17.1.0.jar" in outcome.detail, outcome.detail
    assert "review the decision in pipeline/advisories.json" in outcome.detail


async def test_a_spark_worker_directory_the_user_cannot_write_fails_the_cluster_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    # as pyspark's sdist leaves /opt/spark: a standalone worker cannot make its directory
    chown = f"chown root:root {paths.SPARK_HOME}/work && chmod 755 {paths.SPARK_HOME}/work"
    broken = ctr.with_user("root").with_exec(["bash", "-c", chown]).with_user(paths.NOTEBOOK_USER)
    services = Services.for_image(broken, opts.probes())
    outcome = await run_check("cluster", lambda: cluster.check(image, services, False), 300)
    assert outcome.status == "failed", outcome.detail
    assert "did not start" in outcome.detail and f"{paths.SPARK_HOME}/work" in outcome.detail, outcome.detail


async def test_an_iceberg_image_without_the_iceberg_jar_fails_the_iceberg_check(build, opts, native):
    image, ctr = build("3.5.7", "iceberg")
    jar = f"/opt/spark/jars/{image.line.iceberg.filename}"
    broken = ctr.with_user("root").with_exec(["rm", jar]).with_user(paths.NOTEBOOK_USER)
    result = await checks.check_image(image, broken, opts.probes(), platform=native)
    by_name = {c.name: c for c in result.checks}
    assert by_name["iceberg"].status == "failed"
    assert "ClassNotFound" in by_name["iceberg"].detail or "iceberg" in by_name["iceberg"].detail.lower()
    assert by_name["facts"].status == "failed" and "iceberg" in by_name["facts"].detail


async def test_publish_pushes_what_passed_and_refuses_what_failed(results, build, in_engine_registry):
    image, ctr, result = results[("4.1.1", "baseline")]
    passed = shipping.Built(image, ctr, result)
    _, broken_ctr = build("4.1.1", "gpu")
    failed = shipping.Built(
        image.__class__(image.spark, "gpu"),
        broken_ctr,
        checks.ImageResult("jupyter-4.1.1-gpu", [checks.CheckResult("jupyterlab", "failed", 1.0, "broken")]),
    )
    out = await shipping.publish_passed([passed, failed], f"{in_engine_registry}/ci", None, None, uuid.uuid4().hex[:12])
    refs = out.pushed
    assert len(refs) == 2 and all(
        r.startswith(f"{in_engine_registry}/ci/jupyter-4.1.1:") and "@sha256:" in r for r in refs
    )
    assert out.refused == ["jupyter-4.1.1-gpu"] and out.failed == []
    pulled = dag.container().from_(refs[0])
    assert await pulled.label("io.jupyter-spark.spark.version") == "4.1.1"
    assert (
        await pulled.with_exec(["python", "-c", "import pyspark; print(pyspark.__version__)"]).stdout()
    ).strip() == "4.1.1"


async def test_publish_signs_each_image_before_any_tag_and_verify_checks_it_offline(
    results, opts, key_pair, in_engine_registry
):
    image, ctr, result = results[("4.1.1", "baseline")]
    built = [shipping.Built(image, ctr, result)]
    registry = f"{in_engine_registry}/signed-{uuid.uuid4().hex[:8]}"
    where = registry_tools.Registry(in_engine_registry)
    (key, public), (_, other_public) = await key_pair("s3cret"), await key_pair("other")
    signer = signing.Signer(key, dag.set_secret("cosign-password", "s3cret"), where, opts)
    made = await orchestrate.made_by(orchestrate.RunState(opts), built)
    out = await shipping.publish_passed(built, registry, None, None, "signed", opts=opts, signer=(signer, made))
    assert out.failed == [] and len(out.pushed) == 2, out
    latest = out.pushed[-1].split("@")[0]

    said = await signing.verify(latest, public, where, opts)
    checked = [c.status for c in result.checks]
    assert f"check record: {result.platform} {result.digest}: {checked.count('passed')} passed" in said, said
    assert f"sbom of {result.digest}: " in said and "provenance: built by https://dagger.io/engine/" in said
    assert f"every statement's subject: {result.digest}" in said

    with pytest.raises(Failed, match="does not verify with that key"):
        await signing.verify(latest, other_public, where, opts)  # another publisher's key
    unchecked = await ctr.with_label("unchecked", "1").publish(f"{registry}/never-checked:latest")
    with pytest.raises(Failed, match="does not verify with that key: .*no signatures found"):
        await signing.verify(unchecked, public, where, opts)  # pushed without publish: never signed
    tampered = await ctr.with_new_file("/home/jovyan/tampered", "x").publish(latest)
    assert tampered.split("@")[1] != result.digest
    with pytest.raises(Failed, match="does not verify with that key: .*no signatures found"):
        await signing.verify(latest, public, where, opts)  # its tag moved to another image


async def test_an_image_that_cannot_be_signed_gets_no_tag(results, opts, key_pair, in_engine_registry):
    image, ctr, result = results[("4.1.1", "baseline")]
    built = [shipping.Built(image, ctr, result)]
    registry, where = (
        f"{in_engine_registry}/unsigned-{uuid.uuid4().hex[:8]}",
        registry_tools.Registry(in_engine_registry),
    )
    key, _ = await key_pair("s3cret")
    signer = signing.Signer(key, dag.set_secret("wrong-password", "wrong"), where, opts)
    made = await orchestrate.made_by(orchestrate.RunState(opts), built)
    out = await shipping.publish_passed(built, registry, None, None, "unsigned", opts=opts, signer=(signer, made))
    assert out.pushed == [] and len(out.failed) == 1 and "not signed" in out.failed[0], out
    for tag in publish.references(registry, image, "unsigned"):
        assert await publish.digest_of(tag) is None, tag


ADD_CA = (
    "keytool -genkeypair -alias leak -dname CN=leak -keyalg RSA -keystore /tmp/k.jks -storepass changeit "
    "&& keytool -exportcert -alias leak -keystore /tmp/k.jks -storepass changeit -file /tmp/leak.crt "
    "&& keytool -importcert -noprompt -cacerts -storepass changeit -alias leak -file /tmp/leak.crt"
)


async def test_a_ca_left_in_javas_keystore_fails_the_facts_check(build, opts, native):
    image, ctr = build("4.1.1", "baseline")
    leaky = ctr.with_user("root").with_exec(["bash", "-c", ADD_CA]).with_user(paths.NOTEBOOK_USER)
    result = await checks.check_image(image, leaky, opts.probes(), platform=native)
    facts_result = next(c for c in result.checks if c.name == "facts")
    assert facts_result.status == "failed", facts_result.detail
    assert "build-cas-left: CAs trusted while building are left in the image" in facts_result.detail
    assert "(leak)" in facts_result.detail


async def test_a_ca_left_in_the_bundle_or_linked_in_etc_ssl_certs_fails_the_facts_check(build, opts, native):
    """What a build step's exec sees of the engine's CAs, left behind: one in the CA bundle, and a link
    to where the engine puts them (written without an exec: the engine would clean an exec's)."""
    image, ctr = build("4.1.1", "baseline")
    make_ca = "keytool -exportcert -rfc -alias leak -keystore /tmp/k.jks -storepass changeit"
    pem = await ctr.with_user("root").with_exec(["bash", "-c", f"{ADD_CA.partition(' && ')[0]} && {make_ca}"]).stdout()
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    leaky = ctr.with_new_file(bundle, await ctr.file(bundle).contents() + pem).with_symlink(
        "/usr/local/share/ca-certificates/proxy.crt", "/etc/ssl/certs/proxy.pem"
    )
    result = await checks.check_image(image, leaky, opts.probes(), platform=native)
    detail = next(c for c in result.checks if c.name == "facts").detail
    assert "build-cas-left: CAs trusted while building are left in the image" in detail, detail
    assert "(in the CA bundle, shipped by no package)" in detail and "(leak)" not in detail, detail
    assert "/etc/ssl/certs/proxy.pem -> /usr/local/share/ca-certificates/proxy.crt" in detail, detail


async def test_a_leaked_ca_in_place_of_a_bundle_certificate_fails_the_facts_check(build, opts, native):
    """Equal counts (one bundle certificate out of the keystore, one foreign CA in): the sets differ."""
    image, ctr = build("4.1.1", "baseline")
    keystore = "keytool -list -cacerts -storepass changeit"
    entries = f"{keystore} | grep -o 'contains [0-9]* entr'"
    swap = (
        f"{entries} && alias=$({keystore} | grep trustedCertEntry | head -1 | cut -d, -f1)"
        ' && echo "deleted $alias" && keytool -delete -cacerts -storepass changeit -alias "$alias"'
        f" && {ADD_CA} && {entries} && {keystore} -alias leak"
    )
    # taking the engine's CAs out again as a build step does: the exec would leave them (recipe.DROP_BUILD_CAS)
    swapped = ctr.with_user("root").with_exec(["bash", "-c", swap + recipe.DROP_BUILD_CAS])
    out = await swapped.stdout()
    before, after = re.findall(r"contains \d+ entr", out)
    assert before == after, out  # a count comparison would see nothing wrong
    deleted = re.search(r"deleted (.+)", out).group(1)
    leak = re.search(r"Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)", out).group(1)
    services = Services.for_image(swapped.with_user(paths.NOTEBOOK_USER), opts.probes())
    outcome = await run_check("facts", lambda: facts.check(image, services, native), 300)
    assert outcome.status == "failed", outcome.detail
    assert outcome.detail.endswith(f"expected none): {leak} (leak)")  # the foreign CA, and only it
    assert deleted not in outcome.detail and "labels do not match" not in outcome.detail


async def test_an_image_over_its_size_budget_fails_the_size_check(build, opts, native):
    image, ctr = build("4.1.1", "iceberg")  # 1.50 GB, budget 1.60 GB
    heavy = (
        ctr.with_user("root")
        .with_exec(["bash", "-c", "head -c 200000000 /dev/urandom > /opt/ballast"])
        .with_user(paths.NOTEBOOK_USER)
    )

    async def size() -> str:
        return facts.check_size(image, await facts.image_size(Services.for_image(heavy, opts.probes())), native)

    outcome = await run_check("size", size, 300)
    assert outcome.status == "failed", outcome.detail
    assert re.search(r"jupyter-4\.1\.1-iceberg is 1\.\d\d GB uncompressed .*over its budget 1\.60 GB", outcome.detail)
    assert "iceberg-spark-runtime-4.1_2.13-1.12.0.jar 0.05 GB" in outcome.detail


async def test_a_failed_explain_only_session_fails_the_rapids_check_where_the_release_is_not_marked(
    build, opts, monkeypatch
):
    """RAPIDS 25.04's explainOnly session stops without a GPU; with the mark off, no CPU-side fallback."""
    image, ctr = build("3.5.8", "gpu")
    line = releases.LINES["3.5"]
    assert line.rapids.explain_needs_gpu  # as shipped: the check passes through the fallback
    monkeypatch.setitem(
        releases.LINES,
        "3.5",
        dataclasses.replace(line, rapids=dataclasses.replace(line.rapids, explain_needs_gpu=False)),
    )
    services = Services.for_image(ctr, opts.probes())
    outcome = await run_check("rapids", lambda: rapids.check(image, services), 300)
    assert outcome.status == "failed", outcome.detail
    assert "explainOnly session failed (this RAPIDS release is not marked as needing a GPU for it)" in outcome.detail


async def test_the_rapids_checks_session_gets_the_checks_limit_and_fails_clearly_past_it(build, opts):
    """The probe's Spark session waits as long as the check's limit allows (--limits rapids=N), no
    longer: given too little, the check fails saying the session did not finish, not with a traceback."""
    image, ctr = build("4.1.1", "gpu")
    services = Services.for_image(ctr, opts.probes())
    outcome = await run_check("rapids", lambda: rapids.check(image, services, within=14), 60)
    assert outcome.status == "failed", outcome.detail
    said = r"the Spark session did not finish within [1-4]s \(its share of the check's limit\)"
    assert re.search(said, outcome.detail), outcome.detail
    assert "Traceback" not in outcome.detail


async def test_a_checks_service_slower_than_the_images_healthcheck_allows_is_still_waited_for(build):
    """Dagger fails a service after its healthcheck's start period and three tries: 66 s with the image's
    HEALTHCHECK. A check's service (ready_when) is waited for longer: one that listens only after 80 s
    starts, where the same service timed as the image's healthcheck fails."""
    _, ctr = build("4.1.1", "baseline")
    slow = ctr.with_env_variable("RUN", uuid.uuid4().hex).with_exposed_port(8000)
    args = ["bash", "-c", "sleep 80; exec python -m http.server 8000"]
    ready = await ready_when(slow, listening(8000)).as_service(args=args).start()
    await ready.stop(kill=True)
    with pytest.raises(dagger.DaggerError, match="health check"):
        await slow.with_docker_healthcheck(listening(8000), **recipe.HEALTHCHECK).as_service(args=args).start()


async def test_a_check_runs_processes_share_one_bytecode_cache_sparks_jvms_get_c1_only_and_no_ca_hook(build, opts):
    """What makes the checks cheaper reaches them: a module compiled by one uid's process is kept in
    the check run's cache, where another uid's process in another container finds it, and so does a later
    check run of the same Python files (Services.pycache_key), not one of other files; spark-submit
    starts its JVM with CHECK_JVM's options; the engine's CA hook finds no update-ca-certificates on
    the check run's PATH (services.py: Services.path), which the image has on its own."""
    _, ctr = build("4.1.1", "baseline")
    pycache_key = uuid.uuid4().hex  # as checks.python_layers names them: new, so nothing is kept yet
    services = await Services.for_image(ctr, opts.probes(), pycache_key=pycache_key).read()
    hook = ["bash", "-c", "command -v update-ca-certificates || echo none"]
    assert (await ctr.with_exec(hook).stdout()).strip() == "/usr/sbin/update-ca-certificates"
    assert (await services.container().with_exec(hook).stdout()).strip() == "none"
    await services.prepare()
    await services.runner().with_user(OPENSHIFT_USER).with_exec(["python", "-c", "import httpx"]).sync()
    uid = OPENSHIFT_USER.split(":")[0]
    kept = f"find {PYCACHE}/opt/venv -path '*/httpx/*' -name '__init__*.pyc' -uid {uid} 2>/dev/null; true"
    found = await services.runner().with_user(OTHER_USER).with_exec(["bash", "-c", kept]).stdout()
    assert found.strip(), f"no bytecode of httpx kept by uid {uid} in the check run's cache"
    for later, expected in ((pycache_key, found), (uuid.uuid4().hex, "")):
        run = await Services.for_image(ctr, opts.probes(), pycache_key=later).read()
        assert run.run_id != services.run_id
        assert await run.runner().with_user(OTHER_USER).with_exec(["bash", "-c", kept]).stdout() == expected
    launch = services.runner().with_env_variable("SPARK_PRINT_LAUNCH_COMMAND", "1")
    said = await launch.with_exec(["bash", "-c", "spark-submit --version 2>&1"]).stdout()
    command = next(line for line in said.splitlines() if line.startswith("Spark Command:"))
    assert CHECK_JVM[1] in command.split(), command


async def test_debians_archive_state_names_each_suites_package_list(client, opts, native):
    """What the updates check's results are held to is read from the archive, not an error: one
    Packages.xz line (its SHA-256, size, path) for each of the three suites."""
    state = await orchestrate.archive_state(opts, native)
    lines = state.strip().splitlines()
    assert len(lines) == len(updates.SUITES) and not state.startswith("unread"), state
    assert all(line.endswith(f"main/binary-{catalog.arch(native)}/Packages.xz") for line in lines), state
