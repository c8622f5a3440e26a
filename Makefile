# Borough: every set-up step lives here so that a fresh machine needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ENV ?= dev
PORT ?= 8080
# Where alarms are emailed; required for an environment with deletion protection (prod) unless cdk.json sets it.
ALARM_EMAIL ?=
CDK_CONTEXT := -c environment=$(ENV) $(if $(ALARM_EMAIL),-c alarm_email=$(ALARM_EMAIL))
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install layer assets browser-deps synth run reset test lint typecheck contracts unit bench bootstrap deploy diff clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements-dev.txt requirements-layer.txt requirements-layer-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/pip install --quiet -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import aws_cdk, moto, aws_lambda_powertools, pytest"  # fail here if the install did not
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed ## Install Python (.venv) and Node (node_modules) dependencies

layer: $(BIN)/.installed ## Build the shared Lambda layer (.build/layer, arm64) and its twin for this Python (.build/layer-local)
	$(BIN)/python -c "from stacks.constructs.layer import build_layer_directory; build_layer_directory()"
	$(BIN)/python -c "from local.layer import build_local_layer; build_local_layer()"

assets: install ## Build the resident web's CSS and JS (GOV.UK Frontend, council brand) into .build/assets
	$(BIN)/python web/build_assets.py

browser-deps: ## Install Debian's Chromium for the browser tests if it is missing (as root, or with sudo)
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "Browser tests need Chromium: sudo apt-get install -y chromium"; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

synth: install layer assets ## Synthesize the CDK app to cdk.out (ENV=dev|prod)
	npx cdk synth --quiet $(CDK_CONTEXT)

run: install layer assets ## Start the whole suite locally (no AWS account, no Docker) and print where to open it
	$(BIN)/python -m local --port $(PORT)

reset: ## Forget the local cloud's saved data
	rm -rf .local

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy app.py stacks shared functions local

# The layers' import contracts (pyproject.toml, [tool.importlinter]); functions/ is on the path, as in Lambda.
contracts: $(BIN)/.installed
	PYTHONPATH=functions $(BIN)/lint-imports --no-cache --no-logo

test: install layer assets browser-deps lint typecheck contracts ## Install what is needed, then lint, type-check, check the import contracts and run every test with coverage
	@# Two runs: unit and infrastructure tests in parallel, then the tests that share one local cloud (local, browser)
	@# in one process: the unit tests' moto and the local cloud's moto are process-global and must not meet.
	$(BIN)/python -m pytest -n 2 tests/unit tests/infra --cov --cov-report= --cov-fail-under=0
	$(BIN)/python -m pytest tests/local tests/browser --cov --cov-append --cov-report=term

bench: install layer assets ## Run the benchmarks and print figures (recorded in docs/benchmarks.md)
	$(BIN)/python -m bench

bootstrap: install layer assets ## Bootstrap CDK once per account in both regions the app uses: home and us-east-1 (WAF)
	@# With no environments named, the CLI bootstraps each stack's: aws://<your account>/<home region> and
	@# aws://<your account>/us-east-1 (CloudFront's web ACL must be there; docs/decisions/0003-waf-cross-region.md).
	npx cdk bootstrap $(CDK_CONTEXT)

deploy: install layer assets ## Deploy every stack (the WAF's in us-east-1 first); needs `make bootstrap` once (ENV=dev|prod)
	npx cdk deploy --all $(CDK_CONTEXT) --require-approval broadening

diff: install layer assets ## Show what a deploy would change
	npx cdk diff --all $(CDK_CONTEXT)

clean: ## Remove build output (keeps .venv, node_modules and local data)
	rm -rf cdk.out .build .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
