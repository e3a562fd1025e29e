"""The "PySpark (RAPIDS)" kernel's settings, as the kernel itself reads rapids.conf.

One rule: the image's pyspark-kernel turns rapids.conf into PYSPARK_SUBMIT_ARGS; the probes ask it
for them (PYSPARK_KERNEL_PRINT_ARGS=1) and split them as pyspark does (shlex), never parsing the
file a second way.
"""

import os
import shlex
import subprocess


def submit_args(master: str = "local[1]") -> str:
    """PYSPARK_SUBMIT_ARGS of the "PySpark (RAPIDS)" kernel, with master as its --master."""
    env = os.environ | {"PYSPARK_KERNEL_PRINT_ARGS": "1", "SPARK_MASTER": master}
    run = subprocess.run(["pyspark-kernel", "rapids"], env=env, capture_output=True, text=True, check=True)
    return run.stdout.strip()


def confs(args: str) -> dict[str, str]:
    """The --conf KEY=VALUE settings of a PYSPARK_SUBMIT_ARGS string."""
    words = shlex.split(args)
    pairs = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


def load() -> dict[str, str]:
    return confs(submit_args())
