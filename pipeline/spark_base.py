"""The Spark base container: Debian, a headless JRE, Spark at /opt/spark, tini.

Usable alone like apache/spark's images (spark-submit, Kubernetes driver/executor), and the
base of every Jupyter image of that Spark version. Spark comes from the pyspark sdist on PyPI,
which carries the distribution's jars and scripts (Apache's download sites are not reachable
from every network this must build on; PyPI mirrors usually are).
"""

from __future__ import annotations

import dagger
from dagger import dag

from . import matrix, paths, recipe
from .limits import CURL
from .recipe import Config, Copy, Env, Layer, Run, apt_install, maven_jar

BASE_IMAGE = "debian:bookworm-slim"
SPARK_UID = "185"  # apache/spark's


def install_spark(release: matrix.SparkRelease) -> Run:
    java = matrix.LINES[release.line].java
    jar = release.connect_jar
    connect = maven_jar(jar, f"{paths.SPARK_JARS}/{jar.filename}") if jar else ""
    return Run(f"""
cd /tmp
{CURL} "$PYPI_FILES/{release.sdist_path}" -o pyspark.tar.gz
echo "{release.sdist_sha256}  pyspark.tar.gz" | sha256sum -c -
mkdir -p src {paths.SPARK_HOME}/python {paths.SPARK_CONF} {paths.SPARK_WORKDIR}
tar -xzf pyspark.tar.gz -C src --strip-components=1
mv src/deps/bin src/deps/sbin src/deps/jars src/deps/licenses {paths.SPARK_HOME}/
mv src/pyspark src/lib {paths.SPARK_HOME}/python/
rm -rf pyspark.tar.gz src {paths.SPARK_HOME}/bin/*.cmd
{connect}ln -s {paths.debian_jre_dir(java)} {paths.java_home(java)}
useradd --system --uid {SPARK_UID} --gid 0 --home-dir {paths.SPARK_WORKDIR} spark
chown -R spark:0 {paths.SPARK_WORKDIR} && chmod g+w {paths.SPARK_WORKDIR}
""")


def layer(release: matrix.SparkRelease) -> Layer:
    line = matrix.LINES[release.line]
    return Layer(
        args=("DEBIAN_MIRROR", "PYPI_FILES", "MAVEN_REPO"),
        steps=(
            apt_install(paths.debian_jre_package(line.java), "tini", "procps", "curl", "ca-certificates"),
            install_spark(release),
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


def build(
    release: matrix.SparkRelease, opts: recipe.BuildOptions, platform: str = matrix.NATIVE_PLATFORM
) -> dagger.Container:
    """The base for one platform: the same recipe everywhere (the base image is multi-platform)."""
    return recipe.apply(dag.container(platform=dagger.Platform(platform)).from_(BASE_IMAGE), layer(release), opts)
