# The two commands: `make build-all` (the main job) and `make test`. Both set up what is missing
# (Debian packages, Docker, the Dagger engine, the Python environment) on their own.
SHELL := /bin/bash
PY := .venv/bin/python
ENGINE_ENV := .cache/engine/env
WITH_ENGINE := set -a && . $(ENGINE_ENV) && set +a &&

UV_COMPILE := .venv/bin/uv pip compile -q --no-sources --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28
# The images' locks serve both platforms (pipeline/product.py PLATFORMS): the hashes cover every file of
# each pinned release, and `make lock` fails if arm64 would resolve other pins than amd64.
ARM64_COMPILE := $(subst x86_64-manylinux,aarch64-manylinux,$(UV_COMPILE))

# The images run JupyterHub's single-user server, never the hub: the hub's own dependencies stay out of
# their locks (and so out of the images' size budget); pip check names them.
HUB_ONLY := $(foreach p,pydantic pydantic-core annotated-types typing-inspection cryptography certipy oauthlib pamela,--no-emit-package $(p))

.PHONY: build-all test test-faults test-arm64 test-arm64-gpu unit lint engine engine-stop dockerfiles update-versions lock lock-images bench bench-cpu bench-platforms clean offline-module

# What CI runs with `dagger call`: build-all exports the passed images and the report, and fails naming any
# image that failed (after the export: the runner delivers each image as it is done).
build-all: engine
	$(WITH_ENGINE) $(PY) -m pipeline build-all $(BUILD_ARGS)

# CI's run (.ci/run). The heavier proofs are targets of their own, run by hand and reported: the fault
# tests (test-faults) and the arm64 images (test-arm64).
test: lint engine
	offline/prune-test-registry.sh
	$(WITH_ENGINE) REQUIRE_ENGINE=1 $(PY) -m pytest -v -rs --durations=20 --ignore=tests/faults --ignore=$(ARM64_TESTS) $(PYTEST_ARGS)

# A run killed while exporting, a registry that is down, the engine restarted under a run, a Ctrl-C
# (about 11 min here). They restart the engine, which ends every open session: never beside another run.
test-faults: engine
	$(WITH_ENGINE) REQUIRE_ENGINE=1 $(PY) -m pytest -v -rs tests/faults $(PYTEST_ARGS)

# The arm64 images under emulation, kept out of make test (CI's time: about 22 min cold on 2 cores):
# jupyter-4.1.1 and its iceberg variant on the line's proof, shipped and pushed with amd64 as one index,
# the per-platform fan-out and merge. test-arm64-gpu: a second arm64 image, jupyter-4.1.1-gpu with the
# arm64 RAPIDS jar.
ARM64_TESTS := tests/engine/test_arm64.py
test-arm64: engine
	$(WITH_ENGINE) REQUIRE_ENGINE=1 $(PY) -m pytest -v -rs $(ARM64_TESTS) $(PYTEST_ARGS)

test-arm64-gpu: engine
	$(WITH_ENGINE) ARM64_GPU=1 REQUIRE_ENGINE=1 $(PY) -m pytest -v -rs $(ARM64_TESTS) -k gpu_image

unit: .venv
	$(PY) -m pytest -v -m "not engine"

lint: .venv
	.venv/bin/ruff check pipeline tests scripts offline
	.venv/bin/ruff format --check pipeline tests scripts offline

engine: .venv
	offline/engine.sh >/dev/null
	$(WITH_ENGINE) $(PY) offline/seed_registry.py

# Before a machine is switched off: a clean stop keeps the engine's cache (offline/engine.sh)
engine-stop:
	offline/engine.sh stop

.venv: requirements/dev.txt
	python3 -m venv .venv
	.venv/bin/pip install -q --require-hashes -r requirements/dev.txt
	touch .venv

# `dagger generate`'s generator (generate-dockerfiles), through the runner: dockerfiles/ rendered anew
dockerfiles: engine
	$(WITH_ENGINE) $(PY) -m pipeline generate-dockerfiles

# Newest patch release of each Spark line from PyPI, jar checksums from Maven, into pipeline/versions.json;
# re-renders dockerfiles/ and prints the diff (needs network). UPDATE_ARGS: --dry-run, --check, --keep-releases.
update-versions: .venv
	$(PY) scripts/update_versions.py $(UPDATE_ARGS)

# Dagger's Python client library vendored into sdk/ as Dagger's Python SDK runtime does (git-ignored).
sdk: offline/engine/go.mod offline/vendor-sdk.sh
	offline/vendor-sdk.sh
	touch sdk

# Re-pin Python dependencies with hashes (needs network to PyPI): uv.lock (what Dagger's Python
# SDK runtime installs), module.txt (the offline SDK's), dev.txt (.venv), the images' locks.
lock: .venv sdk
	.venv/bin/uv lock
	$(UV_COMPILE) pyproject.toml requirements/module.in -o requirements/module.txt
	$(UV_COMPILE) pyproject.toml --extra test requirements/dev.in -o requirements/dev.txt
	.venv/bin/uv pip compile -q --no-sources --generate-hashes --python-version 3.11 requirements/build.in -o requirements/build.txt
	$(MAKE) lock-images

# The images' locks alone: existing pins kept, and arm64 must resolve the same pins as amd64 (it
# starts from them, so a newer release on PyPI is not a difference).
lock-images: .venv
	for f in requirements/jupyter-*.in; do $(UV_COMPILE) $(HUB_ONLY) $$f -o $${f%.in}.txt && \
	  cp $${f%.in}.txt $${f%.in}.arm64.tmp && $(ARM64_COMPILE) $(HUB_ONLY) --no-header $$f -o $${f%.in}.arm64.tmp && \
	  diff <(grep '==' $${f%.in}.txt) <(grep '==' $${f%.in}.arm64.tmp) \
	    || { echo "$$f: arm64 resolves other pins (above)" >&2; rm -f $${f%.in}.arm64.tmp; exit 1; }; \
	  rm -f $${f%.in}.arm64.tmp; done

# This module with offline/sdk-runtime/ as its SDK, in .cache/offline-module (docs/offline.md).
offline-module:
	offline/offline-module.sh

bench: engine
	$(WITH_ENGINE) $(PY) scripts/bench.py -- $(BUILD_ARGS)

# The host's CPU use during a build-all (BUILD_ARGS as for build-all): cores busy on average, and how often all
bench-cpu: engine
	$(WITH_ENGINE) $(PY) scripts/cpu_use.py -- $(PY) -m pipeline build-all $(BUILD_ARGS)

# A cold build of one image for each platform, one after the other, and the emulated/native ratio
bench-platforms: engine
	$(WITH_ENGINE) $(PY) scripts/bench_platforms.py $(BENCH_ARGS)

clean:
	rm -rf build .cache/engine/image
