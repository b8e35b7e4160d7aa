# The two commands: `make run` brings the system up, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults test-fast bench check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m config.launcher

# `make test` is the whole suite (about 4 minutes here). The tests that kill and restart real
# processes (workers, Redis) or soak the system also run apart: `make test-faults`; the rest
# alone is `make test-fast`.
SLOW_TESTS := tests/faults tests/soak tests/archive/test_archiver_faults.py

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest $(addprefix --ignore=,$(SLOW_TESTS))

test-faults: $(STAMP)
	$(BIN)/python -m pytest $(SLOW_TESTS)

check: $(STAMP)
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))') \
	ALLOWED_HOSTS=api.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .data
