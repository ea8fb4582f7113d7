# `make run` and `make test` work on a fresh machine: they create .venv when missing and install into it
# (again whenever pyproject.toml changes, so new dependencies, test ones included, arrive by themselves).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist: 3 workers on this 2-core machine, since a test spends about 40% of its time waiting (on its app's
# timers, on other processes); measured with two other suites running, 3 took 220 s where 2 took 268 s. The tests
# that read one shared fixture (a whole pipeline, the tutorial script) share a worker: tests/conftest.py groups them.
PYTEST_PARALLEL ?= -n 3 --dist loadgroup

.PHONY: run test test-fast lint-imports bench install bytecode clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Our sources' bytecode, written ahead: the install is editable (the sources are this checkout), and where
# PYTHONDONTWRITEBYTECODE is set (this machine sets it) every start would otherwise compile core/ and tui/ again,
# about 0.1-0.3 s of the first screen. Only changed files are compiled again.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q core tui bench >/dev/null

run: bytecode
	$(BIN)/artifacts-tui

# The import contracts in pyproject.toml ([tool.importlinter]), then every test, in parallel.
test: lint-imports bytecode
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

# The edit loop: every test not marked slow (under a minute); `make test` before committing.
test-fast: bytecode
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not slow"

lint-imports: $(STAMP)
	$(BIN)/lint-imports

bench: bytecode
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
