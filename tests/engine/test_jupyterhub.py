"""A real JupyterHub from PyPI, with its real proxy (configurable-http-proxy from npm), spawns the image's
single-user server, reached through the proxy (real engine; needs PyPI, npm and Debian's archive)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from dagger import dag

from pipeline import product, recipe

pytestmark = pytest.mark.engine

PROBE = Path(__file__).with_name("jupyterhub_probe.py")
# configurable-http-proxy pinned in package.json, its dependency tree with integrity hashes in package-lock.json:
# `npm ci` installs exactly that tree and fails on a hash that differs or a lock that disagrees with package.json
PROXY = Path(__file__).with_name("chp")
PROXY_VERSION = json.loads((PROXY / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
# Node.js from Debian (bookworm: 18), in a container derived for this test only: the images ship no Node.js
NODE = recipe.Layer(steps=(recipe.Config(user="root"), recipe.apt_install("nodejs", "npm")), args=("DEBIAN_MIRROR",))
# npm is pointed at the system CA bundle, where the engine adds the CAs it trusts for each step
NPM_CI = ["env", "NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt", "npm", "ci", "--ignore-scripts"]


async def test_a_jupyterhub_and_its_proxy_serve_the_images_single_user_server_which_checks_tokens_with_it(build, opts):
    _, ctr = build("4.1.1", "baseline")
    hub = "/tmp/hub"
    user = await ctr.user()
    out = await (
        recipe.apply(ctr, NODE, opts)
        .with_directory("/opt/chp", dag.host().directory(str(PROXY)))
        .with_workdir("/opt/chp")
        .with_exec(NPM_CI)
        .with_user(user)
        .with_exec(["python", "-m", "venv", hub])
        .with_exec([f"{hub}/bin/pip", "install", "-q", f"jupyterhub=={product.JUPYTERHUB_VERSION}"])
        .with_mounted_file("/tmp/jupyterhub_probe.py", dag.host().file(str(PROBE)))
        .with_env_variable("HUB", hub)
        .with_env_variable("CHP", "/opt/chp/node_modules/.bin/configurable-http-proxy")
        .with_env_variable("HEALTHCHECK", " ".join(await ctr.docker_healthcheck().args()))
        .with_env_variable("RUN", uuid.uuid4().hex)  # the layers above come from the cache, the probe runs anew
        .with_exec([f"{hub}/bin/python", "/tmp/jupyterhub_probe.py"])
        .stdout()
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["hub"], result["proxy"]) == (product.JUPYTERHUB_VERSION, PROXY_VERSION)
    # the proxy's routing table: alice's prefix to her server, everything else to the hub
    assert result["routes"] == {"/": "http://127.0.0.1:8081", "/user/alice": "http://127.0.0.1:8890"}
    # through the proxy's public port; the server asked the hub about each token
    assert (result["alice"]["status"], result["contents"]["status"]) == (200, 200)
    assert result["bob"]["status"] == 403
    assert result["anonymous"]["status"] == 403
    # a browser without a login is sent to the hub's OAuth through the proxy
    assert result["anonymous_page"]["status"] == 302
    assert result["anonymous_page"]["location"].startswith("/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&")
    # bob's prefix has no route (no server): the proxy hands it to the hub, which refuses alice there
    assert (result["alice_at_bob"]["status"], result["alice_at_bob"]["location"]) == (302, "/hub/user/bob/api/status")
    assert result["alice_at_bob_hub"]["status"] == 404
    assert result["bob_at_bob_hub"]["status"] == 424  # "not running"
    # with alice's route deleted from the proxy, the same request reaches the hub, not her server
    assert result["alice_unrouted"] == {"status": 302, "location": "/hub/user/alice/api/status"}
    # the image's HEALTHCHECK follows the single-user server to its base URL; unhealthy once it stopped
    assert result["healthcheck"] == {"rc": 0, "said": "healthy: http://localhost:8890/user/alice/api"}
    assert result["healthcheck_stopped"]["rc"] == 1, result["healthcheck_stopped"]
