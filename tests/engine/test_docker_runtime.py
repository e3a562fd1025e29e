"""The image as Docker runs it (20.10 here): a container left running under an arbitrary uid, Docker's
own health status for it under JupyterHub's base URL, and shells `docker exec`'d into it later (as
`kubectl exec` and `oc rsh` open them: not start.sh's children, with only the image's environment)."""

from __future__ import annotations

import json
import subprocess
import time

import anyio
import pytest

from test_any_uid import EXECD  # a process exec'd into the container: its passwd entry, Java, Spark

pytestmark = pytest.mark.engine


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=900).stdout.strip()


def health(container: str) -> str:
    return json.loads(docker("inspect", container))[0]["State"].get("Health", {}).get("Status", "none")


async def test_docker_sees_it_healthy_under_a_base_url_and_execd_shells_have_a_passwd_entry(build, tmp_path):
    _, ctr = build("4.1.1", "baseline")
    archive = tmp_path / "image.tar"
    await ctr.export(str(archive))
    loaded = await anyio.to_thread.run_sync(docker, "load", "-i", str(archive))
    image = loaded.rpartition("Loaded image ID: ")[2] or loaded.rpartition("Loaded image: ")[2]
    containers = []
    try:
        for user in ("12345:0", "5000:100"):
            args = ["run", "-d", "--user", user, image, "start-notebook.py", "--ServerApp.base_url=/user/alice/"]
            containers.append(docker(*args))
        deadline = time.monotonic() + 180  # Docker 20.10 probes every 30 s (it predates --start-interval)
        while health(containers[0]) != "healthy" and time.monotonic() < deadline:
            await anyio.sleep(3)
        assert health(containers[0]) == "healthy", docker("logs", containers[0], check=False)
        for container, user in zip(containers, ("12345:0", "5000:100"), strict=True):
            out = await anyio.to_thread.run_sync(lambda c=container: docker("exec", c, "bash", "-c", EXECD))
            uid, gid = user.split(":")
            assert out.split() == [f"jovyan:{uid}:{gid}:/home/jovyan", "user.home=/home/jovyan", "spark", "7", "jovyan"]
    finally:
        if containers:
            docker("rm", "-f", *containers, check=False)
        docker("rmi", "-f", image, check=False)
