# duban: the two commands a newcomer needs are `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/duban
PORT ?= 8000
# pipefail: a failing pip must fail the build even though its output goes through awk.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: setup demo test test-sqlite test-pg lint bench assets serve clean

$(BIN)/duban: pyproject.toml
	@echo "==> 1/2 Python 环境：$(VENV)（首次约 1–2 分钟）"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install --progress-bar off -e ".[dev]" | awk '/^(Collecting|Successfully|ERROR)/ {print "    " $$0; fflush()}'
	@touch $(BIN)/duban

src/duban/static/vendor/htmx.min.js: package.json package-lock.json
	@echo "==> 2/2 网页资源（htmx、ECharts，来自 npm）"
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent vendor

assets: src/duban/static/vendor/htmx.min.js

setup: $(BIN)/duban assets

demo: setup            ## set everything up, build the district demo on SQLite and serve it
	$(BIN)/duban demo --port $(PORT)

test: setup            ## SQLite always; PostgreSQL too when a server answers on 127.0.0.1
	@bin/test-all

test-sqlite: setup
	$(BIN)/pytest -m "not browser" $(ARGS)

test-pg: setup
	DUBAN_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser" $(ARGS)

lint: setup
	$(BIN)/ruff check src tests bench conftest.py
	DUBAN_DATA_DIR=$$(mktemp -d) $(BIN)/duban manage makemigrations --check --dry-run

bench: setup           ## every benchmark, each with its floor and ratio
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules src/duban/static/vendor
