# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    install, migrate, seed the demo, create `admin`, serve on 127.0.0.1:8000
#   make test   install the dev extras and run the whole suite
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint migrate seed worker bench clean

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
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

worker: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py db_worker

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
