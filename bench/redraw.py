"""Redraw timing in Chromium: from a key press (or navigation start) to the last painted frame.

`Bench(browser, quiet_ms, timeout_s)` opens probed pages and times changes; bench/browser.py
and bench/pretrained_page.py use it. All times are taken inside the page, on its
performance.now() clock:

- Init scripts record, before any app code runs: harness/browser.py's run counter (the
  browser tests' own: every websocket message, every DOM mutation, and the end of each
  script run read from the server's ForwardMsg frames), and every 2D-canvas draw call
  (drawImage, fill, fillRect, fillText, stroke, putImageData, clearRect: Vega draws its
  charts on canvases). Each such event also requests an animation frame, whose callback
  records the time of the frame that paints it.
- A change: the script types a new value into a field and presses Enter (or Ctrl+Enter),
  or presses an arrow key on a focused slider; a capturing keydown listener stamps t0 at
  that key.
- Done when the server's end-of-run message for a run after t0 has arrived
  (session_status_changed with script_is_running false after true), stApp shows
  notRunning, no element shows Streamlit's loading skeleton and every chart has its
  canvas (a newcomer's page can sit quiet while the chart code loads, before any chart
  is drawn), and nothing (websocket message, canvas draw, DOM mutation) has happened for
  quiet_ms. The redraw time is then (the first animation frame after the last of those
  events) - t0: the server's last message, React's update, Vega's parse and draw (image
  marks decode their PNGs asynchronously; their draws count) all lie inside it.
- Also measured: the time until that end-of-run message arrives ("finished": the server's
  run and the page's handling of the messages before it), the page's main-thread long
  tasks over 50 ms in the meantime ("busy": Vega and React work, from the Long Tasks API),
  and the first chart draw after the change ("first draw": when a learner first sees the
  change on a chart; for a chart moved in the browser, long before the run that follows).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from harness.browser import new_context

# Added after harness.browser.RUN_COUNTER_JS (which counts run ends and stamps the last
# websocket message and DOM change): canvas draws, the frame that paints each event,
# long tasks, and t0 at the Enter key of a change.
PROBE_JS = """
(() => {
  const B = window.__bench = {t0: 0, lastDraw: 0, firstDraw: 0, lastFrame: 0, raf: false,
                              longTasks: []};
  // Main-thread tasks over 50 ms (script, style, layout, paint work of the page).
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longTasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) { /* no Long Tasks API: busy stays 0 */ }
  const frame = () => {
    if (B.raf) return;
    B.raf = true;
    requestAnimationFrame(() => { B.raf = false; B.lastFrame = performance.now(); });
  };
  window.__runs.listeners.push(frame);
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['drawImage', 'fill', 'fillRect', 'fillText', 'stroke', 'putImageData',
                      'clearRect']) {
    const native = proto[name];
    proto[name] = function (...args) {
      B.lastDraw = performance.now(); frame();
      if (B.t0 && !B.firstDraw) B.firstDraw = B.lastDraw;
      return native.apply(this, args);
    };
  }
  document.addEventListener('keydown', (e) => {
    if (B.armed) { B.t0 = performance.now(); B.firstDraw = 0; B.armed = false; }
  }, true);
})();
"""

# Done: the server's end-of-run message for a run after the change has arrived,
# the app shows notRunning, nothing has happened for `quiet` ms, and a frame has been
# painted since the last event.
DONE_JS = """
([n, quiet]) => {
  const R = window.__runs, B = window.__bench;
  const last = Math.max(R.lastMessage, R.lastMutation, B.lastDraw);
  // No element waits for its code (Streamlit shows a skeleton meanwhile) and every chart
  // has its canvas: a first load can sit quiet for longer than `quiet` while the chart
  // code loads, before any chart is drawn.
  const drawn = !document.querySelector('[data-testid=stSkeleton]')
    && [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
      .every((c) => c.querySelector('canvas, svg'));
  return B.t0 !== null && R.ended(n) && drawn && performance.now() - last >= quiet
    && B.lastFrame >= last;
}
"""
RESULT_JS = ("() => { const B = window.__bench; const busy = B.longTasks"
             ".filter(([s]) => s >= B.t0 && s <= B.lastFrame).reduce((a, [, d]) => a + d, 0);"
             " return {t0: B.t0, frame: B.lastFrame, done: window.__runs.doneAt, busy,"
             " first: B.firstDraw ? B.firstDraw - B.t0 : null}; }")


@dataclass(frozen=True)
class Timing:
    total: float  # ms from the change (or navigation start) to the last painted frame
    finished: float  # ms from the change to the arrival of the server's end-of-run message
    busy: float  # ms of main-thread long tasks (> 50 ms each) in the page meanwhile
    first_draw: float | None = None  # ms from the change to the first chart draw after it


class Bench:
    """Probed pages of `browser`; each step may take up to timeout_s, and a redraw ends
    after quiet_ms without events."""

    def __init__(self, browser, quiet_ms: int, timeout_s: float):
        self.browser = browser
        self.quiet_ms = quiet_ms
        self.timeout_ms = int(timeout_s * 1000)
        self.next_seed = 1000

    def context(self):
        """A fresh browser context (empty cache, new session) whose pages are probed."""
        ctx = new_context(self.browser)
        ctx.add_init_script(PROBE_JS)
        return ctx

    def settle(self, page, finished_before: int) -> Timing | None:
        """Wait for the end point of a run after the first `finished_before`; None if it
        does not come within the timeout."""
        try:
            page.wait_for_function(DONE_JS, arg=[finished_before, self.quiet_ms],
                                   timeout=self.timeout_ms, polling=25)
        except Exception as e:  # playwright's TimeoutError
            print(f"    timed out: {type(e).__name__}", file=sys.stderr)
            return None
        r = page.evaluate(RESULT_JS)
        return Timing(total=r["frame"] - r["t0"], finished=r["done"] - r["t0"], busy=r["busy"],
                      first_draw=r["first"])

    def open(self, page, url: str) -> Timing | None:
        """Navigate page to url; the time from navigation start to the end point."""
        page.goto(url, wait_until="commit", timeout=self.timeout_ms)
        return self.settle(page, 0)

    def change(self, page, field, value: str, key: str = "Enter") -> Timing | None:
        """Type value into the locator `field`, press key (Enter or Control+Enter) and
        time the redraw from that key."""
        field.fill(value, timeout=self.timeout_ms)
        n = page.evaluate("() => { const B = window.__bench; B.armed = true; B.t0 = null;"
                          " return window.__runs.done; }")
        field.press(key, timeout=self.timeout_ms)
        return self.settle(page, n)

    def nudge(self, page, slider, key: str) -> Timing | None:
        """Press key (ArrowRight or ArrowLeft) on the focused locator `slider` and time the
        redraw from that key."""
        slider.focus(timeout=self.timeout_ms)
        n = page.evaluate("() => { const B = window.__bench; B.armed = true; B.t0 = null;"
                          " return window.__runs.done; }")
        slider.press(key, timeout=self.timeout_ms)
        return self.settle(page, n)

    def first_load(self, url: str) -> Timing | None:
        """A newcomer opens url: fresh context (empty cache, new session)."""
        ctx = self.context()
        try:
            return self.open(ctx.new_page(), url)
        finally:
            ctx.close()

    def reruns(self, url: str, warmup: int, repeats: int, control: str = "Seed",
               widget: str = "number", first: str = "ArrowRight") -> list[Timing | None]:
        """Open url, then move `control` (a label) warmup + repeats times; the measured
        timings. A number input gets a new value each time (Seed: never one seen before, so
        nothing comes from a cache; another: its value plus one, then back); a slider one
        arrow-key step (`first`: ArrowLeft for one that starts at its top), then back; a
        text area ("text") its first text and a number never used before, then Ctrl+Enter."""
        ctx = self.context()
        times: list[Timing | None] = []
        try:
            page = ctx.new_page()
            if self.open(page, url) is None:
                return [None] * repeats
            if widget == "slider":
                field = page.get_by_role("slider", name=control).first
            else:
                field = page.get_by_label(control, exact=True).first
            start = None if widget == "slider" or control == "Seed" else field.input_value()
            text = field.input_value() if widget == "text" else None
            for i in range(warmup + repeats):
                if widget == "slider":
                    back = "ArrowLeft" if first == "ArrowRight" else "ArrowRight"
                    t = self.nudge(page, field, first if i % 2 == 0 else back)
                elif text is not None:  # a new text: nothing comes from a cache
                    self.next_seed += 1
                    t = self.change(page, field, f"{text} {self.next_seed}", "Control+Enter")
                elif start is not None:
                    t = self.change(page, field, str(int(float(start)) + (i + 1) % 2))
                else:
                    self.next_seed += 1
                    t = self.change(page, field, str(self.next_seed))
                if i >= warmup:
                    times.append(t)
                if t is None:  # the page is stuck; do not stack more changes on it
                    break
            return times + [None] * (repeats - len(times))
        finally:
            ctx.close()
