"""Feature layers, last in every image: each feature a variant declares (product.VARIANT_FEATURES)
adds its layer, in product.FEATURES' order: rapids (RAPIDS jar, settings, kernel), then iceberg
(jar + a catalog)."""

from __future__ import annotations

from collections.abc import Callable

from . import catalog, paths, product, stages
from .recipe import Config, Copy, CopyFrom, Layer, Run


def iceberg(image: catalog.Image) -> Layer:
    return Layer(
        steps=(
            Config(user="root"),
            CopyFrom(stages.iceberg_jar(image.line), stages.OUT, paths.SPARK_JARS),
            Run(
                f"""
mkdir -p {paths.WAREHOUSE} && chown jovyan:users {paths.WAREHOUSE} && chmod 1777 {paths.WAREHOUSE}
cat >> {paths.SPARK_CONF}/spark-defaults.conf <<'CONF'
# Iceberg: catalog `local`, the default, in a file warehouse; ICEBERG_REST_URI switches it to REST
spark.sql.extensions org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions
spark.sql.catalog.local org.apache.iceberg.spark.SparkCatalog
spark.sql.catalog.local.type hadoop
spark.sql.catalog.local.warehouse {paths.WAREHOUSE}
spark.sql.defaultCatalog local
CONF
chown jovyan:users {paths.SPARK_CONF}/spark-defaults.conf
"""
            ),
            Config(user=paths.NOTEBOOK_USER),
        ),
    )


def rapids_conf(image: catalog.Image) -> str:
    """Settings the "PySpark (RAPIDS)" kernel adds (paths.RAPIDS_CONF, as --conf flags)."""
    lines = [
        "spark.plugins com.nvidia.spark.SQLPlugin",
        f"spark.driver.extraClassPath {paths.RAPIDS_JAR}",
        f"spark.executor.extraClassPath {paths.RAPIDS_JAR}",
        "spark.rapids.sql.concurrentGpuTasks 1",
        "spark.executor.resource.gpu.amount 1",
        "spark.task.resource.gpu.amount 1",
        f"spark.executor.resource.gpu.discoveryScript {paths.GPU_DISCOVERY}",
        "spark.driver.resource.gpu.amount 1",
        f"spark.driver.resource.gpu.discoveryScript {paths.GPU_DISCOVERY}",
    ]
    if image.rapids_shim_override:
        lines.append(f"spark.rapids.shims-provider-override {catalog.shim_provider_class(image.rapids_shim_override)}")
    return "\n".join(lines)


def rapids(image: catalog.Image) -> Layer:
    return Layer(
        steps=(
            Config(user="root"),
            CopyFrom(stages.rapids_jar(image.line), stages.OUT, paths.RAPIDS_DIR),
            Run(
                f"""
# settings the "PySpark (RAPIDS)" kernel adds to spark-defaults.conf's
cat > {paths.RAPIDS_CONF} <<'CONF'
{rapids_conf(image)}
CONF
chown jovyan:users {paths.RAPIDS_CONF}
"""
            ),
            Copy("pipeline/files/getGpusResources.sh", paths.GPU_DISCOVERY, 0o755),
            Copy("pipeline/files/kernels/pyspark-rapids/kernel.json", f"{paths.KERNELS}/pyspark-rapids/kernel.json"),
            Config(user=paths.NOTEBOOK_USER),
        ),
    )


FEATURE_LAYERS: dict[product.Feature, Callable[[catalog.Image], Layer]] = {"rapids": rapids, "iceberg": iceberg}
# the kernels a feature adds to the Jupyter layer's (what the jupyterlab check expects)
FEATURE_KERNELS: dict[product.Feature, tuple[str, ...]] = {"rapids": ("pyspark-rapids",), "iceberg": ()}
# The native checks whose pass on an image's line prover (checks.LineProof: the line's baseline, whose
# layers the image shares) still holds with a feature's layer on top: what they prove, the layer's files
# do not touch. The rapids layer's files (its jar outside Spark's jars, its settings, discovery script and
# kernel) are read only by the RAPIDS kernel (the rapids check's), the jupyterlab check lists its kernel;
# Iceberg's jar and settings are in every Spark session's classpath and defaults (the any-uid check starts
# no session: JupyterLab's kernels only), and neither layer runs apt. A check not named here runs on every
# image (tests/test_images.py proves the rapids layer's files are its own).
LEAVES_PROVEN: dict[product.Feature, tuple[str, ...]] = {
    "rapids": ("jupyterlab", "spark-connect", "cluster", "any-uid", "redaction", "updates"),
    "iceberg": ("any-uid", "updates"),
}


def layers(image: catalog.Image, features: list[product.Feature] | None = None) -> list[Layer]:
    """The layers of the image's features (or of the features given), in build order."""
    return [
        FEATURE_LAYERS[f](image) for f in (catalog.ordered_features(image.features) if features is None else features)
    ]
