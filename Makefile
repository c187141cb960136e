# Two commands do all set-up: `make guide` and `make test`. Nothing here needs root.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUTPUT ?= output

.PHONY: guide test bench bench-archive clean

guide: $(VENV)/.installed
	$(PY) -m audioguide build scripts --output $(OUTPUT)

test: $(VENV)/.installed-test
	$(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) -m audioguide.bench

bench-archive: $(VENV)/.installed-test
	$(PY) -m audioguide.bench_archive

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "audioguide needs Python 3.11 or newer (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	touch $(VENV)/.installed $@

clean:
	rm -rf $(OUTPUT)/*.mp3 $(OUTPUT)/*.json $(OUTPUT)/*.vtt $(OUTPUT)/*.xml $(OUTPUT)/*.html \
	  $(OUTPUT)/cover.* $(OUTPUT)/icon-*.png $(OUTPUT)/*.webmanifest $(OUTPUT)/service-worker.js \
	  $(OUTPUT)/.audioguide-*
