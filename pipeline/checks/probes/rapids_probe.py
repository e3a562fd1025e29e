"""RAPIDS without a GPU: the jar has the shim this image uses, and the RAPIDS kernel's settings
load the plugin, which in explainOnly mode reports the operators that would run on the GPU.

usage: rapids_probe.py SHIM_VERSION (the image's Spark version, or its labelled override)
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

JAR = "/opt/rapids/rapids-4-spark.jar"
shim = "spark" + sys.argv[1].replace(".", "")
assert any(n.startswith(shim + "/") for n in zipfile.ZipFile(JAR).namelist()), f"{JAR} has no {shim}/ shim"
print(f"rapids: {JAR} ships the {shim} shim")

spec = json.loads(Path("/opt/venv/share/jupyter/kernels/pyspark-rapids/kernel.json").read_text())
assert spec["display_name"] == "PySpark (RAPIDS)" and "rapids" in spec["argv"], f"unexpected RAPIDS kernel spec {spec}"
conf = dict(line.split(" ", 1) for line in Path("/opt/spark/conf/rapids.conf").read_text().splitlines() if line and not line.startswith("#"))
assert conf.get("spark.plugins") == "com.nvidia.spark.SQLPlugin", f"rapids.conf does not load the plugin: {conf}"
# no GPU here: drop the GPU resource requests, ask for explanations instead of execution
conf = {k: v for k, v in conf.items() if ".resource.gpu." not in k}
conf |= {"spark.rapids.sql.mode": "explainOnly", "spark.rapids.sql.explain": "ALL"}
session = (
    "from pyspark.sql import SparkSession\n"
    f"b = SparkSession.builder.master('local[1]')\n"
    f"for k, v in {conf!r}.items(): b = b.config(k, v)\n"
    "spark = b.getOrCreate()\n"
    "df = spark.range(1000).selectExpr('id % 10 AS k', 'id * 2 AS v').groupBy('k').sum('v')\n"
    "print('rows', df.count())\n"
)
run = subprocess.run([sys.executable, "-c", session], capture_output=True, text=True, timeout=240)
log = run.stdout + run.stderr
assert run.returncode == 0 and "rows 10" in run.stdout, f"explainOnly session failed:\n{log[-3000:]}"
gpu_ops = sorted({line.split("<")[1].split(">")[0] for line in log.splitlines() if "will run on GPU" in line and "<" in line})
assert gpu_ops, f"explainOnly reported no operator that would run on the GPU:\n{log[-3000:]}"
print(f"rapids explainOnly: would run on GPU: {', '.join(gpu_ops)}")
