# Two commands: `make run` starts the dashboard, `make test` runs every test.
# Both create .venv and install the pinned requirements first (once, and again when
# a requirements file changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One retry: an index that cannot be reached (the CPU-torch index on a machine that takes torch
# from a local wheel) is skipped in seconds rather than after five backed-off retries a package.
PIP_INSTALL := $(BIN)/pip install --quiet --retries 1
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint bench chromium clean workshop load lab-runs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# PROFILE=local (default: generous caps) or PROFILE=hosted (tight caps, no error details,
# minimal menu, no model by path or hub name); see attention/settings.py and README "Hosting a
# demo". The app sets the hosted client options itself; the flags only repeat them.
PROFILE ?= $(or $(ATTENTION_PROFILE),local)
# Server options are read at start-up only; maxMessageSize is SERVER_MESSAGE_MB["hosted"]
# in attention/settings.py (tests/deploy/test_recipes.py keeps them equal).
# runner.fastReruns false: a new rerun waits for the interrupted one to stop rather than
# starting another script thread beside it (one tab sending reruns fast no longer stacks
# threads that all finish their torch work).
HOSTED_FLAGS := --client.showErrorDetails none --client.toolbarMode minimal --server.headless true --server.maxMessageSize 2 --runner.fastReruns false
run: $(VENV)/.runtime
	ATTENTION_PROFILE=$(PROFILE) HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
	  $(BIN)/streamlit run streamlit_app.py $(if $(filter hosted,$(PROFILE)),$(HOSTED_FLAGS))

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi; }

# Lint first (ruff, configured in pyproject.toml); the 15 slowest tests close every run.
test: lint chromium
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest --durations=15

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev chromium
	$(BIN)/python bench/core.py

# The learning lab's shipped runs (attention/lab/runs/), trained again on the CPU.
lab-runs: $(VENV)/.runtime
	$(BIN)/python -m attention.lab.runs

# Workshop: one Streamlit process per core behind HAProxy, sticky sessions (deploy/README.md).
workshop: $(VENV)/.runtime
	ATTENTION_PROFILE=$(PROFILE) deploy/workshop.sh $(ARGS)

# Load test against a running server (make run / make workshop): 1, 10, 30 simulated students.
LOAD_URL ?= http://127.0.0.1:8501/multi_head?tokens=64&heads=8
load: $(VENV)/.dev
	$(BIN)/python bench/load.py "$(LOAD_URL)" -n 1,10,30 -d 60

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
