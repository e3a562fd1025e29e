"""The offline engine does what the pipeline needs, proven on the real engine (`make engine`)."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
from dagger import dag

pytestmark = pytest.mark.engine

DEBIAN = "debian:bookworm-slim"  # the upstream name, served by the engine's local registry mirror
REGISTRY = "localhost:5000"  # inside the engine container
MAVEN_JAR = "https://repo1.maven.org/maven2/junit/junit/4.13.2/junit-4.13.2.jar"


async def test_a_debian_container_runs(client):
    out = await dag.container().from_(DEBIAN).with_exec(["cat", "/etc/os-release"]).stdout()
    assert "VERSION_CODENAME=bookworm" in out


async def test_apt_and_pip_install_over_the_network_with_the_ca_trusted(client):
    ctr = (
        dag.container()
        .from_(DEBIAN)
        .with_exec(
            ["sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip >/dev/null"]
        )
        .with_exec(["pip3", "install", "--break-system-packages", "-q", "six==1.16.0"])
    )
    assert (await ctr.with_exec(["python3", "-c", "import six; print(six.__version__)"]).stdout()).strip() == "1.16.0"


async def test_a_service_is_reached_by_name_through_a_binding(client):
    nonce = uuid.uuid4().hex
    web = (
        dag.container()
        .from_(DEBIAN)
        .with_new_file("/srv/index.html", nonce)
        .with_workdir("/srv")
        .with_exec(["sh", "-c", "apt-get update -qq && apt-get install -y -qq python3 >/dev/null"])
        .with_exposed_port(8000)
        .as_service(args=["python3", "-m", "http.server", "8000"])
    )
    client_ctr = dag.container().from_(DEBIAN).with_service_binding("web", web).with_env_variable("NONCE", nonce)
    out = await client_ctr.with_exec(
        ["bash", "-c", "exec 3<>/dev/tcp/web/8000; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"]
    ).stdout()
    assert nonce in out


async def test_export_to_the_host_and_publish_then_pull_back_and_run(client, tmp_path: Path):
    nonce = uuid.uuid4().hex
    ctr = dag.container().from_(DEBIAN).with_new_file("/nonce", nonce)
    tarball = tmp_path / "image.tar"
    await ctr.export(str(tarball))
    with tarfile.open(tarball) as tar:
        assert "index.json" in tar.getnames(), "export is not an OCI layout tarball"

    ref = await ctr.publish(f"{REGISTRY}/engine-test:{nonce[:12]}")
    assert "@sha256:" in ref
    pulled = dag.container().from_(ref)
    assert (await pulled.with_exec(["cat", "/nonce"]).stdout()) == nonce


async def test_http_downloads_a_maven_artifact_whose_checksum_matches(client, tmp_path: Path):
    sha1 = subprocess.run(
        ["curl", "-fsS", "--retry", "3", "--max-time", "60", MAVEN_JAR + ".sha1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout.split()[0]
    jar = tmp_path / "junit.jar"
    await dag.http(MAVEN_JAR).export(str(jar))
    assert hashlib.sha1(jar.read_bytes()).hexdigest() == sha1  # noqa: S324 - Maven publishes SHA-1


async def test_an_exec_longer_than_45s_keeps_its_connection(client):
    # Dagger v0.21.8 built with Go >= 1.26.6 drops CLI-engine connections after 30 s
    out = (
        await dag.container()
        .from_(DEBIAN)
        .with_env_variable("N", uuid.uuid4().hex)
        .with_exec(["sh", "-c", "sleep 50; echo done"])
        .stdout()
    )
    assert out.strip() == "done"
