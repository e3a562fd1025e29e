"""Inside the image: a real JupyterHub (installed from PyPI into its own venv) and its real proxy,
configurable-http-proxy (from npm, on Node.js), spawn the image's single-user server
(start-singleuser.py, the image's jupyterhub-singleuser) with the hub's environment. Users reach the
server only through the proxy's public port, under /user/NAME/; the server checks every token with
the hub.

Besides the answers through the proxy it reports the proxy's own routing table (read from its REST
API), and, with alice's route deleted from the proxy, what her request gets then: the answers came
through the proxy's route, not from anywhere else listening.

usage: HUB=/path/to/hub/venv CHP=/path/to/configurable-http-proxy jupyterhub_probe.py
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

PUBLIC = "http://127.0.0.1:8000"  # the proxy's public port: what users reach
PROXY_API = "http://127.0.0.1:8001/api/routes"
HUB_API = "http://127.0.0.1:8081/hub/api"
SERVER_PORT = 8890
ADMIN = secrets.token_hex(16)
PROXY_TOKEN = secrets.token_hex(16)
CONFIG = f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = 8000
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.command = ["{os.environ["CHP"]}"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.ConfigurableHTTPProxy.auth_token = "{PROXY_TOKEN}"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = ["start-singleuser.py"]
c.SimpleLocalProcessSpawner.home_dir_template = "/home/jovyan"  # the image's home, as container spawners give it
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


def call(method: str, url: str, token: str | None, body: dict | None = None) -> tuple[int, str, str]:
    """status, body, and the Location header (redirects are not followed)"""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"token {token}"} if token else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Location", "")


def answer(url: str, token: str | None) -> dict:
    status, _, location = call("GET", url, token)
    return {"status": status, "location": location}


def wait(what: str, ready, seconds: int) -> None:  # noqa: ANN001
    for _ in range(seconds):
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"{what}:\n" + (work / "hub.log").read_text()[-3000:])


def alice_ready() -> bool:
    model = json.loads(call("GET", f"{HUB_API}/users/alice", ADMIN)[1])
    return bool(model.get("servers", {}).get("", {}).get("ready"))


def alice_running() -> bool:
    model = json.loads(call("GET", f"{HUB_API}/users/alice", ADMIN)[1])
    return bool(model.get("servers", {}))


def healthcheck() -> dict:
    """The image's healthcheck command with the image's environment (the hub's variables left out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB")}
    done = subprocess.run([os.environ["HEALTHCHECK"]], capture_output=True, text=True, env=env, timeout=30)
    return {"rc": done.returncode, "said": (done.stdout + done.stderr).strip()}


work = Path(tempfile.mkdtemp())
(work / "jupyterhub_config.py").write_text(CONFIG)
log = (work / "hub.log").open("w")
hub = subprocess.Popen(
    [f"{os.environ['HUB']}/bin/jupyterhub", "-f", "jupyterhub_config.py"], cwd=work, stdout=log, stderr=log
)
try:
    wait("the hub did not answer", lambda: call("GET", f"{HUB_API}/", ADMIN)[0] == 200, 60)
    for user in ("alice", "bob"):
        status, text, _ = call("POST", f"{HUB_API}/users/{user}", ADMIN)
        assert status == 201, (status, text)
    status, text, _ = call("POST", f"{HUB_API}/users/alice/server", ADMIN)
    assert status in (201, 202), (status, text)
    wait("alice's server never became ready", alice_ready, 90)
    tokens = {}
    for user in ("alice", "bob"):
        status, text, _ = call("POST", f"{HUB_API}/users/{user}/tokens", ADMIN, {"note": "probe"})
        assert status == 201, (status, text)
        tokens[user] = json.loads(text)["token"]
    routes = json.loads(call("GET", PROXY_API, PROXY_TOKEN)[1])
    alice = f"{PUBLIC}/user/alice"
    result = {
        "hub": json.loads(call("GET", f"{HUB_API}/", ADMIN)[1])["version"],
        "proxy": subprocess.run([os.environ["CHP"], "--version"], capture_output=True, text=True).stdout.strip(),
        "routes": {spec: route["target"] for spec, route in routes.items()},
        "alice": answer(f"{alice}/api/status", tokens["alice"]),
        "contents": answer(f"{alice}/api/contents", tokens["alice"]),
        "bob": answer(f"{alice}/api/status", tokens["bob"]),
        "anonymous": answer(f"{alice}/api/status", None),
        "anonymous_page": answer(f"{alice}/lab", None),
        "alice_at_bob": answer(f"{PUBLIC}/user/bob/api/status", tokens["alice"]),
    }
    # bob has no server, so no route: the proxy hands the request to the hub, which redirects to its
    # own page for bob's server; there alice is refused, and bob is told his server is not running
    hub_page = PUBLIC + result["alice_at_bob"]["location"]
    result["alice_at_bob_hub"] = answer(hub_page, tokens["alice"])
    result["bob_at_bob_hub"] = answer(hub_page, tokens["bob"])
    # alice's route gone from the proxy: her request no longer reaches her server
    status, text, _ = call("DELETE", f"{PROXY_API}/user/alice", PROXY_TOKEN)
    assert status == 204, (status, text)
    result["alice_unrouted"] = answer(f"{alice}/api/status", tokens["alice"])
    # the image's HEALTHCHECK, as docker runs it: healthy while her server runs under /user/alice/, then not
    result["healthcheck"] = healthcheck()
    status, text, _ = call("DELETE", f"{HUB_API}/users/alice/server", ADMIN)
    assert status in (202, 204), (status, text)
    wait("alice's server did not stop", lambda: not alice_running(), 60)
    result["healthcheck_stopped"] = healthcheck()
    print(json.dumps(result))
finally:
    hub.terminate()
    hub.wait(30)
