"""Where things are inside an image: the one place for paths that layers write and probes read.

Layers import these; checks hand them to the probes (which run inside the image and import
nothing of the pipeline) as arguments.
"""

from __future__ import annotations

from typing import Final

SPARK_HOME: Final = "/opt/spark"
SPARK_JARS: Final = f"{SPARK_HOME}/jars"
SPARK_CONF: Final = f"{SPARK_HOME}/conf"
SPARK_DEFAULTS: Final = f"{SPARK_CONF}/spark-defaults.conf"
SPARK_WORKDIR: Final = f"{SPARK_HOME}/work-dir"
# where Spark writes at run time, writable by the image's users: the working directory, a standalone
# worker's directory (SPARK_WORKER_DIR's default) and the daemons' logs (start-master.sh, start-worker.sh)
SPARK_WRITABLE: Final = (SPARK_WORKDIR, f"{SPARK_HOME}/work", f"{SPARK_HOME}/logs")
JVM_DIR: Final = "/usr/lib/jvm"

VENV: Final = "/opt/venv"
REQUIREMENTS: Final = f"{VENV}/requirements.txt"
CONSTRAINTS: Final = f"{VENV}/constraints.txt"  # the locked versions without hashes: PIP_CONSTRAINT
KERNELS: Final = f"{VENV}/share/jupyter/kernels"
# the venv's directories that `pip install` adds to (packages, scripts, data files: man pages, Jupyter
# extensions and kernels, their config), writable by any uid (1777), not the locked packages' own
VENV_SHARED: Final = (
    "bin",
    "include",
    "share",
    "share/man",
    "share/man/man1",
    "share/jupyter",
    "share/jupyter/kernels",
    "share/jupyter/labextensions",
    "share/jupyter/nbextensions",
    "etc",
    "etc/jupyter",
    "etc/jupyter/jupyter_server_config.d",
    "etc/jupyter/jupyter_notebook_config.d",
    "etc/jupyter/nbconfig",
)
# the notebook user, as docker-stacks has it: one fact for the image's user, its environment and the checks
NB_USER: Final = "jovyan"
NB_UID: Final = 1000
NB_GID: Final = 100  # the `users` group
NOTEBOOK_USER: Final = f"{NB_UID}:{NB_GID}"  # what the images run as (Config.user)
JOVYAN_HOME: Final = "/home/jovyan"
WAREHOUSE: Final = f"{JOVYAN_HOME}/warehouse"

HOOKS: Final = ("/usr/local/bin/start-notebook.d", "/usr/local/bin/before-notebook.d")  # docker-stacks' hook folders
# docker-stacks' path, so compose files and scripts that name it keep working
HEALTHCHECK: Final = "/etc/jupyter/docker_healthcheck.py"
# passwd and group entries for uids and gids /etc/passwd and /etc/group lack (docker --user 12345:0, OpenShift):
# start.sh writes them here, NSS reads them after /etc/passwd (libnss-cache: /etc/passwd.cache links here)
EXTRA_USERS: Final = "/var/lib/extra-users"

RAPIDS_DIR: Final = "/opt/rapids"
RAPIDS_JAR: Final = f"{RAPIDS_DIR}/rapids-4-spark.jar"
GPU_DISCOVERY: Final = f"{RAPIDS_DIR}/getGpusResources.sh"
# the "PySpark (RAPIDS)" kernel's settings; pipeline/files/pyspark-kernel reads "$SPARK_HOME/conf/rapids.conf"
RAPIDS_CONF: Final = f"{SPARK_CONF}/rapids.conf"


def java_home(java_major: str) -> str:
    """JAVA_HOME for a Java major: a version-named link to Debian's arch-named JRE directory."""
    return f"{JVM_DIR}/java-{java_major}"


def debian_jre_dir(java_major: str) -> str:
    """Debian's JRE directory name for a Java major, as a shell word ($(dpkg --print-architecture) inside)."""
    return f'"java-{java_major}-openjdk-$(dpkg --print-architecture)"'


def debian_jre_package(java_major: str) -> str:
    return f"openjdk-{java_major}-jre-headless"
