#!/opt/venv/bin/python
"""Start the Jupyter server, as docker-stacks' start-notebook.py does (run through start.sh, the entrypoint).

DOCKER_STACKS_JUPYTER_CMD picks the subcommand (default `lab`; `server`, `notebook`, `nbclassic`...),
NOTEBOOK_ARGS adds arguments (shell-split), then this script's own arguments. With JUPYTERHUB_API_TOKEN
set (a spawner started it), start-singleuser.py runs instead. Settings: /etc/jupyter/jupyter_server_config.py
(JUPYTER_PORT, JUPYTER_TOKEN, GEN_CERT)."""

import os
import shlex
import sys

if "JUPYTERHUB_API_TOKEN" in os.environ:
    print("start-notebook.py: JUPYTERHUB_API_TOKEN is set, running start-singleuser.py", file=sys.stderr)
    os.execvp("start-singleuser.py", ["start-singleuser.py", *sys.argv[1:]])

if os.environ.get("RESTARTABLE") == "yes":
    print("start-notebook.py: WARNING: RESTARTABLE is not supported by this image; ignored", file=sys.stderr)
command = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
command += shlex.split(os.environ.get("NOTEBOOK_ARGS", ""))
command += sys.argv[1:]
os.execvp(command[0], command)
