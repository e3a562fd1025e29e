#!/opt/venv/bin/python
"""Start a JupyterHub single-user server (jupyterhub-singleuser), as docker-stacks' start-singleuser.py does.

A spawner gives it JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL, JUPYTERHUB_SERVICE_PREFIX, ...; it listens on
every interface (IPv4 and IPv6: --ip=*, where docker-stacks gives 0.0.0.0) unless NOTEBOOK_ARGS or the
arguments name --ip; then NOTEBOOK_ARGS, then this script's arguments."""

import os
import shlex
import sys

args = shlex.split(os.environ.get("NOTEBOOK_ARGS", "")) + sys.argv[1:]
command = ["jupyterhub-singleuser"]
if not any(arg.startswith("--ip") or arg.startswith("--ServerApp.ip") for arg in args):
    command.append("--ip=*")
os.execvp(command[0], command + args)
