# DO NOT EDIT: rendered by `make dockerfiles` from pipeline/ (the recipe the pipeline builds).
# Needs BuildKit's built-in Dockerfile frontend (Docker 23.0 or later): heredocs, RUN --mount, COPY --chmod.
# docker build -f dockerfiles/spark-3.5.7/jupyter.Dockerfile --target <variant> \
#   --build-arg SPARK_IMAGE=spark-k8s-spark-3.5.7 -t jupyter-3.5.7[-<variant>] \
#   [--build-arg REVISION=$(git rev-parse HEAD)] .

ARG SPARK_IMAGE=spark-k8s-spark-3.5.7

FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS build-tools
ARG DEBIAN_MIRROR=
ARG PIP_INDEX_URL=
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
if ! grep -qs bookworm-security /etc/apt/sources.list /etc/apt/sources.list.d/*; then
  cat > /etc/apt/sources.list.d/debian.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -f /etc/apt/sources.list
fi
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  sed -i "s#http://deb.debian.org/debian#${DEBIAN_MIRROR}#" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || :
fi
apt-get update
export DEBIAN_FRONTEND=noninteractive
apt-get upgrade -y
apt-get install -y --no-install-recommends curl ca-certificates python3 python3-venv
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
EOF
COPY --chmod=644 requirements/build.txt /opt/build-tools/requirements.txt
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem --mount=type=cache,target=/root/.cache/pip <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
python3 -m venv /opt/build-tools
/opt/build-tools/bin/pip install -q --no-deps --require-hashes --only-binary :all: -r /opt/build-tools/requirements.txt
EOF

FROM build-tools AS venv-3.5
ARG PIP_INDEX_URL=
ARG TARGETARCH
COPY --chmod=644 requirements/jupyter-3.5.txt /opt/venv/requirements.txt
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem --mount=type=cache,target=/root/.cache/pip <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
case "$TARGETARCH" in amd64) platform=x86_64-manylinux_2_36 ;; arm64) platform=aarch64-manylinux_2_36 ;; *) echo "no wheels for $TARGETARCH" >&2; exit 1 ;; esac
python3 -m venv /opt/venv
[ -z "${PIP_INDEX_URL:-}" ] || export UV_INDEX_URL="$PIP_INDEX_URL"
export UV_CACHE_DIR=/root/.cache/pip/uv UV_LINK_MODE=copy UV_NATIVE_TLS=1
/opt/build-tools/bin/uv pip install -q --python /opt/venv/bin/python --python-platform "$platform" \
  --no-deps --require-hashes --only-binary :all: -r /opt/venv/requirements.txt
site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +
# the hub's web assets: only a hub serves them, never jupyterhub-singleuser (41 MB)
rm -rf /opt/venv/share/jupyterhub/static
sed -n 's/^\([A-Za-z0-9._-]*==[^ ]*\).*/\1/p' /opt/venv/requirements.txt > /opt/venv/constraints.txt
cd /opt/venv && mkdir -p bin include share share/man share/man/man1 share/jupyter share/jupyter/kernels share/jupyter/labextensions share/jupyter/nbextensions etc etc/jupyter etc/jupyter/jupyter_server_config.d etc/jupyter/jupyter_notebook_config.d etc/jupyter/nbconfig && chmod 1777 "$site" bin include share share/man share/man/man1 share/jupyter share/jupyter/kernels share/jupyter/labextensions share/jupyter/nbextensions etc etc/jupyter etc/jupyter/jupyter_server_config.d etc/jupyter/jupyter_notebook_config.d etc/jupyter/nbconfig
EOF

FROM build-tools AS python-bytecode
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
mkdir -p /out
dpkg -L $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'python3*' 'libpython3*' | sed -n 's/^ii  *//p') | grep '^/usr/.*[.]py$' >/tmp/python-modules
/usr/bin/python3 -E -S - <<'STAGE'
import hashlib, importlib.util as u, json, os, shutil
modules = {}
for source in open("/tmp/python-modules").read().splitlines():
    compiled = u.cache_from_source(source)
    sha256 = hashlib.sha256(open(source, "rb").read()).hexdigest()
    modules[source] = {"sha256": sha256, "compiled": os.path.exists(compiled)}
    if modules[source]["compiled"]:
        os.makedirs(os.path.dirname("/out/files" + compiled), exist_ok=True)
        shutil.copyfile(compiled, "/out/files" + compiled)
json.dump(modules, open("/out/modules.json", "w"), indent=0, sort_keys=True)
STAGE
EOF

FROM build-tools AS rapids-25.04.0
ARG MAVEN_REPO=https://repo1.maven.org/maven2
ARG TARGETARCH
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
mkdir -p /out
case "$TARGETARCH" in
  amd64) jar="com/nvidia/rapids-4-spark_2.12/25.04.0/rapids-4-spark_2.12-25.04.0.jar" sha256=6d28b2d769692b45a0c8494f4403a01de1348e3608d4e42eab8338c3de217148 ;;
  arm64) jar="com/nvidia/rapids-4-spark_2.12/25.04.0/rapids-4-spark_2.12-25.04.0-cuda12-arm64.jar" sha256=00185d5f184dc76bb80fd8a6d956c3d7a18447aaa33b33a8f3c16c8501a760b5 ;;
  *) echo "no build of this jar for $TARGETARCH; versions.json has: amd64, arm64" >&2; exit 1 ;;
esac
curl -fsSL --retry 5 --retry-all-errors --retry-delay 2 --connect-timeout 30 --max-time 1200 "$MAVEN_REPO/$jar" -o /out/rapids-4-spark.jar
echo "$sha256  /out/rapids-4-spark.jar" | sha256sum -c -
EOF

FROM build-tools AS iceberg-1.12.0
ARG MAVEN_REPO=https://repo1.maven.org/maven2
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
mkdir -p /out
curl -fsSL --retry 5 --retry-all-errors --retry-delay 2 --connect-timeout 30 --max-time 1200 "$MAVEN_REPO/org/apache/iceberg/iceberg-spark-runtime-3.5_2.12/1.12.0/iceberg-spark-runtime-3.5_2.12-1.12.0.jar" -o /out/iceberg-spark-runtime-3.5_2.12-1.12.0.jar
echo "8dd8c90e54ed1a20f2461309d047a255ee56382eb7c0a46162b27a4936fd86dc  /out/iceberg-spark-runtime-3.5_2.12-1.12.0.jar" | sha256sum -c -
EOF

FROM ${SPARK_IMAGE} AS jupyter
ARG DEBIAN_MIRROR=
USER root
COPY --from=venv-3.5 /opt/venv /opt/venv
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem --mount=type=bind,from=python-bytecode,source=/out,target=/run/python-bytecode <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
if ! grep -qs bookworm-security /etc/apt/sources.list /etc/apt/sources.list.d/*; then
  cat > /etc/apt/sources.list.d/debian.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -f /etc/apt/sources.list
fi
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  sed -i "s#http://deb.debian.org/debian#${DEBIAN_MIRROR}#" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || :
fi
apt-get update
export DEBIAN_FRONTEND=noninteractive
apt-get upgrade -y
for compiler in /usr/lib/python3.11/py_compile.py /usr/bin/py3compile; do
  dpkg-divert --quiet --local --rename --divert "$compiler.real" --add "$compiler"
  mkdir -p "$(dirname "$compiler")" && printf '#!/bin/sh\n' > "$compiler" && chmod 755 "$compiler"
done
apt-get install -y --no-install-recommends python3 python3-venv libnss-wrapper libnss-cache
for compiler in /usr/lib/python3.11/py_compile.py /usr/bin/py3compile; do
  rm "$compiler" && dpkg-divert --quiet --local --rename --remove "$compiler"
done
dpkg -L $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'python3*' 'libpython3*' | sed -n 's/^ii  *//p') | grep '^/usr/.*[.]py$' >/tmp/python-modules
/usr/bin/python3 -E -S - <<'PLACE'
import hashlib, importlib.util as u, json, os, py_compile, shutil, sys
staged = json.load(open("/run/python-bytecode/modules.json"))
here = []
for source in open("/tmp/python-modules").read().splitlines():
    known, compiled = staged.get(source), u.cache_from_source(source)
    if known and not known["compiled"]:
        continue  # as Debian's scripts leave it
    st, theirs = os.stat(source), "/run/python-bytecode/files" + compiled
    header = u.MAGIC_NUMBER + bytes(4) + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    header += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    if known and known["sha256"] == hashlib.sha256(open(source, "rb").read()).hexdigest() \
            and os.path.exists(theirs) and open(theirs, "rb").read(16) == header:
        os.makedirs(os.path.dirname(compiled), exist_ok=True)
        shutil.copyfile(theirs, compiled)
    else:
        py_compile.compile(source, doraise=True)
        here.append(source)
if here:
    print(f"{len(here)} modules not as the bytecode's stage had them: compiled here:", *here[:8], file=sys.stderr)
PLACE
rm /tmp/python-modules
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

useradd --create-home --uid 1000 --gid 100 --shell /bin/bash jovyan
mkdir -p /home/jovyan/work /usr/local/bin/start-notebook.d /usr/local/bin/before-notebook.d && chown -R jovyan:users /home/jovyan
chown -R jovyan:users /opt/spark/conf /opt/spark/work-dir /opt/spark/work /opt/spark/logs
chmod 1777 /home/jovyan /home/jovyan/work /opt/spark/work-dir /opt/spark/work /opt/spark/logs
# start.sh rewrites it in place from ICEBERG_* (as whatever uid starts the image)
{ echo '# redact credentials wherever Spark shows settings'; echo 'spark.redaction.regex (?i)secret|password|token|access[.]?key|credential'
  echo "# a notebook's driver at fixed ports (the image exposes them), for a cluster's executors to call back"
  echo 'spark.driver.port 7078'
  echo 'spark.driver.blockManager.port 7079'; } >/opt/spark/conf/spark-defaults.conf
chown jovyan:users /opt/spark/conf/spark-defaults.conf && chmod 666 /opt/spark/conf/spark-defaults.conf
sed -i -E 's/^(passwd|group):.*/\1: files cache/' /etc/nsswitch.conf
mkdir -p /var/lib/extra-users && chmod 1777 /var/lib/extra-users
ln -s /var/lib/extra-users/passwd /etc/passwd.cache && ln -s /var/lib/extra-users/group /etc/group.cache
find / -xdev -type f -perm /6000 -exec chmod ug-s {} +

site=$(echo /opt/venv/lib/python3*/site-packages)
printf '%s\n' /opt/spark/python /opt/spark/python/lib/py4j-*-src.zip > "$site/pyspark.pth"
EOF
COPY --chmod=644 pipeline/files/kernels/pyspark-local/kernel.json /opt/venv/share/jupyter/kernels/pyspark-local/kernel.json
COPY --chmod=644 pipeline/files/kernels/pyspark-connect/kernel.json /opt/venv/share/jupyter/kernels/pyspark-connect/kernel.json
COPY --chmod=755 pipeline/files/pyspark-kernel /usr/local/bin/pyspark-kernel
COPY --chmod=644 pipeline/files/spark_cluster_guard.py /opt/venv/lib/python3.11/site-packages/spark_cluster_guard.py
COPY --chmod=755 pipeline/files/spark-conf-from-env /usr/local/bin/spark-conf-from-env
COPY --chmod=755 pipeline/files/start.sh /usr/local/bin/start.sh
COPY --chmod=755 pipeline/files/start-notebook.py /usr/local/bin/start-notebook.py
COPY --chmod=755 pipeline/files/start-notebook.sh /usr/local/bin/start-notebook.sh
COPY --chmod=755 pipeline/files/start-singleuser.py /usr/local/bin/start-singleuser.py
COPY --chmod=755 pipeline/files/start-singleuser.sh /usr/local/bin/start-singleuser.sh
COPY --chmod=644 pipeline/files/jupyter_server_config.py /etc/jupyter/jupyter_server_config.py
COPY --chmod=755 pipeline/files/docker_healthcheck.py /etc/jupyter/docker_healthcheck.py
ENV PATH=/opt/venv/bin:${PATH}
ENV PYSPARK_PYTHON=/opt/venv/bin/python
ENV SHELL=/bin/bash
ENV HOME=/home/jovyan
ENV NB_USER=jovyan
ENV NB_UID=1000
ENV NB_GID=100
ENV PIP_CONSTRAINT=/opt/venv/constraints.txt
USER 1000:100
WORKDIR /home/jovyan/work
EXPOSE 8888 4040 15002 7078 7079
ENTRYPOINT ["tini", "-g", "--", "start.sh"]
CMD ["start-notebook.py"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --start-interval=2s --retries=3 CMD ["/etc/jupyter/docker_healthcheck.py"]

FROM jupyter AS baseline
ARG REVISION=unknown
LABEL org.opencontainers.image.title="jupyter-3.5.7"
LABEL org.opencontainers.image.description="JupyterLab with Apache Spark 3.5.7 (baseline)"
LABEL org.opencontainers.image.version="3.5.7"
LABEL org.opencontainers.image.source="https://github.com/jupyter-spark-images/jupyter-spark-images"
LABEL org.opencontainers.image.licenses="Apache-2.0"
LABEL org.opencontainers.image.base.name="debian:bookworm-slim"
LABEL io.jupyter-spark.variant="baseline"
LABEL io.jupyter-spark.platforms="linux/amd64,linux/arm64"
LABEL io.jupyter-spark.spark.version="3.5.7"
LABEL io.jupyter-spark.scala.version="2.12"
LABEL io.jupyter-spark.java.version="17"
LABEL io.jupyter-spark.python.version="3.11"
LABEL io.jupyter-spark.jupyterlab.version="4.6.6"
LABEL io.jupyter-spark.jupyterhub.version="5.5.4"
LABEL io.jupyter-spark.spark-connect.version="3.5.7"
LABEL org.opencontainers.image.revision="${REVISION}"

FROM jupyter AS gpu
USER root
COPY --from=rapids-25.04.0 /out /opt/rapids
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
# settings the "PySpark (RAPIDS)" kernel adds to spark-defaults.conf's
cat > /opt/spark/conf/rapids.conf <<'CONF'
spark.plugins com.nvidia.spark.SQLPlugin
spark.driver.extraClassPath /opt/rapids/rapids-4-spark.jar
spark.executor.extraClassPath /opt/rapids/rapids-4-spark.jar
spark.rapids.sql.concurrentGpuTasks 1
spark.executor.resource.gpu.amount 1
spark.task.resource.gpu.amount 1
spark.executor.resource.gpu.discoveryScript /opt/rapids/getGpusResources.sh
spark.driver.resource.gpu.amount 1
spark.driver.resource.gpu.discoveryScript /opt/rapids/getGpusResources.sh
spark.rapids.shims-provider-override com.nvidia.spark.rapids.shims.spark355.SparkShimServiceProvider
CONF
chown jovyan:users /opt/spark/conf/rapids.conf
EOF
COPY --chmod=755 pipeline/files/getGpusResources.sh /opt/rapids/getGpusResources.sh
COPY --chmod=644 pipeline/files/kernels/pyspark-rapids/kernel.json /opt/venv/share/jupyter/kernels/pyspark-rapids/kernel.json
USER 1000:100
ARG REVISION=unknown
LABEL org.opencontainers.image.title="jupyter-3.5.7-gpu"
LABEL org.opencontainers.image.description="JupyterLab with Apache Spark 3.5.7 (gpu)"
LABEL org.opencontainers.image.version="3.5.7"
LABEL org.opencontainers.image.source="https://github.com/jupyter-spark-images/jupyter-spark-images"
LABEL org.opencontainers.image.licenses="Apache-2.0"
LABEL org.opencontainers.image.base.name="debian:bookworm-slim"
LABEL io.jupyter-spark.variant="gpu"
LABEL io.jupyter-spark.platforms="linux/amd64,linux/arm64"
LABEL io.jupyter-spark.spark.version="3.5.7"
LABEL io.jupyter-spark.scala.version="2.12"
LABEL io.jupyter-spark.java.version="17"
LABEL io.jupyter-spark.python.version="3.11"
LABEL io.jupyter-spark.jupyterlab.version="4.6.6"
LABEL io.jupyter-spark.jupyterhub.version="5.5.4"
LABEL io.jupyter-spark.spark-connect.version="3.5.7"
LABEL io.jupyter-spark.rapids.version="25.04.0"
LABEL io.jupyter-spark.rapids.shim-override="3.5.5 (untested upstream)"
LABEL org.opencontainers.image.revision="${REVISION}"

FROM jupyter AS iceberg
USER root
COPY --from=iceberg-1.12.0 /out /opt/spark/jars
RUN --mount=type=secret,id=build-ca,target=/run/build-ca/ca.pem <<'EOF'
#!/bin/bash
set -euo pipefail
if [ -s /run/build-ca/ca.pem ]; then export CURL_CA_BUNDLE=/run/build-ca/ca.pem PIP_CERT=/run/build-ca/ca.pem SSL_CERT_FILE=/run/build-ca/ca.pem; fi
mkdir -p /home/jovyan/warehouse && chown jovyan:users /home/jovyan/warehouse && chmod 1777 /home/jovyan/warehouse
cat >> /opt/spark/conf/spark-defaults.conf <<'CONF'
# Iceberg: catalog `local`, the default, in a file warehouse; ICEBERG_REST_URI switches it to REST
spark.sql.extensions org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions
spark.sql.catalog.local org.apache.iceberg.spark.SparkCatalog
spark.sql.catalog.local.type hadoop
spark.sql.catalog.local.warehouse /home/jovyan/warehouse
spark.sql.defaultCatalog local
CONF
chown jovyan:users /opt/spark/conf/spark-defaults.conf
EOF
USER 1000:100
ARG REVISION=unknown
LABEL org.opencontainers.image.title="jupyter-3.5.7-iceberg"
LABEL org.opencontainers.image.description="JupyterLab with Apache Spark 3.5.7 (iceberg)"
LABEL org.opencontainers.image.version="3.5.7"
LABEL org.opencontainers.image.source="https://github.com/jupyter-spark-images/jupyter-spark-images"
LABEL org.opencontainers.image.licenses="Apache-2.0"
LABEL org.opencontainers.image.base.name="debian:bookworm-slim"
LABEL io.jupyter-spark.variant="iceberg"
LABEL io.jupyter-spark.platforms="linux/amd64,linux/arm64"
LABEL io.jupyter-spark.spark.version="3.5.7"
LABEL io.jupyter-spark.scala.version="2.12"
LABEL io.jupyter-spark.java.version="17"
LABEL io.jupyter-spark.python.version="3.11"
LABEL io.jupyter-spark.jupyterlab.version="4.6.6"
LABEL io.jupyter-spark.jupyterhub.version="5.5.4"
LABEL io.jupyter-spark.spark-connect.version="3.5.7"
LABEL io.jupyter-spark.iceberg.version="1.12.0"
LABEL org.opencontainers.image.revision="${REVISION}"
