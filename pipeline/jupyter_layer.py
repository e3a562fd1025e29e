"""The Jupyter layer shared by every variant: docker-stacks conventions on the Spark base.

jovyan (uid 1000, gid 100) in /home/jovyan/work, Debian's Python 3.11 in a venv at /opt/venv
with JupyterLab and the Spark Connect client deps from a hash-locked requirements file,
pyspark from /opt/spark/python (the same Spark as the JVM side, not a second copy of its jars),
kernels "PySpark (local)" and "PySpark (Spark Connect)".
"""

from __future__ import annotations

from . import matrix
from .paths import KERNELS, REQUIREMENTS
from .recipe import PIP_CACHE, Config, Copy, Env, Layer, Run, apt_install


def lock_file(release: matrix.SparkRelease) -> str:
    """The requirements lock for a Spark line, relative to the repo root."""
    return f"requirements/jupyter-{release.line}.txt"


def layer(release: matrix.SparkRelease) -> Layer:
    return Layer(
        args=("DEBIAN_MIRROR", "PIP_INDEX_URL"),
        steps=(
            Config(user="root"),
            apt_install("python3", "python3-venv"),
            Run("""
useradd --create-home --uid 1000 --gid 100 --shell /bin/bash jovyan
mkdir -p /home/jovyan/work && chown -R jovyan:users /home/jovyan
# kernels and the Connect server run as jovyan; they write spark-defaults.conf at start
chown -R jovyan:users /opt/spark/conf /opt/spark/work-dir
"""),
            Copy(lock_file(release), REQUIREMENTS),
            Run(
                f"""
python3 -m venv /opt/venv
/opt/venv/bin/pip install --no-deps --require-hashes --only-binary :all: -r {REQUIREMENTS}
site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
printf '%s\\n' /opt/spark/python /opt/spark/python/lib/py4j-*-src.zip > "$site/pyspark.pth"
find /opt/venv -name '__pycache__' -prune -exec rm -rf {{}} +
""",
                cache=PIP_CACHE,
            ),
            Copy("pipeline/files/kernels/pyspark-local/kernel.json", f"{KERNELS}/pyspark-local/kernel.json"),
            Copy("pipeline/files/kernels/pyspark-connect/kernel.json", f"{KERNELS}/pyspark-connect/kernel.json"),
            Copy("pipeline/files/pyspark-kernel", "/usr/local/bin/pyspark-kernel", 0o755),
            Copy("pipeline/files/spark-conf-from-env", "/usr/local/bin/spark-conf-from-env", 0o755),
            Copy("pipeline/files/start-notebook.sh", "/usr/local/bin/start-notebook.sh", 0o755),
            Copy("pipeline/files/jupyter_server_config.py", "/etc/jupyter/jupyter_server_config.py"),
            Env("PATH", "/opt/venv/bin:${PATH}"),
            Env("PYSPARK_PYTHON", "/opt/venv/bin/python"),
            Env("SHELL", "/bin/bash"),
            Env("HOME", "/home/jovyan"),
            Config(
                user="1000:100",
                workdir="/home/jovyan/work",
                expose=(8888, 4040, 15002),
                entrypoint=("tini", "-g", "--"),
                cmd=("start-notebook.sh",),
                healthcheck=("bash", "-c", "curl -fsS -o /dev/null http://localhost:${JUPYTER_PORT:-8888}/api"),
            ),
        ),
    )
