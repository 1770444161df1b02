# Two commands for a newcomer: `make demo` and `make test`. Everything else is a step they use.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: demo test install serve migrate seed lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# axe-core for the accessibility checks in the browser tests (npm registry).
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## make demo: SQLite, tasks in-process, demo data and a login per role, at http://127.0.0.1:8000 (PORT=8001 for another)
demo: seed
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: the whole suite. DATABASE_URL / REDIS_URL, when set, point it at PostgreSQL and Redis.
test: install $(NPM_STAMP)
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles .pytest_cache
