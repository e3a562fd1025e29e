# Jupyter server settings shared by every image (docker-stacks' conventions). Token auth stays on:
# JUPYTER_TOKEN sets the token, else Jupyter generates one and prints the URL with it.
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from jupyter_core.paths import jupyter_data_dir

c = get_config()  # noqa: F821
# every interface, IPv4 and IPv6 where the network has both (an IPv6-only or dual-stack pod network)
c.ServerApp.ip = "*"
c.ServerApp.port = int(os.environ.get("JUPYTER_PORT", "8888"))
c.ServerApp.open_browser = False
c.ServerApp.allow_remote_access = True
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
# kernels talk to the server over Unix sockets in the user's runtime directory, not TCP on
# localhost: nothing another process could listen to, and no "running over TCP without encryption"
c.KernelManager.transport = "ipc"


# The Spark UI of the container's first driver (port 4040: a "PySpark (local)" kernel's session, or
# start-connect-server.sh's) at {base_url}spark-ui/ (JupyterHub's /user/NAME/spark-ui/), behind the
# server's own auth, with a "Spark UI" launcher tile; other drivers' at {base_url}proxy/4041/ and on.
# Spark writes its links under the prefix jupyter-server-proxy sends as X-Forwarded-Context, but its
# redirects name its own address: made relative here, they get the proxy's prefix in front.
def spark_ui_redirects(response):
    if response.code in (301, 302, 303, 307, 308) and "Location" in response.headers:
        url = urlsplit(response.headers["Location"])
        response.headers["Location"] = urlunsplit(("", "", url.path, url.query, url.fragment))


c.ServerProxy.servers = {
    "spark-ui": {
        "port": 4040,
        "mappath": {"/": "/jobs/"},
        "rewrite_response": spark_ui_redirects,
        "launcher_entry": {"title": "Spark UI"},
    }
}

# GEN_CERT (any value): serve HTTPS with a self-signed certificate generated at start
if "GEN_CERT" in os.environ:
    pem = Path(jupyter_data_dir()) / "notebook.pem"
    pem.parent.mkdir(parents=True, exist_ok=True)
    if not pem.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-days",
                "365",
                "-nodes",
                "-x509",
                "-subj",
                "/CN=generated",
                "-keyout",
                str(pem),
                "-out",
                str(pem),
            ],
            check=True,
            capture_output=True,
        )
        pem.chmod(0o600)
    c.ServerApp.certfile = str(pem)
