#!/opt/venv/bin/python
"""The image's HEALTHCHECK: healthy when the Jupyter server this container runs answers its `api` URL.

The server says where it is: each running Jupyter server (JupyterLab, `jupyter server`,
jupyterhub-singleuser) writes a jpserver-PID.json in its runtime directory with its URL, so scheme
(GEN_CERT: HTTPS), port (JUPYTER_PORT, --port) and base URL (JupyterHub's /user/NAME/, --ServerApp.base_url)
come from the server itself. Asked directly (no proxy from the environment), a self-signed
certificate accepted (GEN_CERT's). The runtime directory is looked for as the server sees it: with
this process's HOME, and with /home/$NB_USER's (docker runs the healthcheck as the container's user,
root when started as root, while the server runs as NB_USER). Unhealthy: no server file, or no server
answering (a file left by a server that is gone does not count).
"""

import json
import os
import ssl
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir

TIMEOUT = 3


def runtime_dirs() -> list[Path]:
    homes = [os.environ.get("HOME", ""), f"/home/{os.environ.get('NB_USER', 'jovyan')}"]
    found = []
    for home in dict.fromkeys(h for h in homes if h):
        os.environ["HOME"] = home
        found.append(Path(jupyter_runtime_dir()))
    return list(dict.fromkeys(found))


def urls(server: dict) -> list[str]:
    """The server's own URL, then the same on localhost (a hostname that does not resolve here)."""
    url = urllib.parse.urlsplit(server["url"])
    local = url._replace(netloc=f"localhost:{url.port}") if url.port else url
    return list(dict.fromkeys(urllib.parse.urljoin(u.geturl(), "api") for u in (url, local)))


def answers(url: str) -> bool:
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls))
    try:
        with opener.open(url, timeout=TIMEOUT) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> int:
    files = [file for directory in runtime_dirs() for file in directory.glob("jpserver-*.json")]
    for file in files:
        try:
            server = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        for url in urls(server):
            if answers(url):
                print(f"healthy: {url}")
                return 0
    print(f"unhealthy: no Jupyter server answers ({len(files)} server files)", file=sys.stderr)
    return 1


sys.exit(main())
