"""What is inside the image, printed as JSON for the facts check to compare with the labels.

usage: facts_probe.py --jars SPARK_JARS --rapids-jar RAPIDS_JAR  (where the image has them: pipeline/paths.py)
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pyspark

INPUTS = "/probe-inputs"  # the image's own /etc/ssl/certs (the check mounts it)
SHIPPED_CAS = "/usr/share/ca-certificates"  # the CAs Debian's ca-certificates ships
BUILD_CAS = "/usr/local/share/ca-certificates/"  # where the engine writes its CAs during an exec


def run(*cmd: str) -> str:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout


parser = argparse.ArgumentParser()
parser.add_argument("--jars", required=True)
parser.add_argument("--rapids-jar", required=True)
args = parser.parse_args()


def jar_version(pattern: str) -> str | None:
    for jar in Path(args.jars).glob("*.jar"):
        if m := re.fullmatch(pattern, jar.name):
            return m.group(1)
    return None


def rapids_version() -> str | None:
    jar = Path(args.rapids_jar)
    if not jar.exists():
        return None
    info = zipfile.ZipFile(jar).read("rapids4spark-version-info.properties").decode()
    return re.search(r"^version=(\S+)", info, re.M).group(1)


def rapids_native() -> list[str] | None:
    """The architectures the RAPIDS jar carries native cuDF for (its <os.arch>/Linux/ folders)."""
    jar = Path(args.rapids_jar)
    if not jar.exists():
        return None
    names = zipfile.ZipFile(jar).namelist()
    return sorted(m.group(1) for n in names if (m := re.fullmatch(r"([^/]+)/Linux/libcudf\.so", n)))


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER bytes as keytool prints it (AB:CD:...)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def keystore_certificates(listing: str) -> dict[str, str]:
    """SHA-256 fingerprint -> alias of each entry of a `keytool -list` listing; exits if any entry is unread."""
    entries = int(re.search(r"contains (\d+) entr", listing).group(1))
    found, alias, read = {}, None, 0
    for line in listing.splitlines():
        if m := re.match(r"Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)$", line.strip()):
            found[m.group(1)], read = alias, read + 1
        elif line.strip():
            alias = line.split(",")[0]
    if read != entries or not entries:
        sys.exit(f"read {read} SHA-256 fingerprints from a keystore of {entries} entries:\n{listing[:3000]}")
    return found


def bundle_certificates(pem: str) -> set[str]:
    """SHA-256 fingerprints of the certificates in a PEM bundle."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if not blocks:
        sys.exit("the CA bundle holds no certificate")
    return {fingerprint(base64.b64decode("".join(b.split()))) for b in blocks}


def build_cas_left() -> list[str]:
    """CAs trusted only while building, left in the image: Java keystore certificates that are not in
    the image's CA bundle, bundle certificates that no Debian package ships (/usr/share/ca-certificates),
    and links in /etc/ssl/certs to a build CA (/usr/local/share/ca-certificates, where the engine puts
    its CAs during a step) or to nothing.

    Sets of SHA-256 fingerprints, not counts: a bundle certificate that ca-certificates-java left out
    would otherwise hide a leaked CA. The files are the image's own, mounted at INPUTS
    (a step's exec would see the engine's injected build CAs again)."""
    jks = run("keytool", "-list", "-keystore", f"{INPUTS}/java/cacerts", "-storepass", "changeit")
    keystore = keystore_certificates(jks)
    bundle = bundle_certificates(Path(f"{INPUTS}/ca-certificates.crt").read_text())
    shipped = set().union(*(bundle_certificates(crt.read_text()) for crt in Path(SHIPPED_CAS).rglob("*.crt")))
    left = [f"{fp} ({keystore[fp]})" for fp in sorted(keystore.keys() - bundle)]
    left += [f"{fp} (in the CA bundle, shipped by no package)" for fp in sorted(bundle - shipped)]
    certs = Path(INPUTS)
    for link in sorted(p for p in certs.iterdir() if p.is_symlink()):
        target = os.readlink(link)
        if target.startswith(BUILD_CAS) or not (target.startswith("/") or os.path.lexists(certs / target)):
            left.append(f"/etc/ssl/certs/{link.name} -> {target}")
    return left


# Spark's own jar names its Scala and Spark versions; the other checks run Spark itself (no JVM here for this)
scala_spark = jar_version(r"spark-core_(\d+\.\d+-\d+\.\d+\.\d+)\.jar") or "-"
facts = {
    "architecture": run("dpkg", "--print-architecture").strip(),
    "uid": os.getuid(),
    "user": run("id", "-un").strip(),
    "spark": scala_spark.partition("-")[2],
    "scala": scala_spark.partition("-")[0],
    "java": re.search(r'version "(\d+)', run("java", "-version")).group(1),
    "python": re.search(r"Python (\d+\.\d+)", run("python", "--version")).group(1),
    # installed versions as pip records them: starting `jupyter lab --version` and `jupyterhub-singleuser
    # --version` only to print them costs 6 CPU-s (JupyterLab runs in the jupyterlab check, the hub's
    # single-user server in tests/engine/test_any_uid.py)
    "jupyterlab": metadata.version("jupyterlab"),
    "jupyterhub": metadata.version("jupyterhub"),
    "pyspark": pyspark.__version__,  # Spark's own python/ (on the path by pyspark.pth), not a pip package
    "iceberg": jar_version(r"iceberg-spark-runtime-[\d.]+_[\d.]+-([\d.]+)\.jar"),
    "spark-connect": jar_version(r"spark-connect_[\d.]+-([\d.]+)\.jar"),
    "rapids": rapids_version(),
    "rapids-native": rapids_native(),
    "build-cas-left": build_cas_left(),
}
print(json.dumps(facts))
