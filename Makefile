# The two commands a newcomer needs: `make run` and `make test`. Everything else is what they build on.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The development server runs with DEBUG on unless told otherwise; production sets its own environment.
run setup: export DJANGO_DEBUG ?= 1

.PHONY: run setup install tools test lint format lock bench fuzz backup restore

run: setup
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

setup: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py import_regions
	$(BIN)/python manage.py load_content --missing-only

install: $(BIN)/.installed

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

# What the tests run on the live schema besides Python: Spectral, pinned in tools/package-lock.json (Node 18 or later).
# openapi-python-client comes with the dev dependencies.
tools:
	npm ci --prefix tools --no-audit --no-fund

# Two pytest workers (pytest-xdist), each test file on one of them: the suite's slowest tests wait on servers they
# start (gunicorn, PostgreSQL, Chromium), so two run in the time of one. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: install
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=kb.settings_test
	$(BIN)/pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark: PostgreSQL and Redis at their usual local addresses, wrk from Debian (apt-get install wrk).
bench: install
	$(BIN)/python -m bench.run

# Schemathesis against the live schema of the app under gunicorn (scripts/fuzz.py); an SQLite file by default, or
# FUZZ_DATABASE_URL=postgres://.../name (that database is dropped and recreated).
FUZZ_DATABASE_URL ?=
fuzz: install
	$(BIN)/python -m scripts.fuzz $(if $(FUZZ_DATABASE_URL),--database-url $(FUZZ_DATABASE_URL))

# A backup of the content (natural-key JSON, any database): make backup [FILE=path]; FORMAT=postgres for pg_dump.
FILE ?= backup-$(shell date +%Y%m%d-%H%M%S).$(if $(filter postgres,$(FORMAT)),dump,json)
FORMAT ?= json
backup: install
	$(BIN)/python manage.py backup $(FILE) --format $(FORMAT)

# Restores a backup (either format) into a new database: make restore FILE=path (see README, Operations).
restore: install
	$(BIN)/python manage.py restore $(FILE)

# Re-pins every dependency (and its own dependencies) from pyproject.toml into requirements.lock.
lock:
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		--output-file requirements.lock pyproject.toml
