"""The Spark base as Spark's Kubernetes driver and executor image, by contract and without a cluster.

Spark's Kubernetes backend starts its pods with the image's entrypoint and `driver` or `executor`, and
hands them what they need as environment variables (SPARK_DRIVER_BIND_ADDRESS; SPARK_DRIVER_URL,
SPARK_EXECUTOR_ID, ...). Here the entrypoint's `driver` runs a Spark Connect server (as the Apache Spark
Kubernetes operator runs one) on a standalone master without workers, so that its scheduler takes
executors that register themselves; the entrypoint's `executor`, given the variables Kubernetes pods
get, registers with it, and a Connect client's job runs its tasks there: proven from the driver's API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline import spark_base_layer
from pipeline.checks import cluster
from pipeline.checks.services import Services

pytestmark = pytest.mark.engine

DRIVER_PORT = 7078
# the main class kubernetes-examples/spark-connect-server.yaml names: what the driver runs here
MANIFEST = Path(__file__).resolve().parents[2] / "kubernetes-examples/spark-connect-server.yaml"
MAIN_CLASS = next(yaml.safe_load_all(MANIFEST.read_text()))["spec"]["mainClass"]
SETTINGS = """
import json, sys, urllib.request
get = lambda path: json.load(urllib.request.urlopen(sys.argv[1] + path, timeout=10))
app = get("/api/v1/applications")[0]["id"]
props = dict(get(f"/api/v1/applications/{app}/environment")["sparkProperties"])
startup = [f"-D{k}={v}" for k, v in props.items() if k.startswith(("spark.driver.port", "spark.authenticate"))]
print(json.dumps(startup + props.get("spark.executor.extraJavaOptions", "").split()))
"""
JOB = """
import json, sys, time, urllib.request
from pyspark.sql import SparkSession
remote, ui = sys.argv[1:3]
spark = SparkSession.builder.remote(remote).getOrCreate()
count = int(spark.range(0, 100, 1, 4).count())  # numpy.int64 from 3.5's client
get = lambda path: json.load(urllib.request.urlopen(ui + path, timeout=10))
app = get("/api/v1/applications")[0]["id"]
time.sleep(2)  # the API counts a task once the driver's listener has seen it end
print(json.dumps({"count": count, "executors": get(f"/api/v1/applications/{app}/executors")}))
"""


@pytest.mark.parametrize("spark", ["4.1.1", "3.5.8"])
async def test_the_spark_base_runs_as_kubernetes_driver_and_executor(build, opts, native, spark):
    image, notebook = build(spark, "baseline")
    base = spark_base_layer.build(image.spark, opts, native)
    services = Services.for_image(base, opts.probes())
    nodes = cluster.Cluster(image, services)
    suffix = services.run_id[:12]
    driver_host, executor_host = f"k8s-driver-{suffix}", f"k8s-exec-1-{suffix}"
    driver = (
        nodes.on_cluster(nodes.node(cluster.CONNECT_PORT))
        .with_env_variable("SPARK_DRIVER_BIND_ADDRESS", "0.0.0.0")  # Kubernetes: the pod's IP
        .with_exposed_port(cluster.DRIVER_UI)
        .as_service(
            args=[
                "driver",
                *("--master", cluster.MASTER_URL, "--conf", f"spark.driver.host={driver_host}"),
                *("--conf", f"spark.driver.port={DRIVER_PORT}", "--conf", "spark.executor.memory=512m"),
                *("--class", MAIN_CLASS, "spark-internal"),
            ],
            use_entrypoint=True,
        )
        .with_hostname(driver_host)
    )
    contract = {  # what Spark's Kubernetes backend sets in an executor pod
        "SPARK_DRIVER_URL": f"spark://CoarseGrainedScheduler@{driver_host}:{DRIVER_PORT}",
        "SPARK_EXECUTOR_ID": "1",
        "SPARK_EXECUTOR_CORES": "1",
        "SPARK_EXECUTOR_MEMORY": "512m",
        "SPARK_APPLICATION_ID": "spark-contract",
        "SPARK_EXECUTOR_POD_IP": executor_host,
        "SPARK_EXECUTOR_POD_NAME": executor_host,
        "SPARK_RESOURCE_PROFILE_ID": "0",
    }
    started = [await nodes.master.start(), await driver.start()]
    try:
        client = Services.for_image(notebook, opts.probes()).container().with_env_variable("RUN", suffix)
        # and the executor's JVM options, one variable each, as the backend derives them from the driver's
        # settings (among them Java 17's --add-opens, which Spark adds to spark.executor.extraJavaOptions)
        settings = await client.with_exec(["python", "-c", SETTINGS, f"http://{driver_host}:4040"]).stdout()
        for index, option in enumerate(json.loads(settings)):
            contract[f"SPARK_JAVA_OPT_{index}"] = option
        executor = services.container()
        for name, value in contract.items():
            executor = executor.with_env_variable(name, value)
        started.append(
            await executor.as_service(args=["executor"], use_entrypoint=True).with_hostname(executor_host).start()
        )
        out = await client.with_exec(
            [
                "timeout",
                "180",
                "python",
                "-c",
                JOB,
                f"sc://{driver_host}:{cluster.CONNECT_PORT}",
                f"http://{driver_host}:4040",
            ]
        ).stdout()
    finally:
        for service in reversed(started):
            await service.stop()
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["count"] == 100
    tasks = {e["id"]: (e["hostPort"].split(":")[0], e["completedTasks"]) for e in seen["executors"]}
    assert set(tasks) == {"driver", "1"} and tasks["1"][0] == executor_host and tasks["1"][1] >= 4, tasks
