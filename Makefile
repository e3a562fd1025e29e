# The two commands: `make build-all` (the main job) and `make test`. Both set up what is missing
# (Debian packages, Docker, the Dagger engine, the Python environment) on their own.
SHELL := /bin/bash
PY := .venv/bin/python
ENGINE_ENV := .cache/engine/env
WITH_ENGINE := set -a && . $(ENGINE_ENV) && set +a &&

.PHONY: build-all test unit lint engine dockerfiles lock bench clean

build-all: engine
	$(WITH_ENGINE) $(PY) -m pipeline build-all

test: lint engine
	$(WITH_ENGINE) REQUIRE_ENGINE=1 $(PY) -m pytest -v -rs $(PYTEST_ARGS)

unit: .venv
	$(PY) -m pytest -v -m "not engine"

lint: .venv
	.venv/bin/ruff check pipeline tests scripts
	.venv/bin/ruff format --check pipeline tests scripts

engine: .venv
	scripts/engine.sh >/dev/null
	$(WITH_ENGINE) $(PY) scripts/seed_registry.py

.venv: requirements/dev.txt
	python3 -m venv .venv
	.venv/bin/pip install -q --require-hashes -r requirements/dev.txt
	touch .venv

dockerfiles: .venv
	$(PY) -W ignore -m pipeline.dockerfiles

# Re-pin Python dependencies with hashes (needs network to PyPI).
lock: .venv
	.venv/bin/pip install -q uv==0.9.30
	for f in requirements/*.in; do .venv/bin/uv pip compile -q --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 $$f -o $${f%.in}.txt; done

bench: engine
	$(WITH_ENGINE) $(PY) scripts/bench.py

clean:
	rm -rf build .cache/engine/image
