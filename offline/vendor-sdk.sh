#!/usr/bin/env bash
# Vendor Dagger's Python client library into ./sdk, as Dagger's Python SDK runtime does for
# `dagger call` and `dagger develop` (sdk/python/runtime: WithSDK with its source filter), so that
# `uv lock` and the packaging tests see exactly what the runtime installs. The source is the
# Dagger module of offline/engine/go.mod (the engine's own version) from the Go module proxy
# (checksum-verified); sdk/ is git-ignored and never part of the module's upload.
# Usage: offline/vendor-sdk.sh [DEST]   (default: ./sdk)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/sdk}

src=$(cd "$ROOT/offline/engine" && GOWORK=off GOFLAGS=-modcacherw go mod download -json github.com/dagger/dagger \
      | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$src/sdk/python" ] || { echo "vendor-sdk: no sdk/python in $src" >&2; exit 1; }

# The runtime's source filter: pyproject.toml, uv.lock, LICENSE, README.md, src/**/*.py,
# src/**/*.typed, codegen/pyproject.toml, codegen/**/*.py (its dist/ is not in the module zip).
tmp=$(mktemp -d "$(dirname "$DEST")/.sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$src/sdk/python" \
  && { printf '%s\n' pyproject.toml uv.lock LICENSE README.md codegen/pyproject.toml
       find src -type f \( -name '*.py' -o -name '*.typed' \); find codegen -type f -name '*.py'; } \
  | xargs cp --parents -t "$tmp")
chmod -R u+w "$tmp"
rm -rf "$DEST" && mv "$tmp" "$DEST"
trap - EXIT
echo "vendored $(grep -c '' < <(find "$DEST" -type f)) files of $(basename "$src")/sdk/python into $DEST" >&2
