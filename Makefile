# Bootstraps .venv from the lock file; every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: install run report test lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

## The main job: the default comparison on the synthetic world; ends with the report's path.
run: $(STAMP)
	$(PY) -m experiments.run +experiment=compare $(ARGS)

## The comparison report of a results directory: make report DIR=results/paper/...
report: $(STAMP)
	$(PY) -m experiments.report $(DIR)

## The test suite.
test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

## Re-resolve the lock file after editing pyproject.toml.
lock: $(STAMP)
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV)
