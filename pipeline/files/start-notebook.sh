#!/usr/bin/env bash
# Start JupyterLab on 0.0.0.0:${JUPYTER_PORT:-8888}. Token auth stays on: set JUPYTER_TOKEN to
# choose the token, else Jupyter generates one and prints the URL with it.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  echo "start-notebook.sh: refusing to run JupyterLab as root; run as jovyan (uid 1000)" >&2
  exit 1
fi
spark-conf-from-env
exec jupyter lab --ip=0.0.0.0 --port="${JUPYTER_PORT:-8888}" --no-browser \
  --ServerApp.root_dir=/home/jovyan/work "$@"
