# resistance-annotator: developer and user entry points. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# pytest worker processes for `make test` (pytest-xdist); 0 runs the suite in the make process
TEST_JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck schema golden bench bench-quick clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

demo: $(BIN)/python  ## install into .venv and annotate the bundled demo VCF into results/
	$(PIP) install .
	$(BIN)/resistance-annotator annotate test_data/demo.grch38.vep.vcf.gz \
		--tumor-type LUAD --out-dir results
	@echo "results written to results/"

test: $(BIN)/python  ## install with [dev] into .venv, lint, type-check and run the whole test suite
	$(PIP) install -e '.[dev]'
	$(BIN)/ruff check annotator tests test_data
	$(BIN)/mypy
	$(BIN)/python -m pytest --numprocesses=$(TEST_JOBS)

lint: $(BIN)/python  ## ruff and mypy
	$(BIN)/ruff check annotator tests
	$(BIN)/ruff format --check annotator tests
	$(BIN)/mypy

schema: $(BIN)/python  ## regenerate docs/rules.schema.json from the pydantic models
	$(BIN)/python -m annotator.rules.jsonschema > docs/rules.schema.json

golden: $(BIN)/python  ## regenerate the golden outputs in tests/golden/ (review the diff!)
	$(BIN)/python -m tests.golden_regenerate

bench: $(BIN)/python  ## benchmark 100k/1M/5M records vs bcftools & co, update bench/RESULTS.md
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: $(BIN)/python  ## quick benchmark (100k and 1M records), update bench/RESULTS.md
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

clean:  ## remove the virtual environment and results
	rm -rf $(VENV) results
