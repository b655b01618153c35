"""Time the pretrained page in a real browser: a sentence change -> the redrawn page.

    .venv/bin/python bench/pretrained_page.py [--url http://127.0.0.1:8501] [--repeats 3]

Without --url it starts the dashboard on a free loopback port (a fresh server, so the
first visit includes loading the model). For each length (16, 64, 128 tokens, [CLS] and
[SEP] included) it types a new sentence of exactly that many tokens into the sidebar and
presses Ctrl+Enter; the time runs from that key to the first painted frame after the
server's end-of-run message, with the app idle and nothing (websocket message, DOM
change, canvas draw) happening for --quiet-ms: bench/redraw.py's probe and end point.
New sentences miss the cache (model run + charts); "cached" re-enters a sentence already
seen (charts only). Medians are printed, with the time of a first visit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.redraw import Bench  # noqa: E402
from harness.browser import launch_chromium, missing_chromium, serve  # noqa: E402


def sentence(tokenizer, n: int, salt: int) -> str:
    """Text of exactly n tokens with [CLS] and [SEP]; `salt` makes it new."""
    words = (f"run {salt} : the committee said that the old bridge over the river would close "
             "for repairs next spring , and drivers should plan other routes while it is shut . "
             * 20).split()
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n - 2]
    return tokenizer.decode(ids)


def measure(bench: Bench, url: str, tok, lengths: list[int], repeats: int) -> None:
    ctx = bench.context()
    try:
        page = ctx.new_page()
        first = bench.open(page, f"{url}/pretrained")
        print(f"first visit: {'n/a' if first is None else f'{first.total / 1000:.2f} s'}")
        area = page.locator("[data-testid=stSidebar] textarea").first

        def change(text: str) -> float:
            t = bench.change(page, area, text, "Control+Enter")
            if t is None:
                raise SystemExit("the page did not settle; see the server log")
            return t.total

        salt = int(time.time())
        print(f"{'tokens':>6} {'new sentence ms':>16} {'cached ms':>10}")
        for n in lengths:
            new, cached = [], []
            for _ in range(repeats + 1):  # the first change is a warm-up
                salt += 1
                text = sentence(tok, n, salt)
                assert len(tok(text)["input_ids"]) == n
                new.append(change(text))
                change(sentence(tok, n, 0))
                cached.append(change(text))
            print(f"{n:>6} {statistics.median(new[1:]):>16.0f} "
                  f"{statistics.median(cached[1:]):>10.0f}", flush=True)
    finally:
        ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a running dashboard (default: start one)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lengths", default="16,64,128")
    parser.add_argument("--quiet-ms", type=int, default=400,
                        help="idle time that marks the end of a redraw (not part of the figure)")
    args = parser.parse_args()
    try:
        lengths = [int(x) for x in args.lengths.split(",")][:8]
    except ValueError:
        parser.error("--lengths takes comma-separated whole numbers, e.g. 16,64,128")
    if not all(3 <= n <= 512 for n in lengths):
        parser.error("each of --lengths is a token count from 3 to 512 ([CLS] and [SEP] included)")
    repeats = max(1, min(args.repeats, 50))
    quiet_ms = max(50, min(args.quiet_ms, 5000))
    if missing_chromium():
        print(missing_chromium(), file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from attention.pretrained.encoder import load_model

    tok = load_model().tokenizer
    with nullcontext(args.url) if args.url else serve("streamlit_app.py") as url:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            measure(Bench(browser, quiet_ms, timeout_s=180), url, tok, lengths, repeats)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
