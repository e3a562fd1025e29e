"""A real JupyterHub from PyPI spawns the image's single-user server (real engine; needs PyPI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagger import dag

from pipeline import matrix

pytestmark = pytest.mark.engine

PROBE = Path(__file__).with_name("jupyterhub_probe.py")


async def test_a_jupyterhub_spawns_the_images_single_user_server_which_checks_tokens_with_it(build):
    _, ctr = build("4.1.1", "baseline")
    hub = "/tmp/hub"
    out = await (
        ctr.with_exec(["python", "-m", "venv", hub])
        .with_exec([f"{hub}/bin/pip", "install", "-q", f"jupyterhub=={matrix.JUPYTERHUB_VERSION}"])
        .with_mounted_file("/tmp/jupyterhub_probe.py", dag.host().file(str(PROBE)))
        .with_env_variable("HUB", hub)
        .with_exec([f"{hub}/bin/python", "/tmp/jupyterhub_probe.py"])
        .stdout()
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["hub"] == matrix.JUPYTERHUB_VERSION
    # the server asked the hub about each token: alice's is let in, bob's refused, none redirected to login
    assert (result["alice"], result["contents"]) == (200, 200)
    assert result["bob"] == 403
    assert result["anonymous"] in (302, 401, 403)
