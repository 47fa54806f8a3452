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

# docs/screenshots/*.png for the README: the real window, offscreen, on a temporary database and data folder.
screenshots: $(INSTALLED)
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.screenshots

BUNDLE_INSTALLED := $(VENV)/.bundle-installed

$(BUNDLE_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet -e '.[dev,bundle]'
	touch $@

# dist/storyforge/: the app in one folder, runs without Python (build_spec/README.md).
bundle: $(BUNDLE_INSTALLED)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build build_spec/storyforge.spec

# The frozen app's --self-test, offscreen, on a fresh data folder that is removed afterwards.
bundle-test: bundle
	build_spec/bundle-test.sh dist/storyforge/storyforge

clean:
	rm -rf $(VENV) build dist
