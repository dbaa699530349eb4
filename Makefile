# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv when it is missing and install tgmon into it.
# editable_mode=compat: a plain path entry instead of an import hook that
# would cost every plugin start ~10 ms.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-quick lint bench generate examples docs icinga-conf plugins deb install clean venv

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml constraints-debian12.txt tools/isolate-shebangs
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "cannot create a virtualenv: install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  -c constraints-debian12.txt --config-settings editable_mode=compat -e '.[test]'
	$(BIN)/python tools/isolate-shebangs $(BIN)/tgmon $(BIN)/tgmon-sim $(BIN)/check_*
	$(BIN)/python -m compileall -q tgmon
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

# -rs: every skipped test says why (a missing core, the package not installed)
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs

test-quick: $(STAMP)
	$(BIN)/python -m pytest -q -m "not e2e and not slow"

bench: $(STAMP)
	$(BIN)/python -m compileall -q tgmon  # as an installed package would be
	$(BIN)/python bench/run.py $(ROWS)

# Every generated file (docs' help blocks, CheckCommands, Nagios/NRPE commands,
# plugin wrappers, example states); tests/test_generated.py fails while one is stale.
generate: $(STAMP)
	$(BIN)/python tools/generate.py

# ruff with the rules in pyproject.toml; .ci/run runs it before make test
lint: $(STAMP)
	$(BIN)/ruff check tgmon tests tools bench

examples docs icinga-conf plugins: generate

# The Debian package: dist/tgmon_<version>_all.deb (installs its build dependencies as root)
deb:
	tools/build-deb

# The venv route for systems without the Debian package (RHEL-likes, ...):
#   make install PREFIX=/opt/tgmon PLUGINDIR=/usr/lib64/nagios/plugins
# a venv in PREFIX, and in PLUGINDIR executables that run with its Python.
PREFIX    ?= /opt/tgmon
PLUGINDIR ?= /usr/lib/nagios/plugins
SYSTEM_PYTHON ?= $(shell command -v /usr/bin/python3 || command -v python3)
install:
	tools/install-venv "$(SYSTEM_PYTHON)" "$(PREFIX)" "$(PLUGINDIR)"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
