# Amtsfluss — two commands: `make run` (set up + serve with demo data) and `make test` (set up + all tests).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup setup-dev assets db lint bench clean

run: setup db  ## set up everything and serve the app (gunicorn, reloading, with the scheduler) on the SQLite default
	@echo "Amtsfluss läuft auf http://$(HOST):$(PORT)/  (Beenden mit Strg+C)"
	$(BIN)/gunicorn --reload --workers 1 --threads 4 --bind $(HOST):$(PORT) wsgi:app

test: setup-dev assets  ## set up and run all tests (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(shell command -v $(PYTHON) || echo python3) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

instance/config.py:
	@mkdir -p instance
	@$(BIN)/python -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@
	@echo "instance/config.py mit zufälligem SECRET_KEY angelegt."

setup: $(VENV)/.runtime instance/config.py assets
setup-dev: $(VENV)/.dev

assets:  ## front-end assets from npm (bpmn-js), copied into app/static/vendor
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --silent --no-audit --no-fund; fi; \
	  node scripts/vendor-assets.mjs; fi

db: setup  ## migrate to the newest schema, deploy the shipped procedures, load demo data once
	$(FLASK) db upgrade
	$(FLASK) processes deploy
	$(FLASK) seed-demo

lint: setup-dev  ## ruff lint, format check, import-layer contracts (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache
