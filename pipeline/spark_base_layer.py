"""The Spark base container: Debian, a headless JRE, Spark at /opt/spark, tini.

Usable alone like apache/spark's images (spark-submit, Kubernetes driver/executor), and the
base of every Jupyter image of that Spark version. Spark comes from the pyspark sdist on PyPI,
which carries the distribution's jars and scripts (Apache's download sites are not reachable
from every network this must build on; PyPI mirrors usually are).
"""

from __future__ import annotations

import dagger
from dagger import dag

from . import paths, recipe, releases, stages
from .recipe import Config, Copy, CopyFrom, Env, Layer, apt_install

BASE_IMAGE = stages.BASE_IMAGE
SPARK_UID = "185"  # apache/spark's


def install_spark(release: releases.SparkRelease) -> str:
    """What the image's own system must do for the Spark its stage unpacked: Java's version-named home, Spark's user."""
    java, writable = releases.LINES[release.line].java, " ".join(paths.SPARK_WRITABLE)
    return f"""
ln -s {paths.debian_jre_dir(java)} {paths.java_home(java)}
useradd --system --uid {SPARK_UID} --gid 0 --home-dir {paths.SPARK_WORKDIR} spark
mkdir -p {writable} && chown -R spark:0 {writable} && chmod g+w {writable}
"""


def layer(release: releases.SparkRelease) -> Layer:
    line = releases.LINES[release.line]
    return Layer(
        args=("DEBIAN_MIRROR",),
        steps=(
            CopyFrom(stages.spark_dist(release), paths.SPARK_HOME, paths.SPARK_HOME),
            apt_install(
                paths.debian_jre_package(line.java),
                "tini",
                "procps",
                "curl",
                "ca-certificates",
                then=install_spark(release),
                trust_store=stages.trust_store(line.java),
            ),
            Copy("pipeline/files/spark-entrypoint.sh", "/opt/entrypoint.sh", 0o755),
            Copy("pipeline/files/start-connect-server.sh", f"{paths.SPARK_HOME}/sbin/start-connect-server.sh", 0o755),
            Env("JAVA_HOME", line.java_home),
            Env("SPARK_HOME", paths.SPARK_HOME),
            Env("PATH", f"{paths.SPARK_HOME}/bin:{paths.SPARK_HOME}/sbin:${{PATH}}"),
            Config(user=SPARK_UID, workdir=paths.SPARK_WORKDIR, entrypoint=("/opt/entrypoint.sh",), cmd=("bash",)),
        ),
        labels={
            "org.opencontainers.image.title": f"spark-k8s-spark-{release.version}",
            "spark.version": release.version,
        },
    )


def build(release: releases.SparkRelease, opts: recipe.BuildOptions, platform: str) -> dagger.Container:
    """The base for one platform: the same recipe everywhere (the base image is multi-platform), its
    stages run on the engine's own platform."""
    base = dag.container(platform=dagger.Platform(platform)).from_(BASE_IMAGE)
    return recipe.apply(base, layer(release), opts, platform)
