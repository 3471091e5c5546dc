# Herdesk (牧服) — two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: run install messages migrate test test-sqlite test-postgres test-fast lint typecheck screenshots bench bench-peer clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP) messages

# Compiled translations (.mo) are built from the committed .po files, never committed.
messages: $(STAMP)
	$(BIN)/herdesk buildmessages

migrate: install
	mkdir -p var
	$(BIN)/herdesk migrate --noinput

run: migrate
	@if [ ! -f var/.demo-loaded ]; then $(BIN)/herdesk demo load --token && touch var/.demo-loaded; \
	 else $(BIN)/herdesk demo load --quiet --token; fi
	@echo "Open http://127.0.0.1:8000/  —  demo password: herdesk-demo"
	$(BIN)/herdesk serve --host 127.0.0.1 --port 8000

# The whole suite, on SQLite and then on PostgreSQL (PostgreSQL tests skip with a reason where
# no server answers, unless HERDESK_REQUIRE_SERVICES=1 as in CI).
test: install
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL= $(BIN)/pytest -q -n 2

# The browser journeys (marker e2e) run in the SQLite pass only: they drive pages, and the pages' SQL
# runs on PostgreSQL in every other test of this pass. Keeps .ci/run near 30 minutes on 2 cores.
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3)" 2>/dev/null; then \
	  DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n 2 -m "not e2e"; \
	elif [ "$$HERDESK_REQUIRE_SERVICES" = "1" ]; then echo "PostgreSQL at $(PG_URL) is required but not reachable"; exit 1; \
	else echo "SKIPPED: PostgreSQL suite — no server at $(PG_URL)"; fi

# The inner loop: SQLite only, no browser (e2e) and no multi-process kill test.
test-fast: install
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL= $(BIN)/pytest -q -n 2 -m "not e2e and not multiprocess"

# ruff, then the layer contracts of docs/architecture/overview.md ([tool.importlinter] in pyproject.toml),
# then the module shape (tools/check_shape.py: modules ≤ 800 lines, function-level imports with a reason).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python tools/check_shape.py

typecheck: install
	$(BIN)/mypy herdesk config

# Key pages at 1440×900 into docs/screenshots/ (Chinese text needs the Noto CJK fonts).
screenshots: install
	@fc-list | grep -qi "Noto Sans CJK" || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk chromium)
	DJANGO_SETTINGS_MODULE=config.settings.test HERDESK_SCREENSHOTS=docs/screenshots \
	  $(BIN)/pytest -q -m e2e herdesk/workspace/tests herdesk/portal/tests/test_e2e.py

# Benchmarks (not tests): data set generated once under var/bench, table appended to bench/RESULTS.md.
# Scale by environment: BENCH_TICKETS=100000 (default, SQLite); DATABASE_URL=postgres://…/herdesk_bench
# for PostgreSQL (a database of its own). See bench/README.md.
bench: install
	$(BIN)/python bench/run.py

# The race: django-helpdesk 2.6.1 in its own venv (bench/peer/venv) against Herdesk, same data set.
bench-peer: install
	$(BIN)/python bench/peer/race.py

clean:
	rm -rf $(VENV) var
