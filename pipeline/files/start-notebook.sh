#!/usr/bin/env bash
# Kept for older habits (docker-stacks keeps the same shim): start-notebook.py does the work.
exec start-notebook.py "$@"
