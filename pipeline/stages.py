"""Build stages: the work whose result does not depend on the image's architecture, run once on the
engine's own platform and copied into every platform's image (recipe.Stage, recipe.CopyFrom).

Downloading and verifying the pyspark sdist and unpacking Spark, downloading and verifying the jars,
and installing the locked wheels into the venv are the same files for amd64 and arm64 (except the
wheels and RAPIDS jar picked for TARGETARCH): doing them natively leaves an emulated build only what
must execute the target's binaries (dpkg and its maintainer scripts, useradd).
"""

from __future__ import annotations

from . import paths, releases
from .limits import CURL
from .recipe import (
    DROP_BUILD_CAS,
    PIP_CACHE,
    PYTHON_LISTED,
    PYTHON_MODULES,
    STAGE_OUT,
    TARGETARCH,
    TRUST_INSTALLED,
    TRUST_PACKAGES,
    Copy,
    Layer,
    Run,
    Stage,
    apt_install,
    maven_jar,
    maven_jar_per_platform,
)

BASE_IMAGE = "debian:bookworm-slim"  # every image's base, and the stages': the same Python as the images'
OUT = STAGE_OUT
BUILD_TOOLS_LOCK = "requirements/build.txt"
UV = "/opt/build-tools/bin/uv"
# manylinux tags up to the images' glibc (Debian bookworm: 2.36), as pip in the image would accept
WHEEL_PLATFORM = {"amd64": "x86_64-manylinux_2_36", "arm64": "aarch64-manylinux_2_36"}

TOOLS = Stage(
    "build-tools",
    BASE_IMAGE,
    Layer(
        args=("DEBIAN_MIRROR", "PIP_INDEX_URL"),
        steps=(
            apt_install("curl", "ca-certificates", "python3", "python3-venv"),
            Copy(BUILD_TOOLS_LOCK, "/opt/build-tools/requirements.txt"),
            Run(
                "python3 -m venv /opt/build-tools\n"
                "/opt/build-tools/bin/pip install -q --no-deps --require-hashes --only-binary :all: "
                "-r /opt/build-tools/requirements.txt\n",
                cache=PIP_CACHE,
            ),
        ),
    ),
)


# Debian's Python as its packages' scripts compile it, for the step that installs Python (recipe.PYTHON_BYTECODE):
# the build tools' Python is the same packages, compiled natively by those scripts. The bytecode files
# (OUT/files, as they lie under /), and each module's source SHA-256 and whether it was compiled (PYTHON_MODULES).
PYTHON_BYTECODE = Stage(
    "python-bytecode",
    TOOLS,
    Layer(
        steps=(
            Run(
                f"""mkdir -p {OUT}
{PYTHON_LISTED} >/tmp/python-modules
/usr/bin/python3 -E -S - <<'STAGE'
import hashlib, importlib.util as u, json, os, shutil
modules = {{}}
for source in open("/tmp/python-modules").read().splitlines():
    compiled = u.cache_from_source(source)
    sha256 = hashlib.sha256(open(source, "rb").read()).hexdigest()
    modules[source] = {{"sha256": sha256, "compiled": os.path.exists(compiled)}}
    if modules[source]["compiled"]:
        os.makedirs(os.path.dirname("{OUT}/files" + compiled), exist_ok=True)
        shutil.copyfile(compiled, "{OUT}/files" + compiled)
json.dump(modules, open("{OUT}/{PYTHON_MODULES}", "w"), indent=0, sort_keys=True)
STAGE
"""
            ),
        )
    ),
)


def trust_store(java: str) -> Stage:
    """Debian's trust store as its packages make it, for a step that installs them (recipe.TRUST_STORE):
    /etc/ssl/certs with Java's keystore, made natively once for every platform of a Java major, without
    the CAs the engine trusts while building (their links and keystore entries dropped, the bundle
    made again without them: DROP_BUILD_CAS)."""
    # DROP_BUILD_CAS before the copy: the one every Dagger step appends runs after it, too late for OUT
    script = f"""{DROP_BUILD_CAS}
mkdir -p {OUT}
cp -a /etc/ssl/certs {OUT}/certs
{TRUST_INSTALLED} > {OUT}/versions
"""
    packages = (*TRUST_PACKAGES, paths.debian_jre_package(java))
    return Stage(
        f"trust-store-java{java}",
        BASE_IMAGE,
        Layer(args=("DEBIAN_MIRROR",), steps=(apt_install(*packages, then=script),), makes_keystore=True),
    )


def spark_dist(release: releases.SparkRelease) -> Stage:
    """Spark's distribution as /opt/spark lays it out, from the pyspark sdist (and the Connect jar)."""
    jar = release.connect_jar
    connect = maven_jar(jar, f"{paths.SPARK_JARS}/{jar.filename}") if jar else ""
    home = paths.SPARK_HOME
    script = f"""
cd /tmp
{CURL} "$PYPI_FILES/{release.sdist_path}" -o pyspark.tar.gz
echo "{release.sdist_sha256}  pyspark.tar.gz" | sha256sum -c -
mkdir -p src {home}/python {paths.SPARK_CONF} {paths.SPARK_WORKDIR}
tar -xzf pyspark.tar.gz -C src --strip-components=1
mv src/deps/bin src/deps/sbin src/deps/jars src/deps/licenses {home}/
mv src/pyspark src/lib {home}/python/
rm -rf pyspark.tar.gz src {home}/bin/*.cmd
{connect}"""
    return Stage(f"spark-{release.version}", TOOLS, Layer(args=("PYPI_FILES", "MAVEN_REPO"), steps=(Run(script),)))


def venv(release: releases.SparkRelease, lock: str) -> Stage:
    """The Jupyter venv at /opt/venv: the line's locked wheels for TARGETARCH (uv picks and unpacks
    another platform's wheels), writable where `pip install` adds (the image links pyspark in: PYSPARK_PTH)."""
    wheels = " ".join(f"{arch}) platform={tag} ;;" for arch, tag in WHEEL_PLATFORM.items())
    script = f"""
case "${TARGETARCH}" in {wheels} *) echo "no wheels for $TARGETARCH" >&2; exit 1 ;; esac
python3 -m venv {paths.VENV}
[ -z "${{PIP_INDEX_URL:-}}" ] || export UV_INDEX_URL="$PIP_INDEX_URL"
export UV_CACHE_DIR={PIP_CACHE}/uv UV_LINK_MODE=copy UV_NATIVE_TLS=1
{UV} pip install -q --python {paths.VENV}/bin/python --python-platform "$platform" \\
  --no-deps --require-hashes --only-binary :all: -r {paths.REQUIREMENTS}
site=$({paths.VENV}/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
find {paths.VENV} -name '__pycache__' -prune -exec rm -rf {{}} +
# the hub's web assets: only a hub serves them, never jupyterhub-singleuser (41 MB)
rm -rf {paths.VENV}/share/jupyterhub/static
sed -n 's/^\\([A-Za-z0-9._-]*==[^ ]*\\).*/\\1/p' {paths.REQUIREMENTS} > {paths.CONSTRAINTS}
cd {paths.VENV} && mkdir -p {" ".join(paths.VENV_SHARED)} && chmod 1777 "$site" {" ".join(paths.VENV_SHARED)}
"""
    return Stage(
        f"venv-{release.line}",
        TOOLS,
        Layer(
            args=("PIP_INDEX_URL", TARGETARCH),
            steps=(Copy(lock, paths.REQUIREMENTS), Run(script, cache=PIP_CACHE)),
        ),
    )


# pyspark from the image's Spark (/opt/spark/python, py4j's zip in it): the same Spark as the JVM side
PYSPARK_PTH = f"""
site=$(echo {paths.VENV}/lib/python3*/site-packages)
printf '%s\\n' {paths.SPARK_HOME}/python {paths.SPARK_HOME}/python/lib/py4j-*-src.zip > "$site/pyspark.pth"
"""


def jar(name: str, download: str) -> Stage:
    """A stage that leaves downloaded jars in OUT."""
    args = ("MAVEN_REPO", TARGETARCH) if TARGETARCH in download else ("MAVEN_REPO",)
    return Stage(name, TOOLS, Layer(args=args, steps=(Run(f"mkdir -p {OUT}\n{download}"),)))


def iceberg_jar(line: releases.SparkLine) -> Stage:
    return jar(f"iceberg-{line.iceberg.version}", maven_jar(line.iceberg, f"{OUT}/{line.iceberg.filename}"))


def rapids_jar(line: releases.SparkLine) -> Stage:
    """The RAPIDS jar built for TARGETARCH (its native code is the platform's), as paths.RAPIDS_JAR's name."""
    out = f"{OUT}/{paths.RAPIDS_JAR.rpartition('/')[2]}"
    return jar(f"rapids-{line.rapids.version}", maven_jar_per_platform(line.rapids.jars, out))
