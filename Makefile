# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    install, migrate, seed the demo, create `admin`, serve on 127.0.0.1:8000
#   make test   install the dev extras and run the whole suite
PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint migrate seed worker bench clean chromium

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py ensure_admin
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

worker: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py db_worker

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

# The browser tests drive Debian's Chromium: installed here when we may (root, apt).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run  sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi

# ccusage, the independent token count the usage totals are checked against (issue 19).
node_modules/.installed: package.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Node.js and npm for the ccusage check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "The ccusage check needs npm: run  sudo apt-get install -y nodejs npm"; exit 1; \
	  fi; \
	fi
	npm install --no-package-lock --no-audit --no-fund --silent
	touch $@

test: $(VENV)/.installed-dev chromium node_modules/.installed
	$(VENV)/bin/ruff check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules
