# The two commands a newcomer needs: `make run` and `make test`. Everything else is what they build on.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The development server and the commands a newcomer runs beside it (a staff user, a backup) run with DEBUG on unless
# told otherwise, so that they need no DJANGO_SECRET_KEY; production sets its own environment, DJANGO_DEBUG=0 included.
run setup superuser backup restore: export DJANGO_DEBUG ?= 1

.PHONY: run setup stack superuser install tools test lint format lock bench fuzz backup restore

run: setup
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production stack on this machine, without Docker: gunicorn with production settings behind Varnish (Debian's
# varnish package), on PORT (8080 unless given), in the foreground until Ctrl-C (scripts/stack.py).
stack: setup
	$(BIN)/python -m scripts.stack --host $(HOST) --port $(if $(filter environment command line,$(origin PORT)),$(PORT),8080)

setup: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py import_regions
	$(BIN)/python manage.py load_content --missing-only

# A staff user with every permission, to sign in to the admin (asks for a name and a password).
superuser: install
	$(BIN)/python manage.py createsuperuser

install: $(BIN)/.installed

# Development installs both locks: requirements-dev.lock is the runtime lock plus the tools (pytest, ruff, playwright…).
$(BIN)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
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
	$(BIN)/pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) $(TEST_ARGS)

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
# FUZZ_DATABASE_URL=postgres://.../name (that database is dropped and recreated). FUZZ_ARGS passes the script's own
# options (--max-examples 150, --seed N).
FUZZ_DATABASE_URL ?=
FUZZ_ARGS ?=
fuzz: install
	$(BIN)/python -m scripts.fuzz $(if $(FUZZ_DATABASE_URL),--database-url $(FUZZ_DATABASE_URL)) $(FUZZ_ARGS)

# A backup of the content (natural-key JSON, any database): make backup [FILE=path]; FORMAT=postgres for pg_dump.
FILE ?= backup-$(shell date +%Y%m%d-%H%M%S).$(if $(filter postgres,$(FORMAT)),dump,json)
FORMAT ?= json
backup: install
	$(BIN)/python manage.py backup $(FILE) --format $(FORMAT)

# Restores a backup (either format) into a new database: make restore FILE=path (see README, Operations).
restore: install
	$(BIN)/python manage.py restore $(FILE)

# Re-pins every dependency (and its own dependencies) from pyproject.toml: the runtime into requirements.lock (what
# the production image installs), then the development extra into requirements-dev.lock, held to the runtime's
# versions. Index and wheel-directory options of the local pip configuration stay out of the files.
LOCK_OPTIONS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: install
	$(BIN)/pip-compile $(LOCK_OPTIONS) --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra dev --constraint requirements.lock \
		--output-file requirements-dev.lock pyproject.toml
