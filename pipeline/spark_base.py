"""The Spark base container: Debian, a headless JRE, Spark at /opt/spark, tini.

Usable alone like apache/spark's images (spark-submit, Kubernetes driver/executor), and the
base of every Jupyter image of that Spark version. Spark comes from the pyspark sdist on PyPI,
which carries the distribution's jars and scripts (Apache's download sites are not reachable
from every network this must build on; PyPI mirrors usually are).
"""

from __future__ import annotations

import dagger
from dagger import dag

from . import matrix, recipe
from .limits import CURL
from .recipe import Config, Copy, Env, Layer, Run

BASE_IMAGE = "debian:bookworm-slim"
SPARK_UID = "185"  # apache/spark's

APT_INSTALL = """
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  sed -i "s#http://deb.debian.org/debian#${DEBIAN_MIRROR}#" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || :
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {packages}
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
"""


# The engine trusts the build host's CAs in every step (they appear in
# /usr/local/share/ca-certificates during the step only), and ca-certificates-java copies
# whatever is trusted into Java's keystore: take those back out so no build CA stays.
DROP_BUILD_CAS_FROM_JAVA = """
command -v keytool >/dev/null || exit 0
for crt in /usr/local/share/ca-certificates/*.crt; do
  [ -e "$crt" ] || continue
  keytool -delete -cacerts -storepass changeit -alias "debian:$(basename "${crt%.crt}").pem" >/dev/null || :
done
"""


def apt_install(*packages: str) -> Run:
    return Run(APT_INSTALL.replace("{packages}", " ".join(packages)) + DROP_BUILD_CAS_FROM_JAVA)


def maven_jar(jar: matrix.MavenJar, dest: str) -> str:
    """Shell lines that download a jar from $MAVEN_REPO and verify Maven's SHA-1."""
    return f'{CURL} "$MAVEN_REPO/{jar.path()}" -o {dest}\necho "{jar.sha1}  {dest}" | sha1sum -c -\n'


def install_spark(release: matrix.SparkRelease) -> Run:
    line = matrix.LINES[release.line]
    connect = maven_jar(line.connect_jar, f"/opt/spark/jars/{line.connect_jar.filename}") if line.connect_jar else ""
    return Run(f"""
cd /tmp
{CURL} "$PYPI_FILES/{release.sdist_path}" -o pyspark.tar.gz
echo "{release.sdist_sha256}  pyspark.tar.gz" | sha256sum -c -
mkdir -p src /opt/spark/python /opt/spark/conf /opt/spark/work-dir
tar -xzf pyspark.tar.gz -C src --strip-components=1
mv src/deps/bin src/deps/sbin src/deps/jars src/deps/licenses /opt/spark/
mv src/pyspark src/lib /opt/spark/python/
rm -rf pyspark.tar.gz src /opt/spark/bin/*.cmd
{connect}ln -s "java-17-openjdk-$(dpkg --print-architecture)" /usr/lib/jvm/java-17
useradd --system --uid {SPARK_UID} --gid 0 --home-dir /opt/spark/work-dir spark
chown -R spark:0 /opt/spark/work-dir && chmod g+w /opt/spark/work-dir
""")


def layer(release: matrix.SparkRelease) -> Layer:
    return Layer(
        args=("DEBIAN_MIRROR", "PYPI_FILES", "MAVEN_REPO"),
        steps=(
            apt_install(f"openjdk-{matrix.JAVA_MAJOR}-jre-headless", "tini", "procps", "curl", "ca-certificates"),
            install_spark(release),
            Copy("pipeline/files/spark-entrypoint.sh", "/opt/entrypoint.sh", 0o755),
            Copy("pipeline/files/start-connect-server.sh", "/opt/spark/sbin/start-connect-server.sh", 0o755),
            Env("JAVA_HOME", "/usr/lib/jvm/java-17"),
            Env("SPARK_HOME", "/opt/spark"),
            Env("PATH", "/opt/spark/bin:/opt/spark/sbin:${PATH}"),
            Config(user=SPARK_UID, workdir="/opt/spark/work-dir", entrypoint=("/opt/entrypoint.sh",), cmd=("bash",)),
        ),
        labels={
            "org.opencontainers.image.title": f"spark-k8s-spark-{release.version}",
            "spark.version": release.version,
        },
    )


def build(release: matrix.SparkRelease, opts: recipe.BuildOptions) -> dagger.Container:
    return recipe.apply(dag.container().from_(BASE_IMAGE), layer(release), opts)
