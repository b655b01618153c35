"""Do live trainings on /lab starve other sessions? Rerun latency of another page, alone and
while browser sessions train.

Run: `.venv/bin/python bench/lab_load.py` (options: --page, --sessions, --duration,
--trainers, --steps).

It starts the dashboard on a free loopback port, then measures the page (default
/single_head) twice with bench/load.py's simulated sessions (a Seed change every ~3 s
each, timed to the end of the rerun): first on an idle server (the baseline), then while
`--trainers` headless Chromium sessions each press Train on /lab with a long run. It prints
both p50/p95, their ratio, and how many steps the trainings made meanwhile (read from
their progress bars). The machine's load average is printed too: on a shared machine,
read the figures next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.server_procs import load_average  # noqa: E402
from harness.browser import ROOT, Server, launch_chromium, new_context  # noqa: E402

MAIN = "[data-testid=stMainBlockContainer]"
PROGRESS = "[data-testid=stProgress]"


def measure(url: str, sessions: int, duration: float, port: int, out: Path) -> dict:
    """bench/load.py against `url`; its JSON result."""
    cmd = [sys.executable, str(ROOT / "bench" / "load.py"), url, "-n", str(sessions),
           "-d", str(duration), "--server-port", str(port), "--json", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=duration * 4 + 120)
    return json.loads(out.read_text())


def progress_step(page) -> int | None:
    texts = page.locator(PROGRESS).all_inner_texts()
    m = re.search(r"step (\d+) of", texts[0]) if texts else None
    return int(m.group(1)) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", default="/single_head", help="the page other learners use")
    ap.add_argument("--sessions", type=int, default=4, help="simulated learners on --page")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of changes per test")
    ap.add_argument("--trainers", type=int, default=2, help="browser sessions training on /lab")
    ap.add_argument("--steps", type=int, default=20000, help="steps each training asks for")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = Server("streamlit_app.py", Path(tmp))
        try:
            url = server.url + args.page
            print(f"{os.cpu_count()} CPUs; load average before: {load_average()}", flush=True)
            base = measure(url, args.sessions, args.duration, server.port, Path(tmp) / "base.json")
            print(f"alone:               p50 {base['p50_s'] * 1000:.0f} ms, p95 "
                  f"{base['p95_s'] * 1000:.0f} ms, {base['reruns']} reruns, {base['errors']} errors; "
                  f"load average {load_average()}", flush=True)
            with sync_playwright() as p:
                browser = launch_chromium(p)
                pages = []
                for _ in range(args.trainers):
                    page = new_context(browser).new_page()
                    page.goto(f"{server.url}/lab?steps={args.steps}")
                    page.locator(MAIN).get_by_role("button", name="Train", exact=True).click()
                    pages.append(page)
                for page in pages:
                    page.wait_for_function(
                        f"() => /step \\d+ of/.test((document.querySelector('{PROGRESS}') || {{}}).innerText || '')")
                before = [progress_step(pg) or 0 for pg in pages]
                t0 = time.monotonic()
                busy = measure(url, args.sessions, args.duration, server.port, Path(tmp) / "busy.json")
                secs = time.monotonic() - t0
                after = [progress_step(pg) for pg in pages]
                browser.close()
            rates = ", ".join("-" if a is None else f"{(a - b) / secs:.1f}" for a, b in zip(after, before, strict=True))
            print(f"{args.trainers} training:          p50 {busy['p50_s'] * 1000:.0f} ms, p95 "
                  f"{busy['p95_s'] * 1000:.0f} ms, {busy['reruns']} reruns, {busy['errors']} errors; "
                  f"load average {load_average()}")
            print(f"trainings meanwhile: {rates} steps/s each")
            print(f"p95 ratio (training / alone): {busy['p95_s'] / base['p95_s']:.2f}; "
                  f"p50 ratio {busy['p50_s'] / base['p50_s']:.2f}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
