# Everything a fresh machine needs, from Python 3 and make alone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
export QT_API := pyside6

.PHONY: install run test lint bench screenshots bundle bundle-test clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(INSTALLED)
	$(PY) -m desktop

test: $(INSTALLED)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check desktop tests
	$(VENV)/bin/ruff format --check desktop tests
	$(VENV)/bin/mypy

bench: $(INSTALLED)
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.bench

clean:
	rm -rf $(VENV) build dist
