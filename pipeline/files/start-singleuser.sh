#!/usr/bin/env bash
# Kept for older habits (docker-stacks keeps the same shim): start-singleuser.py does the work.
exec start-singleuser.py "$@"
