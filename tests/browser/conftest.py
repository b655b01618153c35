"""Browser fixtures: the dashboard on a free loopback port, headless Chromium, helpers.

Playwright cannot download its own browser here, so the tests drive Debian's Chromium
(`make chromium` installs it). A missing Chromium is an error, not a skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 90  # a cold start imports torch
SCRIPT_TIMEOUT_MS = 90_000

# Counts the app's script runs from the server's messages: Streamlit 1.67 ends a run
# with ForwardMsg.session_status_changed (field 9) whose script_is_running (field 2) is
# false; `done` counts those ends. (stApp's data-test-script-state alone can miss a
# run so short that React renders only its end.)
RUN_COUNTER_JS = """
(() => {
  const s = window.__runs = {done: 0, serverRunning: false, lastMutation: 0};
  new MutationObserver(() => { s.lastMutation = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const fields = (b, start, end, visit) => {
    let i = start;
    const varint = () => {
      let x = 0, k = 1, c;
      do { c = b[i++]; x += (c & 0x7f) * k; k *= 128; } while ((c & 0x80) && i < end);
      return x;
    };
    while (i < end) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) visit(field, varint(), -1, -1);
      else if (wire === 2) { const len = varint(); visit(field, null, i, i + len); i += len; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return;
    }
  };
  const onFrame = (buf) => {
    const b = new Uint8Array(buf);
    fields(b, 0, b.length, (field, value, start, end) => {
      if (field !== 9 || start < 0) return;
      let running = false;
      fields(b, start, end, (f, v) => { if (f === 2 && v) running = true; });
      if (!running && s.serverRunning) s.done += 1;
      s.serverRunning = running;
    });
  };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (e.data instanceof ArrayBuffer) onFrame(e.data);
        else if (e.data instanceof Blob) e.data.arrayBuffer().then(onFrame);
      });
    }
  };
})();
"""
# Done: a run ended after `done` runs, the app shows notRunning, and React has
# finished rendering what the run sent (no DOM change for 250 ms).
RUN_DONE_JS = """
(done) => {
  const s = window.__runs, app = document.querySelector('[data-testid=stApp]');
  return s.done > done && app && app.getAttribute('data-test-script-state') === 'notRunning'
    && performance.now() - s.lastMutation > 250;
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(script: str, port: int, log_path: Path) -> subprocess.Popen:
    """Start `streamlit run script` on 127.0.0.1:port; wait until /_stcore/health says ok."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited ({proc.returncode}):\n"
                               f"{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"streamlit did not answer on port {port}:\n{log_path.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def dashboard_url() -> Iterator[str]:
    """Base URL (no trailing slash) of the dashboard, started once per test session."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "streamlit.log"
        proc = start_streamlit("streamlit_app.py", port, log_path)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium` (or set CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page (own context: no shared session or cache) that counts script runs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(RUN_COUNTER_JS)
    pg = context.new_page()
    pg.set_default_timeout(SCRIPT_TIMEOUT_MS)
    try:
        yield pg
    finally:
        context.close()


def run_mark(page) -> int:
    """How many runs have ended so far; pass it to wait_for_run after a change."""
    return page.evaluate("window.__runs.done")


def wait_for_run(page, mark: int | None = None) -> None:
    """Wait for the script to finish: on a fresh page, its first run; after a change,
    a run that ended after `mark` (from run_mark, taken before the change)."""
    page.wait_for_function(RUN_DONE_JS, arg=0 if mark is None else mark,
                           timeout=SCRIPT_TIMEOUT_MS, polling=50)
    # Elements of the previous run fade out ("stale") until the new run replaces them.
    page.wait_for_function("() => !document.querySelector('[data-stale=true]')",
                           timeout=SCRIPT_TIMEOUT_MS)


@pytest.fixture
def open_app(page, dashboard_url) -> Callable[[str], object]:
    """open_app("/multi_head?heads=2") -> page: open a dashboard link, wait for the script."""
    def _open(path: str):
        page.goto(dashboard_url + path, wait_until="domcontentloaded")
        wait_for_run(page)
        return page
    return _open
