"""A notebook pointed at a cluster of the other Spark line: one clear error naming both versions, before the
session starts (Spark alone retries for a minute, then fails with "All masters are unresponsive" and a
stopped SparkContext). The cluster check itself: tests/test_images.py."""

from __future__ import annotations

import dagger
import pytest

from pipeline.checks import cluster
from pipeline.checks.services import JUPYTER, JUPYTER_URL, Services

pytestmark = pytest.mark.engine

SESSION = """
import sys
sys.path.insert(0, "/probes")
from kernel_client import Jupyter
jupyter = Jupyter(sys.argv[1], sys.argv[2])
jupyter.wait_ready(90)
jupyter.execute("pyspark-local", "from pyspark.sql import SparkSession\\nSparkSession.builder.getOrCreate()", 100)
"""


@pytest.mark.parametrize(("notebook", "workers"), [("4.1.1", "3.5.8"), ("3.5.8", "4.1.1")])
async def test_a_notebook_on_a_cluster_of_the_other_spark_line_says_both_versions(build, opts, notebook, workers):
    cluster_image, cluster_ctr = build(workers, "baseline")
    _, notebook_ctr = build(notebook, "baseline")
    services = Services.for_image(cluster_ctr, opts.probes())
    nodes = cluster.Cluster(cluster_image, services)
    master = await nodes.master.start()
    try:
        notebook_node = nodes.on_cluster(Services.for_image(notebook_ctr, opts.probes()).container())
        jupyter = services.jupyter_server(notebook_node.with_env_variable("SPARK_MASTER", cluster.MASTER_URL))
        runner = services.runner().with_service_binding(JUPYTER, jupyter)
        token = await services.token.plaintext()
        out = await runner.with_exec(
            ["python", "-c", SESSION, JUPYTER_URL, token], expect=dagger.ReturnType.FAILURE
        ).stderr()
    finally:
        await master.stop()
    assert f"SparkVersionMismatch: the cluster at {cluster.MASTER_URL} runs Spark {workers}" in out, out
    assert f"this notebook has Spark {notebook}" in out, out
