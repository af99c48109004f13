# Two commands matter: `make run` (the app on the embedded service) and `make test`.
# Both install what is missing first, so they work on a fresh machine.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
export PYTHONDONTWRITEBYTECODE := 1

# what ruff checks and formats (make suite fails on a finding)
LINTED := dashboard tests bench scripts rxconfig.py alembic

.PHONY: run test suite install install-test bun chromium conformance-js conformance-py docs-ui clean

## run: install what is missing and start the app with hot reload on http://localhost:3000
run: install bun docs-ui
	@mkdir -p uploaded_files
	$(VENV)/bin/reflex db migrate
	$(VENV)/bin/reflex run

## test: install what the tests need, check the import contracts (pyproject.toml) and run the whole
## suite. Every skip is listed with its reason;
## with CI=true a test that cannot run (no PostgreSQL, Redis, Chromium, ...) fails instead.
test: install-test bun chromium conformance-js conformance-py docs-ui
	@$(MAKE) --no-print-directory suite

## suite: the whole suite with what is installed (browser tests in their own run: Playwright's sync
## API keeps an event loop that async tests must not share)
suite:
	@mkdir -p uploaded_files
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy
	$(PY) -m pytest -q --ignore=tests/browser $(PYTEST_ARGS)
	$(PY) -m pytest -q tests/browser $(PYTEST_ARGS)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e ".[test,scale]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## bun: Reflex's JavaScript runtime, from the npm registry (Reflex's own download needs the internet)
bun:
	@command -v bun >/dev/null 2>&1 || npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@1.4.5

## conformance-js: the pinned filestack-js the conformance tests run in Node (npm registry, package-lock.json)
conformance-js: tests/conformance/js/node_modules/.installed

tests/conformance/js/node_modules/.installed: tests/conformance/js/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tests/conformance/js
	@touch $@

## docs-ui: Swagger UI's files for /workflows-beta/docs (npm registry, package-lock.json), served offline
DOCS_UI := dashboard/local_filestack/workflows/api/docs_ui
docs-ui: $(DOCS_UI)/node_modules/.installed

$(DOCS_UI)/node_modules/.installed: $(DOCS_UI)/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix $(DOCS_UI)
	@touch $@

## conformance-py: the official filestack-python in a virtualenv of its own (its wheel ships a top-level
## `tests` package that would shadow ours in the project's virtualenv)
SDK_PY := $(TOOLS)/sdk-python
conformance-py: $(SDK_PY)/.installed

$(SDK_PY)/.installed: tests/conformance/requirements-sdk.txt
	@test -x $(SDK_PY)/bin/python || $(PYTHON) -m venv $(SDK_PY)
	$(SDK_PY)/bin/python -m pip install -q -r tests/conformance/requirements-sdk.txt
	@touch $@

## chromium: Debian's headless browser for the browser tests
chromium:
	@bash scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) $(TOOLS) .web .states

# More targets (bench, cluster, test-under-load, ...) live in mk/, one file each.
-include mk/*.mk
