# Attention Explorer, the hosted profile, CPU only, no network needed at run time.
#   docker build -t attention-explorer .
#   docker run --rm -p 8501:8501 attention-explorer     # then open http://localhost:8501
# Also the image of a Hugging Face Space (Docker SDK, app_port 8501, uid 1000) and of the
# Kubernetes recipe in deploy/k8s/. tests/deploy/test_container.py lints this file with hadolint,
# installs-checks its requirements and starts the server with its ENV and CMD.
FROM python:3.11-slim-bookworm

# Runs as uid 1000 (what Hugging Face Spaces expects), never as root; USER is numeric so
# Kubernetes can check runAsNonRoot.
RUN useradd --create-home --uid 1000 user

# Dependencies first, so a code change does not reinstall torch. requirements.txt names
# PyTorch's CPU index and pins torch==2.13.0+cpu: no CUDA packages in the image.
WORKDIR /home/user/app
COPY requirements.txt ./
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

# The code (.dockerignore keeps out tests, docs, the virtual environment, secrets).
# Owned by root and read-only to the app; the packaged model came with requirements.
COPY . .

USER 1000
# The hosted profile's caps (attention/settings.py) and the server limits it needs, which
# Streamlit reads only at start-up (.streamlit/config.toml holds the rest: uploads off,
# client messages <= 1 MB). One torch thread: one process per core serves best. No fast
# reruns: one tab's burst of reruns queues instead of stacking script threads. One live
# training at once, whatever cores the node has (settings.HOSTED_LIVE_TRAININGS).
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
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "streamlit_app.py", "--server.address=0.0.0.0", "--server.port=8501"]
