"""JupyterLab as a user meets it: auth, the lab page, kernelspecs, code run in a PySpark kernel.

usage: JUPYTER_TOKEN=... jupyter_probe.py URL EXPECTED_KERNELS(comma-separated)
"""

import os
import sys

import httpx

from kernel_client import Jupyter

url, expected = sys.argv[1], set(sys.argv[2].split(","))
token = os.environ["JUPYTER_TOKEN"]
jupyter = Jupyter(url, token)
jupyter.wait_ready(90)

status = jupyter.http.get("/api/status")
if status.status_code != 200:
    sys.exit(f"/api/status with the token: HTTP {status.status_code}")
lab = jupyter.http.get("/lab")
if lab.status_code != 200 or "JupyterLab" not in lab.text:
    sys.exit(f"/lab did not serve JupyterLab (HTTP {lab.status_code})")
anonymous = httpx.get(f"{url}/api/status", timeout=10)
if anonymous.status_code not in (401, 403):
    sys.exit(f"/api/status without a token answered HTTP {anonymous.status_code}, not 403")
print("auth: token accepted, anonymous refused; /lab serves JupyterLab")

specs = set(jupyter.http.get("/api/kernelspecs").json()["kernelspecs"])
if specs != expected:
    sys.exit(f"kernelspecs {sorted(specs)} != promised {sorted(expected)}")
print(f"kernelspecs: {sorted(specs)}")

code = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "print('result', spark.range(100).groupBy().sum('id').first()[0])\n"
    "import urllib.request; print('ui', urllib.request.urlopen(spark.sparkContext.uiWebUrl).status)\n"
    "spark.stop()\n"
)
out = jupyter.execute("pyspark-local", code, seconds=150)
if "result 4950" not in out:
    sys.exit(f"PySpark (local) kernel printed {out!r}, expected 'result 4950'")
if "ui 200" not in out:
    sys.exit(f"Spark UI did not answer while the session ran: {out!r}")
print("pyspark-local kernel: sum(range(100)) = 4950; its Spark UI answered while the session ran")
