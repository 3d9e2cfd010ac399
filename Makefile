# The two commands of the quick start: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RELEASES ?= data_releases
AS_OF ?= $(shell $(PYTHON) -c "import datetime,zoneinfo;print(datetime.datetime.now(zoneinfo.ZoneInfo('Asia/Shanghai')).date())")
PORT ?= 8000

.PHONY: setup site serve test lint typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# numba compiles the bundle edits' loop once and caches it (docs/site.md, "Search")
	$(BIN)/python -c "from disclosure._internal.pagefind_postings import warm; warm()"
	touch $(STAMP)

site: setup
	$(BIN)/disclosure verify --releases $(RELEASES)
	$(BIN)/disclosure build --releases $(RELEASES) --as-of $(AS_OF) --out build
	@echo
	@echo "Built build/ from $(RELEASES) as of $(AS_OF). Preview it with:"
	@echo "    make serve      # then open http://127.0.0.1:$(PORT)/"

serve:
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory build

lint: setup
	$(BIN)/ruff check disclosure tests scripts
	$(BIN)/mypy

typecheck: setup
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n 2 --dist loadgroup -q

bench: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python scripts/bench.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache test-artifacts
