"""On a GPU: the RAPIDS kernel's settings run a query whose physical plan has Gpu* operators."""

import os
import subprocess
import sys

import rapids_conf

session = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "df = spark.range(1_000_000).selectExpr('id % 10 AS k', 'id AS v').groupBy('k').sum('v')\n"
    "plan = df._jdf.queryExecution().executedPlan().toString()\n"
    "print('rows', df.count()); print(plan)\n"
)
env = os.environ | {"PYSPARK_SUBMIT_ARGS": rapids_conf.submit_args("local[1]")}  # the kernel's own
run = subprocess.run([sys.executable, "-c", session], capture_output=True, text=True, env=env, timeout=300)
if run.returncode != 0 or "rows 10" not in run.stdout:
    sys.exit(run.stderr[-3000:])
gpu_ops = sorted({w for w in run.stdout.split() if w.startswith("Gpu")})
if not gpu_ops:
    sys.exit(f"no Gpu* operator in the plan:\n{run.stdout}")
print("gpu plan:", ", ".join(gpu_ops[:8]))
