"""Browser harness shared by tests/browser, bench/ and docs/: a Streamlit script on a free
loopback port, Debian's headless Chromium, the end of a script run read from the server's
own messages, and whether the charts have finished drawing.

Tests reach it through the fixtures in tests/browser/conftest.py; scripts import it as
`harness.browser` (the repository root on sys.path). Playwright cannot download its own
browser here, so all drive Debian's Chromium (`make chromium` installs it).
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_S = 120  # a cold start imports torch on a busy machine
SCRIPT_TIMEOUT_MS = 90_000

# An init script (run before the app's own code) that counts the app's script runs
# from the server's messages: Streamlit 1.67 ends a run with ForwardMsg
# session_status_changed (field 9) whose script_is_running (field 2) is false; `done`
# counts those ends. stApp's data-test-script-state alone can miss a run so short that
# React renders only its end. It also stamps the last websocket message and the last
# DOM change, and calls each function in `listeners` on either (benches hook in there).
RUN_COUNTER_JS = """
(() => {
  const s = window.__runs = {done: 0, doneAt: 0, serverRunning: false, lastMessage: 0,
                             lastMutation: 0, listeners: []};
  const notify = () => { for (const f of s.listeners) f(); };
  // A run after the first `n` has ended and the app says so.
  s.ended = (n) => {
    const app = document.querySelector('[data-testid=stApp]');
    return s.done > n && !!app && app.getAttribute('data-test-script-state') === 'notRunning';
  };
  new MutationObserver(() => { s.lastMutation = performance.now(); notify(); })
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
      if (!running && s.serverRunning) { s.done += 1; s.doneAt = performance.now(); }
      s.serverRunning = running;
    });
  };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        s.lastMessage = performance.now(); notify();
        if (e.data instanceof ArrayBuffer) onFrame(e.data);
        else if (e.data instanceof Blob) e.data.arrayBuffer().then(onFrame);
      });
    }
  };
})();
"""
# Done (for tests): a run ended after the first `n`, and React has finished rendering
# what it sent (no DOM change for 250 ms).
RUN_DONE_JS = """
(n) => window.__runs.ended(n) && performance.now() - window.__runs.lastMutation > 250
"""


# One signature per Vega chart: a hash of its canvas pixels (or its SVG's markup), or
# null while it has nothing drawn.
CHART_SIGNATURES_JS = """
() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map((chart) => {
  const canvas = chart.querySelector('canvas');
  if (canvas) {
    if (!canvas.width || !canvas.height) return null;
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261, ink = 0;
    for (let i = 0; i < px.length; i += 1) { h = Math.imul(h ^ px[i], 16777619); }
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) { ink += 1; } }
    return ink ? `${canvas.width}x${canvas.height}:${h >>> 0}` : null;
  }
  const svg = chart.querySelector('svg');
  if (svg && svg.querySelector('.mark-group, path, rect, image')) {
    const s = svg.outerHTML;
    let h = 2166136261;
    for (let i = 0; i < s.length; i += 1) { h = Math.imul(h ^ s.charCodeAt(i), 16777619); }
    return `svg:${h >>> 0}`;
  }
  return null;
})
"""
# Settled: some chart is drawn (or the page has none) and no signature changed since the
# previous poll (Vega decodes image marks, and repaints after a resize, asynchronously).
CHARTS_SETTLED_JS = f"""
() => {{
  const now = JSON.stringify(({CHART_SIGNATURES_JS})());
  const same = window.__runs.lastSignatures === now;
  window.__runs.lastSignatures = now;
  const signatures = JSON.parse(now);
  return same && (signatures.length === 0 || signatures.some((s) => s !== null));
}}
"""
SETTLED_POLL_MS = 300


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(script: str, port: int, log_path: Path, timeout_s: float = SERVER_START_S,
                    env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `streamlit run script` on 127.0.0.1:port (environment: ours, then `env`);
    wait until /_stcore/health says ok."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_healthy(proc, port, log_path, timeout_s)
    return proc


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path,
                 timeout_s: float = SERVER_START_S) -> None:
    """Wait until the server `proc` answers ok on 127.0.0.1:port/_stcore/health; stop it
    and raise (with the end of its log) if it exits or does not answer in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n"
                               f"{Path(log_path).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout_s:.0f} s:\n"
                       f"{Path(log_path).read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Server:
    """`streamlit run script` on `port` (default: a free loopback port), logging to log_dir,
    with `env` added to the environment; stop() ends it."""

    def __init__(self, script: str, log_dir: Path, start_timeout_s: float = SERVER_START_S,
                 port: int | None = None, env: dict[str, str] | None = None):
        self.port = port or free_port()
        self.log = Path(log_dir) / (Path(script).stem + ".log")
        self.proc = start_streamlit(script, self.port, self.log, start_timeout_s, env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.proc)


@contextmanager
def serve(script: str = "streamlit_app.py", port: int | None = None,
          env: dict[str, str] | None = None) -> Iterator[str]:
    """`with serve() as url`: the script on a free port (or `port`; its log in a temporary
    folder) for the block; url has no trailing slash. Environment changes made before it,
    and `env`, apply."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(script, Path(tmp), port=port, env=env)
        try:
            yield server.url
        finally:
            server.stop()


def missing_chromium() -> str | None:
    """Why Chromium cannot be launched, or None when it can."""
    if Path(CHROMIUM).exists():
        return None
    return f"Chromium not found at {CHROMIUM}: run `make chromium` (or set CHROMIUM)"


def launch_chromium(playwright):
    """Debian's headless Chromium from a started sync_playwright()."""
    why = missing_chromium()
    if why:
        raise FileNotFoundError(why)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_context(browser, viewport: dict | None = None):
    """A fresh browser context (no shared session or cache) whose pages count script runs
    (RUN_COUNTER_JS, for wait_for_run) and wait up to SCRIPT_TIMEOUT_MS by default."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    context.add_init_script(RUN_COUNTER_JS)
    context.set_default_timeout(SCRIPT_TIMEOUT_MS)
    return context


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


def chart_signatures(page) -> list[str | None]:
    """One signature per chart on the page (CHART_SIGNATURES_JS)."""
    return page.evaluate(CHART_SIGNATURES_JS)


def wait_for_a_drawn_chart(page) -> None:
    """Wait until some chart on the page has something drawn."""
    page.wait_for_function(f"() => ({CHART_SIGNATURES_JS})().some(s => s !== null)",
                           timeout=SCRIPT_TIMEOUT_MS)


def wait_for_charts_settled(page) -> list[str | None]:
    """Wait until some chart is drawn (or there is none) and none changed over one poll;
    return the signatures."""
    page.evaluate("window.__runs.lastSignatures = null")
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=SCRIPT_TIMEOUT_MS, polling=SETTLED_POLL_MS)
    return chart_signatures(page)


def in_own_thread(fn: Callable, *args):
    """fn(*args) in a fresh thread: asyncio.run refuses to start in a thread whose event loop
    is already running, and Playwright's sync API leaves one running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()
