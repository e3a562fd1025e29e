"""dockerfiles/ builds, and builds what the pipeline builds: the rendered Spark base and one Jupyter
variant, built with the engine's Dockerfile builder (BuildKit's built-in frontend, as Docker 23+
uses), have the same files (path, mode, size) and the same config as the pipeline's images."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import dagger
import pytest
from dagger import dag

from pipeline import catalog, orchestrate, recipe, releases, spark_base_layer
from pipeline.recipe import ROOT

pytestmark = pytest.mark.engine

REGISTRY = "localhost:5000/dockerfiles"  # the engine's local registry: FROM ${SPARK_IMAGE} pulls from it
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")  # with this network's TLS proxy CA
# Everything in the image's own filesystem, not what the runtime mounts into a container.
LIST_FILES = r"""
find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /etc/hosts -o -path /etc/resolv.conf \
  -o -path /etc/hostname \) -prune -o \( -type f -printf '%p %M %s\n' \) -o -printf '%p %M\n' | sort
"""
# The engine adds the build host's CAs to every exec in a Debian container and takes them out after,
# which re-runs ca-certificates-java's dpkg trigger: Java's keystore is rewritten (compared by its
# certificates instead) and dpkg.log grows (compared without size). Its Dockerfile builder leaves
# those CAs in Java's keystore (plain `docker build` injects none; the pipeline removes them and its
# facts check proves it): they are left out of the comparison.
REWRITTEN_BY_THE_ENGINE = ("/etc/ssl/certs/java/cacerts", "/var/log/dpkg.log")
JAVA_CAS = "set -o pipefail; keytool -list -cacerts -storepass changeit | grep -o 'SHA-256.*' | sed 's/.* //' | sort"
ENGINE_CA_DIR = Path(os.environ.get("DAGGER_ENGINE_CA_DIR", "/usr/local/share/ca-certificates"))


def engine_cas() -> set[str]:
    """SHA-256 fingerprints of the CAs the engine injects (offline/engine.sh: DAGGER_ENGINE_CA_DIR)."""
    prints = set()
    for crt in ENGINE_CA_DIR.glob("*.crt"):
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", crt], capture_output=True)
        prints.add(out.stdout.decode().strip().split("=")[-1])
    return prints


def docker_build(dockerfile: str, **kwargs) -> dagger.Container:
    """`docker build -f DOCKERFILE --secret id=build-ca,src=<system CAs> .` from the repository root."""
    context = dag.host().directory(str(ROOT), include=["dockerfiles/**", *recipe.SOURCE_FILES])
    ca = dag.set_secret(recipe.CA_SECRET, SYSTEM_CAS.read_text())
    return context.docker_build(dockerfile=dockerfile, secrets=[ca], **kwargs)


async def files(ctr: dagger.Container) -> list[str]:
    """path, mode, size of every file; Java's CAs by fingerprint."""
    listing = (await ctr.with_user("root").with_exec(["bash", "-c", LIST_FILES]).stdout()).splitlines()
    listing = [line.rsplit(" ", 1)[0] if line.split(" ")[0] in REWRITTEN_BY_THE_ENGINE else line for line in listing]
    java_cas = set((await ctr.with_exec(["bash", "-c", JAVA_CAS]).stdout()).split()) - engine_cas()
    return listing + [f"java ca {fingerprint}" for fingerprint in sorted(java_cas)]


async def healthcheck(ctr: dagger.Container) -> tuple | None:
    health = ctr.docker_healthcheck()
    try:
        args = await health.args()
    except dagger.DaggerError:  # none configured
        return None
    timing = (health.interval(), health.timeout(), health.start_period(), health.start_interval(), health.retries())
    return (args, await health.shell(), *[await value for value in timing])


async def config(ctr: dagger.Container, *, built_by_dagger_dockerfile: bool = False) -> dict[str, object]:
    """The image config. The engine's Dockerfile builder keeps ARGs as env variables, which Docker's
    does not: those are left out of a Dockerfile-built image's env."""
    args = {*recipe.BuildOptions().values(), "SPARK_IMAGE"} if built_by_dagger_dockerfile else set()
    env = [(await e.name(), await e.value()) for e in await ctr.env_variables()]
    return {
        "user": await ctr.user(),
        "workdir": await ctr.workdir(),
        "entrypoint": await ctr.entrypoint(),
        "cmd": await ctr.default_args(),
        "env": sorted((name, value) for name, value in env if name not in args),
        "ports": sorted([(await p.port(), str(await p.protocol())) for p in await ctr.exposed_ports()]),
        "labels": sorted([(await label.name(), await label.value()) for label in await ctr.labels()]),
        "healthcheck": await healthcheck(ctr),
    }


def differences(ours: list[str], theirs: list[str]) -> str:
    only_ours, only_theirs = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    return f"only in the pipeline's: {only_ours[:20]}\nonly in the Dockerfile's: {only_theirs[:20]}"


async def pushed(ctr: dagger.Container, name: str) -> str:
    """The image as pushed and pulled back: what users get, without the build's mounts (the CA secret)."""
    return await ctr.publish(f"{REGISTRY}/{name}:test")


@pytest.fixture(scope="module")
async def spark_from_dockerfile(client) -> str:
    return await pushed(docker_build("dockerfiles/spark-4.1.1/Dockerfile"), "spark-k8s-spark-4.1.1")


async def test_the_spark_base_dockerfile_builds_the_pipelines_spark_base(spark_from_dockerfile, opts):
    theirs = dag.container().from_(spark_from_dockerfile)
    ours = spark_base_layer.build(releases.release("4.1.1"), opts, await orchestrate.engine_platform())
    assert await config(theirs, built_by_dagger_dockerfile=True) == await config(ours)
    theirs_files, our_files = await files(theirs), await files(ours)
    assert theirs_files == our_files, differences(our_files, theirs_files)


async def test_the_jupyter_dockerfile_builds_the_pipelines_image(spark_from_dockerfile, opts):
    built = docker_build(
        "dockerfiles/spark-4.1.1/jupyter.Dockerfile",
        target="iceberg",
        build_args=[dagger.BuildArg("SPARK_IMAGE", spark_from_dockerfile), dagger.BuildArg("REVISION", opts.revision)],
    )
    theirs = dag.container().from_(await pushed(built, "jupyter-4.1.1-iceberg"))
    ours = orchestrate.container(catalog.image("4.1.1", "iceberg"), opts, await orchestrate.engine_platform())
    assert await config(theirs, built_by_dagger_dockerfile=True) == await config(ours)
    theirs_files, our_files = await files(theirs), await files(ours)
    assert theirs_files == our_files, differences(our_files, theirs_files)
