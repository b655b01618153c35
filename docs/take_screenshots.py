"""Screenshots of every page in headless Chromium (README images and layout checks).

    .venv/bin/python docs/take_screenshots.py --out /tmp/shots [--port 8619] [--readme]

Starts the app (on --port, default a free one) with harness/browser.py, opens each page at
1280x720 (what fits above the fold on a projector) and at 1400 wide (the whole page), and
writes PNGs to --out; with --readme, also the 1400-wide images (cut to a README-friendly
height) into docs/screenshots/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.browser import (  # noqa: E402
    ROOT,
    launch_chromium,
    new_context,
    serve,
    wait_for_charts_settled,
    wait_for_run,
)

TALL = 7000  # px: every page fits
PAGES = {  # name -> (path and query, README height)
    "overview": ("/", 1500),
    "single_head": ("/single_head", 1900),
    "multi_head": ("/multi_head?preset=designed", 1900),
    "causal": ("/causal?step=4", 1300),
    "entropy": ("/entropy?causal=true&preset=designed", 1400),
    "pretrained": ("/pretrained?text=The+animal+didn%27t+cross+the+street+because+it+was+too+tired",
                   2000),
    "lab": ("/lab", 1900),
    "gpt": ("/gpt", 1500),
    "vision": ("/vision", 1700),
    "classroom": ("/classroom", 0),
    "causal_pad": ("/causal?pad=2&step=8", 0),  # 0: a layout check, not a README image
    "multi_head_nopos": ("/multi_head?preset=designed&pos=false&causal=true", 0),
}


def wait_ready(page) -> None:
    """The run has ended and its charts have finished drawing (after the run ends)."""
    wait_for_run(page)
    wait_for_charts_settled(page)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=None, help="default: a free port")
    ap.add_argument("--out", default="/tmp/shots")
    ap.add_argument("--readme", action="store_true")
    ap.add_argument("--only", nargs="*", default=list(PAGES))
    ap.add_argument("--workshop", action="store_true", help="open every page in workshop mode")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with serve("streamlit_app.py", port=a.port) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        for name in a.only:
            path, height = PAGES[name]
            # Streamlit scrolls an inner container, so a "full page" is a tall viewport.
            for w, h in ((1280, 720), (1400, TALL)):
                ctx = new_context(browser, {"width": w, "height": h})
                page = ctx.new_page()
                sep = "&" if "?" in path else "?"
                page.goto(url + path + (f"{sep}workshop=true" if a.workshop else ""))
                wait_ready(page)
                page.screenshot(path=str(out / f"{name}_{w}.png"))
                if w == 1400 and a.readme and height:
                    page.set_viewport_size({"width": w, "height": height})
                    wait_for_charts_settled(page)
                    page.screenshot(path=str(ROOT / "docs" / "screenshots" / f"{name}.png"))
                ctx.close()
            print(name, "ok", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
