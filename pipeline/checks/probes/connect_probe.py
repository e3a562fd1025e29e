"""Spark Connect from Jupyter: the Connect kernel writes a global temp view on the server, and a
direct pyspark client (the image's own, so the same version as the server) reads it back.

usage: JUPYTER_TOKEN=... connect_probe.py JUPYTER_URL CONNECT_URL SPARK_UI_URL
"""

import os
import sys
import uuid

import httpx
from pyspark.sql import SparkSession

from kernel_client import Jupyter

url, remote, ui = sys.argv[1:4]
token = os.environ["JUPYTER_TOKEN"]
jupyter = Jupyter(url, token)
jupyter.wait_ready(90)
view = f"probe_{uuid.uuid4().hex[:8]}"
code = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "print('remote', spark.conf.get('spark.app.name', ''), type(spark).__module__)\n"
    f"spark.range(100).selectExpr('sum(id) AS s').createOrReplaceGlobalTempView('{view}')\n"
    "print('version', spark.version)\n"
)
out = jupyter.execute("pyspark-connect", code, seconds=120)
if "pyspark.sql.connect" not in out:
    sys.exit(f"the Connect kernel did not make a Spark Connect session: {out!r}")
print(f"pyspark-connect kernel: created global_temp.{view} ({out.strip().splitlines()[-1]})")

spark = SparkSession.builder.remote(remote).getOrCreate()
value = spark.sql(f"SELECT s FROM global_temp.{view}").first()[0]
if value != 4950:
    sys.exit(f"global_temp.{view} read back {value}, expected 4950")
print(f"direct client {spark.version} at {remote}: global_temp.{view}.s = {value}")
status = httpx.get(ui, timeout=10, follow_redirects=True).status_code
if status != 200:
    sys.exit(f"Spark UI at {ui} answered HTTP {status}")
print(f"Spark UI at {ui}: HTTP 200 while the session runs")
