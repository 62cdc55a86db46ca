# junxiu — everything the project needs is installed from here; the next machine is bare.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages: espeak-ng speaks replies; PostgreSQL is the throwaway test server.
APT_PACKAGES := espeak-ng postgresql

.PHONY: install system-deps chat test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m intents.tools.warm_cache
	@touch $(STAMP)

install: $(STAMP)

# Installs missing Debian packages when we may (root with apt-get); otherwise says what is missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing Debian packages:$$missing (voice replies / PostgreSQL tests will be skipped)"; fi; \
	fi

chat: install
	$(BIN)/junxiu chat

test: install system-deps
	$(BIN)/python -m pytest -q

# Figures land in bench/results/*.json. The check-in year and the load run take minutes each.
bench: install system-deps
	$(BIN)/python -m bench.intents
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.checkins

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
