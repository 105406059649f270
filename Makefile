# The two commands: `make run` serves the app, `make test` runs the whole suite on throwaway
# PostgreSQL and Redis. Both create .venv and install on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SERVE_PORT ?= $(if $(filter command line environment,$(origin PORT)),$(PORT),8080)
PYTEST_ARGS ?=

.PHONY: run serve test bench lint format clean lock

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "python -m venv failed; installing python3-venv"; \
	  apt-get install -y python3-venv || { apt-get update && apt-get install -y python3-venv; }; \
	  $(PYTHON) -m venv $(VENV); }

# Stamp files: pip runs again only when a lock changed. Every package, transitive ones included, is
# pinned with its hashes (pip-tools); --require-hashes refuses anything else.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# Compile the locks from the top-level pins in requirements.in and requirements-dev.in.
lock: $(VENV)/.installed-dev
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements-dev.txt requirements-dev.in

# One Daphne process and JOB_WORKERS (2) background workers (scripts/run.sh), on the embedded default unless
# DATABASE_URL / REDIS_URL are set.
run: $(VENV)/.installed
	PORT=$(PORT) scripts/run.sh

# The production topology on one machine (scripts/serve.sh): nginx on PORT (8080 here), gunicorn,
# Daphne; needs DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
serve: $(VENV)/.installed
	PORT=$(SERVE_PORT) scripts/serve.sh

# axe-core for the browser tests (tests/e2e/axe.py injects it into each page), from the npm registry
# at the version and hash package-lock.json pins; never from a CDN, and the app itself needs no Node.
node_modules/.installed: package.json package-lock.json
	scripts/ensure-packages.sh node
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

test: $(VENV)/.installed-dev node_modules/.installed
	scripts/with-services.sh $(BIN)/pytest $(PYTEST_ARGS)

# shared_buffers as a production server would have it for the benchmarks' 1,000,000 utterances
# (PostgreSQL's 128 MB default holds a fraction of them; search then reads from the OS cache).
bench: $(VENV)/.installed-dev
	PG_SERVER_OPTIONS="-c shared_buffers=1GB" scripts/with-services.sh $(BIN)/python -m bench

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
