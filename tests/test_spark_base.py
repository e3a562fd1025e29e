"""The Spark base container works on its own, like apache/spark's images."""

import pytest

from pipeline import catalog, product, releases, spark_base_layer

pytestmark = pytest.mark.engine


async def test_spark_base_runs_spark_alone_as_the_spark_user(client, opts, native):
    base = spark_base_layer.build(releases.release("4.1.1"), opts, native)
    assert await base.user() == spark_base_layer.SPARK_UID
    script = 'println("sum=" + spark.range(100).selectExpr("sum(id)").first.get(0))'
    out = await base.with_exec(
        ["/opt/entrypoint.sh", "bash", "-c", f"echo '{script}' | spark-shell --master 'local[1]' 2>/dev/null"]
    ).stdout()
    assert "sum=4950" in out
    assert "python3" not in await base.with_exec(["bash", "-c", "ls /usr/bin"]).stdout()  # no Jupyter layer here
    assert await base.with_exec(["test", "-x", "/opt/spark/sbin/start-connect-server.sh"]).sync()


async def test_jupyter_images_build_on_a_users_own_spark_image(client, opts, native):
    """--spark-image: the Jupyter layer on a Spark image given by address (here ours, via the registry)."""
    from pipeline import assembly

    base = spark_base_layer.build(releases.release("4.1.1"), opts, native)
    ref = await base.publish("localhost:5000/ci/spark-k8s-spark:4.1.1")
    ctr = assembly.build(catalog.image("4.1.1", "baseline"), opts, native, assembly.from_address(ref))
    out = await ctr.with_exec(
        ["python", "-c", "import pyspark, jupyterlab; print(pyspark.__version__, jupyterlab.__version__)"]
    ).stdout()
    assert out.split() == ["4.1.1", product.JUPYTERLAB_VERSION]
