"""The Jupyter layer shared by every variant: docker-stacks conventions on the Spark base.

jovyan (uid 1000, gid 100) in /home/jovyan/work, Debian's Python 3.11 in a venv at /opt/venv
with JupyterLab and the Spark Connect client deps from a hash-locked requirements file,
pyspark from /opt/spark/python (the same Spark as the JVM side, not a second copy of its jars),
kernels "PySpark (local)" and "PySpark (Spark Connect)". docker-stacks' start scripts (start.sh as
the entrypoint, start-notebook.py, start-singleuser.py, hooks).

Any uid can run it (docker --user 12345:0, OpenShift's restricted policy, --user 5000:100): the few
places a user writes are writable by every uid with the sticky bit (like /tmp: anyone creates,
only the owner removes), start.sh gives a uid without a passwd entry one (EXTRA_USERS, below), which
every process sees, also one exec'd into the running container (docker exec, oc rsh). Locked
packages stay root-owned: `pip install` as the user adds packages beside them and cannot replace or
remove them, and PIP_CONSTRAINT keeps the locked versions.
"""

from __future__ import annotations

from . import paths, product, releases, stages
from .paths import CONSTRAINTS, EXTRA_USERS, HEALTHCHECK, HOOKS, JOVYAN_HOME, KERNELS, SPARK_DEFAULTS
from .recipe import Config, Copy, CopyFrom, Env, Layer, apt_install

HOME = JOVYAN_HOME
# Spark's default plus `credential` (the Iceberg REST catalog's): values of matching keys are
# shown as *********(redacted) in the UI, event logs and spark-submit's output
REDACTION_REGEX = "(?i)secret|password|token|access[.]?key|credential"
# A notebook's driver (the "PySpark (local)" kernel in client mode against a cluster's master) listens at
# fixed ports, so that a cluster's executors can call back into it through a container network's or a
# Kubernetes Service's published ports (the image exposes them); a second driver in the same container
# takes the next free ports (spark.port.maxRetries)
DRIVER_PORTS = {"spark.driver.port": 7078, "spark.driver.blockManager.port": 7079}
# where users write, writable by any uid (mode 1777): the home, Spark's working directory, and the
# venv's directories that pip install adds to (paths.VENV_SHARED, made so in the venv's stage)
SHARED_DIRS = (HOME, f"{HOME}/work", *paths.SPARK_WRITABLE)
# A uid without a passwd entry (docker --user 12345:0, OpenShift) gets one that every process sees, also
# one exec'd into the running container, without /etc/passwd becoming writable: NSS asks /etc/passwd
# first and then libnss-cache, whose files link into EXTRA_USERS, where start.sh writes the entry (mode
# 1777, sticky: each uid owns what it writes, none replaces another's). An entry there can only add
# names for uids and gids /etc/passwd and /etc/group lack, never change theirs; and with no set-uid or
# set-gid program left in the image, an entry that names uid 0 gives no way to become it.
EXTRA_USERS_SETUP = f"""sed -i -E 's/^(passwd|group):.*/\\1: files cache/' /etc/nsswitch.conf
mkdir -p {EXTRA_USERS} && chmod 1777 {EXTRA_USERS}
ln -s {EXTRA_USERS}/passwd /etc/passwd.cache && ln -s {EXTRA_USERS}/group /etc/group.cache
find / -xdev -type f -perm /6000 -exec chmod ug-s {{}} +
"""

DRIVER_DEFAULTS = "\n".join(f"  echo '{name} {port}'" for name, port in DRIVER_PORTS.items())

VENV_SITE = f"{paths.VENV}/lib/python{product.PYTHON_VERSION}/site-packages"

START_SCRIPTS = ("start.sh", "start-notebook.py", "start-notebook.sh", "start-singleuser.py", "start-singleuser.sh")


def lock_file(release: releases.SparkRelease) -> str:
    """The requirements lock for a Spark line, relative to the repo root."""
    return f"requirements/jupyter-{release.line}.txt"


def layer(release: releases.SparkRelease) -> Layer:
    return Layer(
        args=("DEBIAN_MIRROR",),
        steps=(
            Config(user="root"),
            CopyFrom(stages.venv(release, lock_file(release)), paths.VENV, paths.VENV),
            apt_install(
                "python3",
                "python3-venv",
                "libnss-wrapper",
                "libnss-cache",
                then=f"""
useradd --create-home --uid {paths.NB_UID} --gid {paths.NB_GID} --shell /bin/bash {paths.NB_USER}
mkdir -p {HOME}/work {" ".join(HOOKS)} && chown -R jovyan:users {HOME}
chown -R jovyan:users {paths.SPARK_CONF} {" ".join(paths.SPARK_WRITABLE)}
chmod 1777 {" ".join(SHARED_DIRS)}
# start.sh rewrites it in place from ICEBERG_* (as whatever uid starts the image)
{{ echo '# redact credentials wherever Spark shows settings'; echo 'spark.redaction.regex {REDACTION_REGEX}'
  echo "# a notebook's driver at fixed ports (the image exposes them), for a cluster's executors to call back"
{DRIVER_DEFAULTS}; }} >{SPARK_DEFAULTS}
chown jovyan:users {SPARK_DEFAULTS} && chmod 666 {SPARK_DEFAULTS}
{EXTRA_USERS_SETUP}{stages.PYSPARK_PTH}""",
                bytecode=stages.PYTHON_BYTECODE,
            ),
            Copy("pipeline/files/kernels/pyspark-local/kernel.json", f"{KERNELS}/pyspark-local/kernel.json"),
            Copy("pipeline/files/kernels/pyspark-connect/kernel.json", f"{KERNELS}/pyspark-connect/kernel.json"),
            Copy("pipeline/files/pyspark-kernel", "/usr/local/bin/pyspark-kernel", 0o755),
            Copy("pipeline/files/spark_cluster_guard.py", f"{VENV_SITE}/spark_cluster_guard.py"),
            Copy("pipeline/files/spark-conf-from-env", "/usr/local/bin/spark-conf-from-env", 0o755),
            *(Copy(f"pipeline/files/{name}", f"/usr/local/bin/{name}", 0o755) for name in START_SCRIPTS),
            Copy("pipeline/files/jupyter_server_config.py", "/etc/jupyter/jupyter_server_config.py"),
            Copy("pipeline/files/docker_healthcheck.py", HEALTHCHECK, 0o755),
            Env("PATH", "/opt/venv/bin:${PATH}"),
            Env("PYSPARK_PYTHON", "/opt/venv/bin/python"),
            Env("SHELL", "/bin/bash"),
            Env("HOME", HOME),
            Env("NB_USER", paths.NB_USER),
            Env("NB_UID", str(paths.NB_UID)),
            Env("NB_GID", str(paths.NB_GID)),
            Env("PIP_CONSTRAINT", CONSTRAINTS),
            Config(
                user=paths.NOTEBOOK_USER,
                workdir=f"{HOME}/work",
                expose=(8888, 4040, 15002, *DRIVER_PORTS.values()),
                entrypoint=("tini", "-g", "--", "start.sh"),
                cmd=("start-notebook.py",),
                healthcheck=(HEALTHCHECK,),
            ),
        ),
    )
