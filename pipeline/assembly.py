"""An image of the matrix: Spark base, then the Jupyter layer, then the variant's layers.

Each stage is its own cacheable prefix: every variant of a Spark version shares the base and the
Jupyter layer, so changing a variant rebuilds only that variant's layers.
"""

from __future__ import annotations

import dagger
from dagger import dag

from . import catalog, feature_layers, jupyter_layer, product, recipe, spark_base_layer

SOURCE = "https://github.com/jupyter-spark-images/jupyter-spark-images"
LABEL_PREFIX = "io.jupyter-spark"
REVISION_LABEL = "org.opencontainers.image.revision"  # the source revision, a build option (REVISION)


def labels(image: catalog.Image) -> dict[str, str]:
    """OCI labels plus the versions inside, which the image-facts check compares with the image."""
    out = {
        "org.opencontainers.image.title": image.name,
        "org.opencontainers.image.description": f"JupyterLab with Apache Spark {image.spark.version} ({image.variant})",
        "org.opencontainers.image.version": image.spark.version,
        "org.opencontainers.image.source": SOURCE,
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.base.name": spark_base_layer.BASE_IMAGE,
        f"{LABEL_PREFIX}.variant": image.variant,
        f"{LABEL_PREFIX}.platforms": ",".join(image.platforms),  # one multi-platform image of these
        f"{LABEL_PREFIX}.spark.version": image.spark.version,
        f"{LABEL_PREFIX}.scala.version": image.line.scala,
        f"{LABEL_PREFIX}.java.version": image.line.java,
        f"{LABEL_PREFIX}.python.version": product.PYTHON_VERSION,
        f"{LABEL_PREFIX}.jupyterlab.version": product.JUPYTERLAB_VERSION,
        f"{LABEL_PREFIX}.jupyterhub.version": product.JUPYTERHUB_VERSION,
    }
    if image.spark.connect_jar:
        out[f"{LABEL_PREFIX}.spark-connect.version"] = image.spark.connect_jar.version
    for feature in sorted(image.features):  # iceberg.version, rapids.version (by name)
        out[f"{LABEL_PREFIX}.{feature}.version"] = catalog.feature_jar(image.line, feature, image.platforms[0]).version
    if image.rapids_shim_override:
        out[f"{LABEL_PREFIX}.rapids.shim-override"] = f"{image.rapids_shim_override} (untested upstream)"
    return out


def stages(image: catalog.Image) -> list[recipe.Layer]:
    """Everything after the Spark base, in order; the last layer carries the image's labels."""
    layers = [jupyter_layer.layer(image.spark), *feature_layers.layers(image)]
    last = layers[-1]
    layers[-1] = recipe.Layer(last.steps, last.args, {**last.labels, **labels(image)})
    return layers


def build(
    image: catalog.Image, opts: recipe.BuildOptions, platform: str, base: dagger.Container | None = None
) -> dagger.Container:
    """The image as a Dagger container for one platform; base replaces the Spark base built here."""
    ctr = base if base is not None else spark_base_layer.build(image.spark, opts, platform)
    for layer in stages(image):
        ctr = recipe.apply(ctr, layer, opts, platform)
    return ctr


def from_address(address: str) -> dagger.Container:
    """A user's own Spark image, by address."""
    return dag.container().from_(address)
