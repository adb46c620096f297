# The two commands of the README: `make demo` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SQLITE_SMOKE_DB := var/smoke.sqlite3

.PHONY: demo test install system-deps lint test-postgres test-sqlite-smoke bench-catalogue clean

install: system-deps $(VENV)/.installed

system-deps:
	@bash scripts/system_deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

# The independent reference verifier (@digitalbazaar/vc) that the interop tests run.
interop/node_modules/.installed: interop/package-lock.json
	@command -v npm >/dev/null || (echo "The interop tests need Node.js 18+ and npm: apt-get install nodejs npm" && exit 1)
	@npm ci --prefix interop --no-audit --no-fund --loglevel=error
	@touch $@

## Install everything, migrate the embedded SQLite database, load demo data, serve on 127.0.0.1:8000.
demo: install
	@mkdir -p var
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py seed_demo
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py runserver 127.0.0.1:8000

## Run the whole test suite: lint, layering, migrations check, pytest on PostgreSQL, SQLite smoke run.
test: install interop/node_modules/.installed lint test-postgres test-sqlite-smoke

lint:
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports
	@DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=mcportal.settings.test $(PY) manage.py makemigrations --check --dry-run >/dev/null \
		|| (echo "Models and migrations differ: run manage.py makemigrations" && exit 1)

test-postgres:
	@bash scripts/require_services.sh
	@$(PY) -m pytest $(PYTEST_ARGS)

test-sqlite-smoke:
	@mkdir -p var && rm -f $(SQLITE_SMOKE_DB)
	@DATABASE_URL=sqlite:///$(CURDIR)/$(SQLITE_SMOKE_DB) DJANGO_SETTINGS_MODULE=mcportal.settings.local \
		$(PY) manage.py migrate --noinput >/dev/null
	@DATABASE_URL=sqlite:///$(CURDIR)/$(SQLITE_SMOKE_DB) $(PY) -m pytest -m smoke -q -p no:cacheprovider

bench-catalogue: install
	@$(PY) scripts/bench_catalogue.py

clean:
	rm -rf var/smoke.sqlite3 .pytest_cache
