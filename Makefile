# make demo: set up .venv and run the main demo.  make test: set up .venv and run every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: venv
	$(PY) -m demos.walkthrough
	$(PY) -m demos.moons

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) -m demos.benchmark

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .mypy_cache
