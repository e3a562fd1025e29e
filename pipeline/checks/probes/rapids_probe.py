"""RAPIDS without a GPU: the jar has the shim this image uses, and the RAPIDS kernel's settings
load the plugin, which in explainOnly mode reports the operators that would run on the GPU.

usage: rapids_probe.py SHIM_VERSION EXPLAIN_NEEDS_GPU --jar RAPIDS_JAR --kernels KERNELS_DIR --within SECONDS
  SHIM_VERSION: the image's Spark version, or its labelled override
  EXPLAIN_NEEDS_GPU: "yes" where the matrix marks the release as starting the GPU even in
  explainOnly mode (25.04): only then may a failed explainOnly session fall back to the jar's
  CPU-side ExplainPlan API; "no": a failed explainOnly session fails the probe
  RAPIDS_JAR, KERNELS_DIR: where the image has them (pipeline/paths.py, handed over by the check)
  SECONDS: the check's limit (pipeline/limits.py, --limits): the Spark sessions share it, less a margin
  for the probe to report a session that did not finish
"""

import argparse
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import NoReturn

import rapids_conf

parser = argparse.ArgumentParser()
parser.add_argument("shim")
parser.add_argument("explain_needs_gpu", choices=("yes", "no"))
parser.add_argument("--jar", required=True)
parser.add_argument("--kernels", required=True)
parser.add_argument("--within", type=float, required=True)
args = parser.parse_args()
REPORTING = 10  # seconds of the check's limit kept for reporting a session that did not finish
DEADLINE = time.monotonic() + args.within - REPORTING
shim, explain_needs_gpu, jar = "spark" + args.shim.replace(".", ""), args.explain_needs_gpu == "yes", args.jar
if not any(n.startswith(shim + "/") for n in zipfile.ZipFile(jar).namelist()):
    sys.exit(f"{jar} has no {shim}/ shim")
print(f"rapids: {jar} ships the {shim} shim")

spec = json.loads((Path(args.kernels) / "pyspark-rapids" / "kernel.json").read_text())
if spec["display_name"] != "PySpark (RAPIDS)" or "rapids" not in spec["argv"]:
    sys.exit(f"unexpected RAPIDS kernel spec {spec}")
conf = rapids_conf.load()
if conf.get("spark.plugins") != "com.nvidia.spark.SQLPlugin":
    sys.exit(f"rapids.conf does not load the plugin: {conf}")
# no GPU here: drop the GPU resource requests, ask for explanations instead of execution
conf = {k: v for k, v in conf.items() if ".resource.gpu." not in k}
conf |= {"spark.rapids.sql.mode": "explainOnly", "spark.rapids.sql.explain": "ALL"}
QUERY = "spark.range(1000).selectExpr('id % 10 AS k', 'id * 2 AS v').groupBy('k').sum('v')"


def session(settings: dict[str, str], body: str, *, sessions_left: int = 1) -> subprocess.CompletedProcess:
    """A local Spark session with settings running body, given its share of the time left: the check's
    limit is the one wait (a machine under load is slow, not broken, until the check's own limit)."""
    code = (
        "from pyspark.sql import SparkSession\n"
        "b = SparkSession.builder.master('local[1]')\n"
        f"for k, v in {settings!r}.items(): b = b.config(k, v)\n"
        f"spark = b.getOrCreate()\ndf = {QUERY}\n{body}\n"
    )
    seconds = max(DEADLINE - time.monotonic(), 1) / sessions_left
    try:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired as err:
        outs = (o.decode(errors="replace") if isinstance(o, bytes) else o or "" for o in (err.stdout, err.stderr))
        fail(f"the Spark session did not finish within {seconds:.0f}s (its share of the check's limit)", "".join(outs))


def fail(message: str, log: str) -> NoReturn:
    """Exit 1 with the session's log tail first and the message last (a report keeps the last lines)."""
    print(log[-3000:], file=sys.stderr)
    sys.exit(message)


def gpu_operators(log: str) -> list[str]:
    return sorted(
        {line.split("<")[1].split(">")[0] for line in log.splitlines() if "will run on GPU" in line and "<" in line}
    )


# a second session only where the release may need the CPU-side fallback below
run = session(conf, "print('rows', df.count())", sessions_left=2 if explain_needs_gpu else 1)
log = run.stdout + run.stderr
if "RAPIDS Accelerator is in explain only mode" not in log:
    fail("the RAPIDS kernel's settings did not load the plugin", log)
if run.returncode == 0:
    how = "explainOnly mode"
    if "rows 10" not in run.stdout:
        fail("explainOnly session gave a wrong result", log)
elif not explain_needs_gpu:
    fail("explainOnly session failed (this RAPIDS release is not marked as needing a GPU for it)", log)
else:
    # Releases the matrix marks (25.04) start the GPU in explainOnly mode too and stop without one:
    # ask the same jar's CPU-side explain API instead, with the same settings minus the plugin itself.
    if "cudaError" not in log and "nvidia-smi" not in log:
        fail("explainOnly session failed", log)
    how = "the plugin loaded, then needed a GPU to start (no GPU here); ExplainPlan API"
    cpu = {k: v for k, v in conf.items() if k not in ("spark.plugins", "spark.rapids.sql.mode")}
    run = session(
        cpu,
        "print(spark.sparkContext._jvm.com.nvidia.spark.rapids.ExplainPlan.explainPotentialGpuPlan(df._jdf, 'ALL'))",
    )
    log = run.stdout + run.stderr
    if run.returncode != 0:
        fail("ExplainPlan API failed", log)
ops = gpu_operators(log)
if not ops:
    fail("no operator would run on the GPU", log)
print(f"rapids ({how}): would run on GPU: {', '.join(ops)}")
