# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   ?= build/demo

.PHONY: demo test bench sysdeps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $@

# ffmpeg (NI Stems export, cross-checks of the loudness meter) is a system package.
sysdeps:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  echo "installing ffmpeg (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ffmpeg >/dev/null \
	  || echo "warning: could not install ffmpeg; the tests that need it are skipped"; }

demo: $(VENV)/.installed sysdeps
	$(BIN)/stemforge demo $(DEMO)

test: $(VENV)/.dev-installed sysdeps
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

bench: $(VENV)/.bench-installed sysdeps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
