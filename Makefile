# One command per developer action. Each target installs what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system web test lint format bench demo clean

NODE_E2E := tests/e2e/node
NODE_STAMP := $(NODE_E2E)/node_modules/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the official npm client, for the acceptance tests
$(NODE_STAMP): $(NODE_E2E)/package.json $(NODE_E2E)/package-lock.json
	cd $(NODE_E2E) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian packages (Tesseract, Xvfb, Chromium, fonts), only those missing
system:
	scripts/system-packages

# the browser apps (React + convex/react, built with Vite to static files livebase serves)
web:
	scripts/build-web

install: system $(STAMP) $(NODE_STAMP) web

test: system $(STAMP) $(NODE_STAMP) web
	$(PY) -m pytest -q

lint: $(STAMP) web
	$(PY) -m ruff check src tests bench examples scripts
	$(PY) -m ruff format --check src tests bench examples scripts
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	cd web/bankchat && npm run --silent lint
	cd web/sessiondocs && npm run --silent lint
	cd web/dashboard && npm run --silent lint

format: $(STAMP)
	$(PY) -m ruff format src tests bench examples scripts
	$(PY) -m ruff check --fix src tests bench examples scripts

bench: system $(STAMP)
	$(PY) bench/run.py

demo: system $(STAMP) web
	$(PY) scripts/demo.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
