#!/usr/bin/env bash
# Empty the engine's local registry of what tests pushed (every repository but library/, the seeded
# base images) and free its blobs: without this, each `make test` leaves a few GB behind.
# Run only while nothing pushes (make test runs it before its tests).
set -euo pipefail
ENGINE_NAME=${DAGGER_ENGINE_NAME:-dagger-engine}
docker exec "$ENGINE_NAME" sh -c '
  cd /var/lib/registry/docker/registry/v2/repositories 2>/dev/null || exit 0
  for repo in *; do [ "$repo" = library ] || rm -rf "$repo"; done
  docker-registry garbage-collect /etc/docker/registry/config.yml >/dev/null'
