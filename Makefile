# netcol: two commands do all the set-up.
#   make test   create .venv if missing, install the pinned dependencies, run the tests
#   make run    same set-up, then run the default experiment and write its figure
#   make docs   same set-up, then build the documentation into site/ (warnings are errors)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.netcol-installed
RUN_DIR ?= runs/baseline

.PHONY: test run docs bench clean setup

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 tests

run: $(STAMP)
	$(VENV)/bin/netcol run baseline --set duration=20 --out $(RUN_DIR) --overwrite

docs: $(STAMP)
	$(PY) docs/gen_reference.py
	$(VENV)/bin/mkdocs build --strict --quiet

bench: $(STAMP)
	$(PY) bench/baseline_speed.py

clean:
	rm -rf $(VENV) runs build site *.egg-info
