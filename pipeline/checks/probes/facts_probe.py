"""What is inside the image, printed as JSON for the facts check to compare with the labels."""

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path


def run(*cmd: str) -> str:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout


def jar_version(pattern: str) -> str | None:
    for jar in Path("/opt/spark/jars").glob("*.jar"):
        if m := re.fullmatch(pattern, jar.name):
            return m.group(1)
    return None


def rapids_version() -> str | None:
    jar = Path("/opt/rapids/rapids-4-spark.jar")
    if not jar.exists():
        return None
    info = zipfile.ZipFile(jar).read("rapids4spark-version-info.properties").decode()
    return re.search(r"^version=(\S+)", info, re.M).group(1)


def build_cas_left() -> int:
    """Java keystore entries beyond the image's CA bundle: CAs trusted only while building.

    Both files are the image's own, mounted into /probe-inputs (a step's exec would see the
    engine's injected build CAs again)."""
    jks = run("keytool", "-list", "-keystore", "/probe-inputs/cacerts", "-storepass", "changeit")
    entries = int(re.search(r"contains (\d+) entr", jks).group(1))
    return entries - Path("/probe-inputs/ca-certificates.crt").read_text().count("BEGIN CERTIFICATE")


spark_submit = run("spark-submit", "--version")
facts = {
    "uid": os.getuid(),
    "user": run("id", "-un").strip(),
    "spark": re.search(r"version (\d+\.\d+\.\d+)", spark_submit).group(1),
    "scala": re.search(r"Scala version (\d+\.\d+)", spark_submit).group(1),
    "java": re.search(r'version "(\d+)', run("java", "-version")).group(1),
    "python": re.search(r"Python (\d+\.\d+)", run("python", "--version")).group(1),
    "jupyterlab": run("jupyter", "lab", "--version").strip().splitlines()[-1],
    "pyspark": run("python", "-c", "import pyspark; print(pyspark.__version__)").strip().splitlines()[0],
    "iceberg": jar_version(r"iceberg-spark-runtime-[\d.]+_[\d.]+-([\d.]+)\.jar"),
    "spark-connect": jar_version(r"spark-connect_[\d.]+-([\d.]+)\.jar"),
    "rapids": rapids_version(),
    "build-cas-left": build_cas_left(),
}
print(json.dumps(facts))
