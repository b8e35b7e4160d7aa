# The two commands: `make run` brings the system up, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults test-fast bench check clean admin demo manage redis-url

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	DEBUG=1 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m config.dev.launcher

# Commands on the Redis `make run` uses (recorded in .data/dev.env; see config/dev/devenv.py).
# USER and PASSWORD reach the command through the environment, so no shell quoting applies.
admin: $(STAMP)
	@test "$(origin USER)" = "command line" && test -n "$$PASSWORD" || \
	  { echo 'usage: make admin USER=<username> PASSWORD=<password>'; exit 2; }
	$(BIN)/python manage.py create_admin "$$USER" --password "$$PASSWORD"

# A small data set to explore (quizzes/demo.py): three quizzes, three dozen learners with a week of
# scores, an admin whose credentials it prints. It refuses a Redis holding data it did not write.
demo: $(STAMP)
	$(BIN)/python manage.py demo_data $(ARGS)

manage: $(STAMP)
	$(BIN)/python manage.py $(ARGS)

redis-url: $(STAMP)
	@$(BIN)/python -c 'from config.dev.devenv import dev_env_read; print(dev_env_read().get("REDIS_URL", ""))'

# `make test` is the whole suite (about 8 minutes on 2 cores; 11-13 when they are busy). The tests that kill and restart real
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
	$(BIN)/python -m config.dev.importgraph
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))') \
	ALLOWED_HOSTS=api.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .data
