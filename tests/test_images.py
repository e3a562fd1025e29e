"""Images of each variant, built and checked on the real engine; and the checks themselves
failing for the right reason on broken images."""

from __future__ import annotations

import pytest

from pipeline import checks, matrix, pipeline

pytestmark = pytest.mark.engine

# Each variant, both Spark lines, and the RAPIDS cases: own shim, override, override + CPU-side explain.
CASES = [("4.1.1", "baseline"), ("4.1.1", "gpu"), ("3.5.8", "gpu"), ("3.5.7", "iceberg"), ("4.1.0", "gpu-iceberg")]


def expected(variant: str) -> dict[str, str]:
    """check -> status: every image passes the common checks; iceberg and rapids only apply to their variants."""
    applies = {"iceberg": "iceberg" in variant, "rapids": "gpu" in variant}
    common = dict.fromkeys(("size", "jupyterlab", "spark-connect", "facts"), "passed")
    return common | {name: "passed" if on else "skipped" for name, on in applies.items()}


@pytest.fixture(scope="module")
async def results(client, opts):  # noqa: ARG001 - the session must be open
    """Built and checked the way build-all does it (two at a time)."""
    built = await pipeline.build_and_check_all([matrix.image(s, v) for s, v in CASES], opts)
    return {(b.image.spark.version, b.image.variant): (b.image, b.container, b.result) for b in built}


@pytest.mark.parametrize(("spark", "variant"), CASES)
async def test_image_passes_its_checks(results, spark, variant):
    image, _, result = results[(spark, variant)]
    statuses = {c.name: c.status for c in result.checks}
    details = "\n".join(f"{c.name}: {c.status}: {c.detail}" for c in result.checks)
    assert {k: statuses[k] for k in expected(variant)} == expected(variant), details
    assert result.passed, details
    gpu = next(c for c in result.checks if c.name == "gpu")
    assert gpu.status == "skipped" and ("no GPU" in gpu.detail or "not a GPU image" in gpu.detail)


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


async def test_a_broken_jupyterlab_fails_the_jupyterlab_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    broken = ctr.with_new_file(
        "/usr/local/bin/start-notebook.sh", "#!/bin/sh\necho broken on purpose >&2\nexit 3\n", permissions=0o755
    )
    result = await checks.check_image(image, broken, opts.probes())
    by_name = {c.name: c for c in result.checks}
    assert by_name["jupyterlab"].status == "failed"
    assert "broken on purpose" in by_name["jupyterlab"].detail  # the service's own log is in the report
    assert by_name["facts"].status == "passed"  # one failing check does not stop the others
    assert not result.passed


async def test_an_iceberg_image_without_the_iceberg_jar_fails_the_iceberg_check(build, opts):
    image, ctr = build("3.5.7", "iceberg")
    jar = f"/opt/spark/jars/{image.line.iceberg.filename}"
    broken = ctr.with_user("root").with_exec(["rm", jar]).with_user("1000:100")
    result = await checks.check_image(image, broken, opts.probes())
    by_name = {c.name: c for c in result.checks}
    assert by_name["iceberg"].status == "failed"
    assert "ClassNotFound" in by_name["iceberg"].detail or "iceberg" in by_name["iceberg"].detail.lower()
    assert by_name["facts"].status == "failed" and "iceberg" in by_name["facts"].detail


async def test_publish_pushes_what_passed_and_refuses_what_failed(results, build):
    image, ctr, result = results[("4.1.1", "baseline")]
    passed = pipeline.Built(image, ctr, result)
    _, broken_ctr = build("4.1.1", "gpu")
    failed = pipeline.Built(
        image.__class__(image.spark, "gpu"),
        broken_ctr,
        checks.ImageResult("jupyter-4.1.1-gpu", [checks.CheckResult("jupyterlab", "failed", 1.0, "broken")]),
    )
    refs = await pipeline.publish_passed([passed, failed], "localhost:5000/ci", None, None, "test")
    assert len(refs) == 2 and all(r.startswith("localhost:5000/ci/jupyter-4.1.1:") and "@sha256:" in r for r in refs)
    from dagger import dag

    pulled = dag.container().from_(refs[0])
    assert await pulled.label("io.jupyter-spark.spark.version") == "4.1.1"
    assert (
        await pulled.with_exec(["python", "-c", "import pyspark; print(pyspark.__version__)"]).stdout()
    ).strip() == "4.1.1"


async def test_a_ca_left_in_javas_keystore_fails_the_facts_check(build, opts):
    image, ctr = build("4.1.1", "baseline")
    add_ca = (
        "keytool -genkeypair -alias leak -dname CN=leak -keyalg RSA -keystore /tmp/k.jks -storepass changeit "
        "&& keytool -exportcert -alias leak -keystore /tmp/k.jks -storepass changeit -file /tmp/leak.crt "
        "&& keytool -importcert -noprompt -cacerts -storepass changeit -alias leak -file /tmp/leak.crt"
    )
    leaky = ctr.with_user("root").with_exec(["bash", "-c", add_ca]).with_user("1000:100")
    result = await checks.check_image(image, leaky, opts.probes())
    facts = next(c for c in result.checks if c.name == "facts")
    assert facts.status == "failed" and "build-cas-left: label says 0, image has 1" in facts.detail
