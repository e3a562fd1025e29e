#!/usr/bin/env bash
# Generate .cache/offline-module: this module as `dagger call` would load it, with dagger.json's
# SDK pointed at offline/sdk-runtime/, our stand-in for Dagger's Python SDK runtime (docs/offline.md). The
# committed dagger.json stays as users need it ("python"). The copy is the checkout's files that git would carry (tracked and untracked, not ignored), in a git repository
# of its own, so the engine takes it as the module's context directory. Run it after changes.
# Usage: offline/offline-module.sh [DEST]   then: dagger -m DEST call ...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/.cache/offline-module}

mkdir -p "$(dirname "$DEST")"
tmp=$(mktemp -d "$DEST.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
   | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
   | xargs -0 cp --parents -t "$tmp")
python3 - "$tmp/dagger.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["sdk"] = {"source": "./offline/sdk-runtime"}
json.dump(config, open(path, "w"), indent=2)
PY
git -C "$tmp" init -q
rm -rf "$DEST" && mv "$tmp" "$DEST"
trap - EXIT
echo "$DEST"
