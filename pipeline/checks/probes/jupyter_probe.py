"""JupyterLab as a user meets it: auth, the lab page, kernelspecs, code run in a PySpark kernel, and
that session's Spark UI through the server (its spark-ui proxy) under the server's base URL.

usage: JUPYTER_TOKEN=... jupyter_probe.py URL EXPECTED_KERNELS(comma-separated)
"""

import os
import re
import sys
from urllib.parse import urlsplit

import httpx

from kernel_client import Jupyter


def spark_ui_behind_the_server(jupyter: Jupyter, url: str) -> str:
    """The session's UI through the server's spark-ui proxy: behind its token, every link and redirect
    under the server's base URL, its pages, assets and REST API reachable there."""
    base = urlsplit(url).path.rstrip("/")  # the server's base URL, which jupyter.http puts in front
    prefix = f"{base}/spark-ui"
    page = jupyter.http.get("/spark-ui/")
    if page.status_code != 200 or "Spark Jobs" not in page.text:
        sys.exit(f"{prefix}/ did not serve the Spark UI's jobs page (HTTP {page.status_code}): {page.text[:300]!r}")
    links = re.findall(r'(?:href|src)="(/[^"]*)"', page.text)
    outside = sorted({link for link in links if not link.startswith(prefix + "/")})
    if not links or outside:
        sys.exit(f"{prefix}/ links outside the proxy: {outside[:5]} (of {len(links)} links)")
    assets = [link for link in links if "/static/" in link]
    for link in [assets[0], f"{prefix}/api/v1/applications"]:
        got = jupyter.http.get(link.removeprefix(base))
        if got.status_code != 200:
            sys.exit(f"{link} through the proxy: HTTP {got.status_code}")
    redirect = jupyter.http.get("/spark-ui/executors")
    location = redirect.headers.get("Location", "")
    if redirect.status_code not in (301, 302, 307, 308) or not location.startswith(prefix + "/executors/"):
        sys.exit(f"{prefix}/executors redirected to {location!r} (HTTP {redirect.status_code}), not under {prefix}/")
    anonymous = httpx.get(f"{url}/spark-ui/", timeout=10)
    if anonymous.status_code == 200:
        sys.exit(f"{prefix}/ served the Spark UI without the token")
    return (
        f"Spark UI at {prefix}/: {len(links)} links, all under it; an asset, the REST API and a redirect there; "
        f"without the token HTTP {anonymous.status_code}"
    )


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

session = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "print('result', spark.range(100).groupBy().sum('id').first()[0])\n"
    "import urllib.request; print('ui', urllib.request.urlopen(spark.sparkContext.uiWebUrl).status)\n"
)
with jupyter.kernel("pyspark-local") as kernel:
    out = jupyter.run(kernel, session, seconds=150)
    if "result 4950" not in out:
        sys.exit(f"PySpark (local) kernel printed {out!r}, expected 'result 4950'")
    if "ui 200" not in out:
        sys.exit(f"Spark UI did not answer while the session ran: {out!r}")
    print("pyspark-local kernel: sum(range(100)) = 4950; its Spark UI answered while the session ran")
    print(spark_ui_behind_the_server(jupyter, url))
    jupyter.run(kernel, "spark.stop()", seconds=60)
