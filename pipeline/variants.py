"""Variant layers, last in every image: Iceberg (jar + a catalog) and GPU (RAPIDS jar + kernel)."""

from __future__ import annotations

from . import matrix
from .recipe import Config, Copy, Layer, Run
from .spark_base import maven_jar

RAPIDS_JAR = "/opt/rapids/rapids-4-spark.jar"
SPARK_CONF = "/opt/spark/conf"
WAREHOUSE = "/home/jovyan/warehouse"


def iceberg(image: matrix.Image) -> Layer:
    jar = image.line.iceberg
    return Layer(
        args=("MAVEN_REPO",),
        steps=(
            Config(user="root"),
            Run(
                maven_jar(jar, f"/opt/spark/jars/{jar.filename}")
                + f"""
mkdir -p {WAREHOUSE} && chown jovyan:users {WAREHOUSE} && chmod 1777 {WAREHOUSE}
cat >> {SPARK_CONF}/spark-defaults.conf <<'CONF'
# Iceberg: catalog `local`, the default, in a file warehouse; ICEBERG_REST_URI switches it to REST
spark.sql.extensions org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions
spark.sql.catalog.local org.apache.iceberg.spark.SparkCatalog
spark.sql.catalog.local.type hadoop
spark.sql.catalog.local.warehouse {WAREHOUSE}
spark.sql.defaultCatalog local
CONF
chown jovyan:users {SPARK_CONF}/spark-defaults.conf
"""
            ),
            Config(user="1000:100"),
        ),
    )


def rapids_conf(image: matrix.Image) -> str:
    """Settings the "PySpark (RAPIDS)" kernel adds (conf/rapids.conf, as --conf flags)."""
    lines = [
        "spark.plugins com.nvidia.spark.SQLPlugin",
        f"spark.driver.extraClassPath {RAPIDS_JAR}",
        f"spark.executor.extraClassPath {RAPIDS_JAR}",
        "spark.rapids.sql.concurrentGpuTasks 1",
        "spark.executor.resource.gpu.amount 1",
        "spark.task.resource.gpu.amount 1",
        "spark.executor.resource.gpu.discoveryScript /opt/rapids/getGpusResources.sh",
        "spark.driver.resource.gpu.amount 1",
        "spark.driver.resource.gpu.discoveryScript /opt/rapids/getGpusResources.sh",
    ]
    if image.rapids_shim_override:
        lines.append(f"spark.rapids.shims-provider-override {matrix.shim_provider_class(image.rapids_shim_override)}")
    return "\n".join(lines)


def gpu(image: matrix.Image) -> Layer:
    jar = image.line.rapids.jar
    return Layer(
        args=("MAVEN_REPO",),
        steps=(
            Config(user="root"),
            Run(
                "mkdir -p /opt/rapids\n"
                + maven_jar(jar, RAPIDS_JAR)
                + f"""
# settings the "PySpark (RAPIDS)" kernel adds to spark-defaults.conf's
cat > {SPARK_CONF}/rapids.conf <<'CONF'
{rapids_conf(image)}
CONF
chown jovyan:users {SPARK_CONF}/rapids.conf
"""
            ),
            Copy("pipeline/files/getGpusResources.sh", "/opt/rapids/getGpusResources.sh", 0o755),
            Copy(
                "pipeline/files/kernels/pyspark-rapids/kernel.json",
                "/opt/venv/share/jupyter/kernels/pyspark-rapids/kernel.json",
            ),
            Config(user="1000:100"),
        ),
    )


def layers(image: matrix.Image) -> list[Layer]:
    """The variant's layers in build order (GPU before Iceberg, as gpu-iceberg = gpu + iceberg)."""
    return ([gpu(image)] if image.gpu else []) + ([iceberg(image)] if image.iceberg else [])
