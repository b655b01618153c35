"""Time the pretrained page in a real browser: a sentence change -> the redrawn page.

    .venv/bin/python bench/pretrained_page.py [--url http://127.0.0.1:8720] [--repeats 3]

Needs a running server (`streamlit run streamlit_app.py ...`). For each length (16, 64,
128 tokens, [CLS] and [SEP] included) it types a new sentence of exactly that many
tokens into the sidebar and presses Ctrl+Enter; the time runs from that key to the
first painted frame after the app is idle and nothing (websocket message, DOM change,
canvas draw) has happened for 400 ms. New sentences miss the cache (model run + charts);
"cached" re-enters a sentence already seen (charts only). Medians are printed, with the
time of a first visit (model load on a fresh server included, if it is fresh).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROBE = """
(() => {
  const B = window.__b = {t0: null, last: 0, frame: 0, runs: 0, state: null, armed: false};
  const tick = () => { B.last = performance.now();
                       requestAnimationFrame(() => { B.frame = performance.now(); }); };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...a) { super(...a); this.addEventListener('message', tick); } };
  const proto = CanvasRenderingContext2D.prototype;
  for (const n of ['drawImage', 'fill', 'fillRect', 'fillText', 'putImageData']) {
    const f = proto[n]; proto[n] = function (...a) { tick(); return f.apply(this, a); }; }
  new MutationObserver(() => {
    tick();
    const el = document.querySelector('[data-test-script-state]');
    const v = el && el.getAttribute('data-test-script-state');
    if (v === 'notRunning' && B.state === 'running') B.runs += 1;
    B.state = v;
  }).observe(document, {subtree: true, childList: true, attributes: true});
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && B.armed) { B.t0 = performance.now(); B.armed = false; } }, true);
})();
"""
DONE = """(runs) => { const B = window.__b; return B.runs > runs && B.state === 'notRunning'
  && performance.now() - B.last > 400 && B.frame >= B.last; }"""


def sentence(tokenizer, n: int, salt: int) -> str:
    """Text of exactly n tokens with [CLS] and [SEP]; `salt` makes it new."""
    words = (f"run {salt} : the committee said that the old bridge over the river would close "
             "for repairs next spring , and drivers should plan other routes while it is shut . "
             * 20).split()
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n - 2]
    return tokenizer.decode(ids)


def change(page, text: str) -> float:
    area = page.locator("[data-testid=stSidebar] textarea").first
    area.fill(text)
    runs = page.evaluate("() => { window.__b.armed = true; return window.__b.runs; }")
    area.press("Control+Enter")
    page.wait_for_function(DONE, arg=runs, timeout=120_000, polling=50)
    return page.evaluate("() => window.__b.frame - window.__b.t0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8720")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lengths", default="16,64,128")
    args = parser.parse_args()
    from attention.pretrained import load_model

    tok = load_model().tokenizer
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(PROBE)
        t0 = time.perf_counter()
        page.goto(f"{args.url}/pretrained")
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                               timeout=180_000)
        page.wait_for_function("() => performance.now() - window.__b.last > 400", timeout=60_000)
        print(f"first visit: {time.perf_counter() - t0:.2f} s")
        salt = int(time.time())
        print(f"{'tokens':>6} {'new sentence ms':>16} {'cached ms':>10}")
        for n in (int(x) for x in args.lengths.split(",")):
            new, cached = [], []
            for _ in range(args.repeats + 1):  # the first change is a warm-up
                salt += 1
                text = sentence(tok, n, salt)
                assert len(tok(text)["input_ids"]) == n
                new.append(change(page, text))
                change(page, sentence(tok, n, 0))
                cached.append(change(page, text))
            print(f"{n:>6} {statistics.median(new[1:]):>16.0f} "
                  f"{statistics.median(cached[1:]):>10.0f}")
        browser.close()


if __name__ == "__main__":
    main()
