# The two commands: `make run` (set up and serve) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app portal
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: setup browser run serve test db clean

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
	$(FLASK) hub bootstrap
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving: several worker processes.
serve: db
	$(FLASK) hub bootstrap
	MODELHUB_BIND=$(HOST):$(PORT) $(BIN)/gunicorn "portal:create_app()"

browser:
	scripts/install-browser

test: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
