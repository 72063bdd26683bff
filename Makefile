# The two commands: `make run` (set up and serve) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app portal
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: setup browser services run serve test db clean mutation

# Rebuild the environment when the requirements or the entry points change.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(VENV)/.installed

db: setup
	$(FLASK) db upgrade

run: db
	$(FLASK) hub bootstrap --address http://$(HOST):$(PORT)/
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving: gunicorn's workers behind nginx (deploy/nginx.conf), which holds
# slow clients itself; without nginx, gunicorn alone, after a warning (scripts/serve).
serve: db
	$(FLASK) hub bootstrap
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python scripts/serve

browser:
	scripts/install-browser

# PostgreSQL and Redis for the tests (each test session starts its own, in a throwaway folder).
services:
	scripts/install-services

# The whole suite on the embedded default (SQLite), then everything that touches the registry's
# SQL again on PostgreSQL: the registry, the API, the history, the data, table and live-evidence
# pages, the reliability and browser tests.
PG_TESTS ?= tests/registry tests/test_migrations.py tests/api tests/portal/test_history.py \
	tests/portal/test_admin_data.py tests/portal/test_admin_tables.py tests/portal/test_table_pages.py \
	tests/portal/test_admin_live.py tests/reliability tests/e2e
# Left out there: what does not touch the database (the OpenAPI document, the artifact store,
# pure figures) and the test that already runs both databases side by side.
PG_SKIP ?= --ignore=tests/registry/test_both_databases.py --ignore=tests/registry/test_artifacts.py \
	--ignore=tests/registry/monitoring/test_figures.py --ignore=tests/api/test_openapi.py
# Test files are shared out among PYTEST_WORKERS processes (pytest-xdist; 0 runs them in this
# one); each process trains its own copy of the use cases and starts its own services.
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
test: setup browser services
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(XDIST) --database postgresql $(PG_TESTS) $(PG_SKIP) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

# The benchmark (bench/run.py): `make bench` writes BENCHMARKS.md (a few minutes on
# two cores); `make bench-quick` is the short run CI does through tests/bench.
.PHONY: bench bench-quick wrk
wrk:
	scripts/install-wrk

bench: setup wrk
	$(BIN)/python -m bench.run

bench-quick: setup wrk
	$(BIN)/python -m bench.run --quick

# The benchmark's smoke test (tests/bench) drives Debian's wrk.
test: wrk

# The load test's long mode (the test suite runs it for 12 s): 16 clients against three gunicorn
# workers for LOADTEST_SECONDS, then the figures and the correctness checks.
LOADTEST_SECONDS ?= 120
.PHONY: loadtest
loadtest: setup
	LOADTEST_SECONDS=$(LOADTEST_SECONDS) $(BIN)/python -m pytest -q -s tests/reliability/test_load.py

# The multi-host rehearsal (docs/deploy.md): PostgreSQL, Redis, moto's S3 server, two
# gunicorn hosts and a queue worker on this machine; prints its figures. The suite runs it short.
REHEARSAL_SECONDS ?= 30
.PHONY: rehearsal
rehearsal: setup services
	REHEARSAL_SECONDS=$(REHEARSAL_SECONDS) $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/rehearsal

# Mutation testing of the core modules (not in CI; docs/mutation.md): about half an hour.
mutation: setup
	scripts/mutation
