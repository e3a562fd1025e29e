#!/opt/venv/bin/python
"""Start the Jupyter server, as docker-stacks' start-notebook.py does (run through start.sh, the entrypoint).

DOCKER_STACKS_JUPYTER_CMD picks the subcommand (default `lab`; `server`; any other `jupyter X` installed),
NOTEBOOK_ARGS adds arguments (shell-split), then this script's own arguments. With JUPYTERHUB_API_TOKEN
set (a spawner started it), start-singleuser.py runs instead. Settings: /etc/jupyter/jupyter_server_config.py
(JUPYTER_PORT, JUPYTER_TOKEN, GEN_CERT).

Notebook 7 (`notebook`), `nbclassic` and `retro` are not in the images (kept small: JupyterLab serves the
same notebooks); asked for one, this script says so and exits 2 rather than start a server that dies."""

import os
import shlex
import shutil
import sys

if "JUPYTERHUB_API_TOKEN" in os.environ:
    print("start-notebook.py: JUPYTERHUB_API_TOKEN is set, running start-singleuser.py", file=sys.stderr)
    os.execvp("start-singleuser.py", ["start-singleuser.py", *sys.argv[1:]])

if os.environ.get("RESTARTABLE") == "yes":
    print("start-notebook.py: WARNING: RESTARTABLE is not supported by this image; ignored", file=sys.stderr)
subcommand = os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")
if shutil.which(f"jupyter-{subcommand}") is None:
    print(
        f"start-notebook.py: ERROR: DOCKER_STACKS_JUPYTER_CMD={subcommand}: `jupyter {subcommand}` is not in this "
        "image (Notebook 7, nbclassic and retro are left out); use lab (the default) or server, "
        f"or add it in an image of your own (pip install {subcommand})",
        file=sys.stderr,
    )
    sys.exit(2)
command = ["jupyter", subcommand]
command += shlex.split(os.environ.get("NOTEBOOK_ARGS", ""))
command += sys.argv[1:]
os.execvp(command[0], command)
