# commeval — two commands: `make reports` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: reports test lint format lab sample-data validate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

$(TSTAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@ $(STAMP)

## make reports: install and write the reports of the project (commeval.yaml: the sample district) under outputs/
reports: $(STAMP)
	$(VENV)/bin/commeval reports

## make test: install with test extras, lint, run the test suite
test: $(TSTAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(TSTAMP)
	$(VENV)/bin/ruff check src tests benchmarks

format: $(TSTAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

## make lab: JupyterLab on the same environment
## (nbstripout is set up as this clone's git filter: outputs and execution counts never reach a commit)
lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/nbstripout --install   # this clone only: .git/config + .git/info/attributes
	$(VENV)/bin/jupyter lab notebooks/

sample-data: $(STAMP)
	$(VENV)/bin/commeval sample-data --out data/raw/sample_district

validate: $(STAMP)
	$(VENV)/bin/commeval validate   # the project of commeval.yaml: the sample district

clean:
	rm -rf data/processed/* outputs/*
