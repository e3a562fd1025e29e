#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs nvidia-smi sees as a Spark resource.
set -euo pipefail
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/^/"/' -e 's/$/"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
