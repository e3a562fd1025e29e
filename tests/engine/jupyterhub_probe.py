"""Inside the image: a real JupyterHub (installed from PyPI into its own venv) spawns the image's
single-user server (start-singleuser.py, the image's jupyterhub-singleuser) with the hub's environment;
the server answers a user's token, which it checks with the hub, and refuses another user's token.

No configurable-http-proxy here (it needs Node.js): the hub's proxy is a no-op and requests go to the
single-user server's port directly, under its hub-given prefix /user/NAME/.

usage: HUB=/path/to/hub/venv jupyterhub_probe.py
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HUB_API = "http://127.0.0.1:8081/hub/api"
SERVER_PORT = 8890
ADMIN = secrets.token_hex(16)
CONFIG = f"""
from jupyterhub.proxy import Proxy

class NoProxy(Proxy):
    should_start = False
    async def add_route(self, routespec, target, data): pass
    async def delete_route(self, routespec): pass
    async def get_all_routes(self): return {{}}

c.JupyterHub.proxy_class = NoProxy
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.hub_ip = "127.0.0.1"
c.Spawner.cmd = ["start-singleuser.py"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.port = {SERVER_PORT}
c.Spawner.start_timeout = 90
c.JupyterHub.services = [{{"name": "probe", "api_token": "{ADMIN}"}}]
c.JupyterHub.load_roles = [{{"name": "probe", "services": ["probe"],
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"]}}]
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ARG002 - a redirect is an answer here
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method: str, url: str, token: str | None, body: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"token {token}"} if token else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


work = Path(tempfile.mkdtemp())
(work / "jupyterhub_config.py").write_text(CONFIG)
log = (work / "hub.log").open("w")
hub = subprocess.Popen(
    [f"{os.environ['HUB']}/bin/jupyterhub", "-f", "jupyterhub_config.py"], cwd=work, stdout=log, stderr=log
)
try:
    for _ in range(60):
        try:
            if call("GET", f"{HUB_API}/", ADMIN)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(1)
    else:
        sys.exit("the hub did not answer:\n" + (work / "hub.log").read_text()[-2000:])
    for user in ("alice", "bob"):
        status, text = call("POST", f"{HUB_API}/users/{user}", ADMIN)
        assert status == 201, (status, text)
    status, text = call("POST", f"{HUB_API}/users/alice/server", ADMIN)
    assert status in (201, 202), (status, text)
    for _ in range(90):
        model = json.loads(call("GET", f"{HUB_API}/users/alice", ADMIN)[1])
        if model.get("servers", {}).get("", {}).get("ready"):
            break
        time.sleep(1)
    else:
        sys.exit("alice's server never became ready:\n" + (work / "hub.log").read_text()[-3000:])
    tokens = {}
    for user in ("alice", "bob"):
        status, text = call("POST", f"{HUB_API}/users/{user}/tokens", ADMIN, {"note": "probe"})
        assert status == 201, (status, text)
        tokens[user] = json.loads(text)["token"]
    hub_version = json.loads(call("GET", f"{HUB_API}/", ADMIN)[1])["version"]
    url = f"http://127.0.0.1:{SERVER_PORT}/user/alice/api/status"
    own = call("GET", url, tokens["alice"])
    other = call("GET", url, tokens["bob"])
    anonymous = call("GET", url, None)
    contents = call("GET", f"http://127.0.0.1:{SERVER_PORT}/user/alice/api/contents", tokens["alice"])
    print(
        json.dumps(
            {
                "hub": hub_version,
                "alice": own[0],
                "bob": other[0],
                "anonymous": anonymous[0],
                "contents": contents[0],
            }
        )
    )
finally:
    hub.terminate()
    hub.wait(30)
