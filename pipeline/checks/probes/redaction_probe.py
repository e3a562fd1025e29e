"""A Spark Connect server started with credentials (an Iceberg REST catalog's credential and token, and a
setting named `...credential`) answers, and its UI's environment page shows none of their values and
lists the settings given as redacted.

usage: redaction_probe.py SC_URL UI_URL KEY [KEY ...]
  KEY: a Spark setting the page must show as redacted
env:   PROBE_SECRETS: the secret values that must not appear in the Spark UI (comma-separated)
"""

import argparse
import os
import re
import sys
import time

import httpx
from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("remote")
parser.add_argument("ui")
parser.add_argument("keys", nargs="+")
args = parser.parse_args()

# a call that needs no catalog: on an Iceberg image the default one is the REST catalog, never reached
version = SparkSession.builder.remote(args.remote).getOrCreate().version
page = ""
for _ in range(20):
    response = httpx.get(f"{args.ui}/environment/", timeout=10, follow_redirects=True)
    if response.status_code == 200:
        page = response.text
        break
    time.sleep(1)
if "spark.master" not in page:
    sys.exit(f"the Spark UI's environment page at {args.ui} did not list the settings")
problems = []
secrets = [s for s in os.environ.get("PROBE_SECRETS", "").split(",") if s]
if shown := [i for i, s in enumerate(secrets) if s in page]:
    problems.append(f"the Spark UI's environment page shows secret #{shown} in clear")
redacted = set(re.findall(r"(spark\.[\w.-]*)</td>\s*<td>\s*\*+\(redacted\)", page))
if missing := sorted(set(args.keys) - redacted):
    problems.append(f"settings not shown as redacted: {missing} (redacted: {sorted(redacted)})")
if problems:
    sys.exit("\n".join(problems))
print(f"Connect server (Spark {version}): answers; its UI's environment page shows {len(secrets)} secrets nowhere")
print(f"redacted there: {', '.join(sorted(args.keys))}")
