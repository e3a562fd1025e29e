"""RAPIDS without a GPU: the jar has the shim this image uses, and the RAPIDS kernel's settings
load the plugin, which in explainOnly mode reports the operators that would run on the GPU.

usage: rapids_probe.py SHIM_VERSION (the image's Spark version, or its labelled override)
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import rapids_conf

JAR = "/opt/rapids/rapids-4-spark.jar"
shim = "spark" + sys.argv[1].replace(".", "")
assert any(n.startswith(shim + "/") for n in zipfile.ZipFile(JAR).namelist()), f"{JAR} has no {shim}/ shim"
print(f"rapids: {JAR} ships the {shim} shim")

spec = json.loads(Path("/opt/venv/share/jupyter/kernels/pyspark-rapids/kernel.json").read_text())
assert spec["display_name"] == "PySpark (RAPIDS)" and "rapids" in spec["argv"], f"unexpected RAPIDS kernel spec {spec}"
conf = rapids_conf.load()
assert conf.get("spark.plugins") == "com.nvidia.spark.SQLPlugin", f"rapids.conf does not load the plugin: {conf}"
# no GPU here: drop the GPU resource requests, ask for explanations instead of execution
conf = {k: v for k, v in conf.items() if ".resource.gpu." not in k}
conf |= {"spark.rapids.sql.mode": "explainOnly", "spark.rapids.sql.explain": "ALL"}
QUERY = "spark.range(1000).selectExpr('id % 10 AS k', 'id * 2 AS v').groupBy('k').sum('v')"


def session(settings: dict[str, str], body: str) -> subprocess.CompletedProcess:
    code = (
        "from pyspark.sql import SparkSession\n"
        "b = SparkSession.builder.master('local[1]')\n"
        f"for k, v in {settings!r}.items(): b = b.config(k, v)\n"
        f"spark = b.getOrCreate()\ndf = {QUERY}\n{body}\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)


def gpu_operators(log: str) -> list[str]:
    return sorted(
        {line.split("<")[1].split(">")[0] for line in log.splitlines() if "will run on GPU" in line and "<" in line}
    )


run = session(conf, "print('rows', df.count())")
log = run.stdout + run.stderr
assert "RAPIDS Accelerator is in explain only mode" in log, (
    f"the RAPIDS kernel's settings did not load the plugin:\n{log[-3000:]}"
)
if run.returncode == 0:
    how = "explainOnly mode"
    assert "rows 10" in run.stdout, f"explainOnly session gave a wrong result:\n{log[-3000:]}"
else:
    # Some releases (25.04) start the GPU in explainOnly mode too and stop without one: ask the
    # same jar's CPU-side explain API instead, with the same settings minus the plugin itself.
    assert "cudaError" in log or "nvidia-smi" in log, f"explainOnly session failed:\n{log[-3000:]}"
    how = "the plugin loaded, then needed a GPU to start (no GPU here); ExplainPlan API"
    cpu = {k: v for k, v in conf.items() if k not in ("spark.plugins", "spark.rapids.sql.mode")}
    run = session(
        cpu,
        "print(spark.sparkContext._jvm.com.nvidia.spark.rapids.ExplainPlan.explainPotentialGpuPlan(df._jdf, 'ALL'))",
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"ExplainPlan API failed:\n{log[-3000:]}"
ops = gpu_operators(log)
assert ops, f"no operator would run on the GPU:\n{log[-3000:]}"
print(f"rapids ({how}): would run on GPU: {', '.join(ops)}")
