# The project's verbs. `make test` and `make dev` set themselves up on a fresh machine (Python 3.11+).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt

.PHONY: setup test test-fast lint format typecheck synth bench dev drill site dashboard clean lock

setup: $(STAMP)

# Re-installs only when the lock file changes.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	touch $(STAMP)

## test: every suite (unit, infra, e2e, browser) plus lint and type checks — what CI runs
test: setup lint typecheck
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy

## synth: the CloudFormation template and assets into cdk.out/ (offline; cdk-nag fails it on a finding)
synth: setup
	$(BIN)/python -m infra.app
	$(BIN)/cfn-lint --config-file .cfnlintrc.yaml cdk.out/*.template.json

## bench: cold-start and warm-overhead benchmarks of the counter (docs/performance.md)
bench: setup
	$(BIN)/python -m benchmarks.cold_start

## dev: the whole system locally on moto (no AWS account)
dev: setup
	$(BIN)/python -m infra.local

## lock: re-resolve requirements/lock.txt from pyproject.toml
lock:
	$(PYTHON) -m pip install --quiet uv==0.13.8 && $(PYTHON) -m uv pip compile pyproject.toml --extra infra --extra dev --python-version 3.11 --no-header -o $(LOCK)

clean:
	rm -rf cdk.out frontend/dist artifacts .pytest_cache .mypy_cache .ruff_cache

## site: build the resume site into frontend/dist/ (fails with a clear message on invalid resume data)
site: setup
	$(BIN)/python -m frontend.build
