"""A simulated student: a Client that loads the page, then changes a control now and then.

Every ``--interval`` seconds (uniformly jittered 0.5x..1.5x; never while its own rerun is
in flight) it changes a control and times the rerun until ``script_finished``.

Changing a control. The student changes the widget whose label or query-param key equals
``--control`` (default ``Seed``): a number input or slider gets its next value (step up,
wrapping at max), sent with the states of the other widgets it knows, as the browser sends
them; a text field gets a new sentence (two words drawn and appended). A widget bound with
``bind="query-params"`` also gets its new value written into the query string, as the
browser rewrites its URL. If no such widget exists the student sets the query parameter
``--param`` (default ``seed``) to a new value instead and says so.

After an error the student reloads the page (new websocket, same cookies) up to
``--reloads`` times, as a person would.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from websockets.exceptions import ConnectionClosed

from harness.protocol import Client, Results, RunError

NUMERIC_WIDGETS = ("number_input", "slider")
# Words a simulated student appends to a sentence (so most changes are new sentences).
_WORDS = ("red", "blue", "quickly", "river", "because", "seven", "under", "music", "slowly",
          "garden", "never", "bright", "stone", "window", "dream", "after", "yellow", "paper")


class Student(Client):
    """Student `idx` (its random choices are seeded from --seed and idx)."""

    def __init__(self, idx: int, opts: argparse.Namespace, results: Results):
        super().__init__(opts, results)
        self.idx = idx
        self.rng = random.Random(opts.seed * 1000 + idx)

    def change_control(self) -> str:
        """Change the control named --control, or the query param --param; say which."""
        want = self.opts.control.lower()
        for wid, (etype, proto) in self.widgets.items():
            if want not in (proto.label.lower(), getattr(proto, "query_param_key", "").lower()):
                continue
            if etype in ("text_input", "text_area"):  # a new sentence: two words drawn
                words = str(proto.default).split()[:8] + self.rng.sample(_WORDS, 2)
                self.values[wid] = " ".join(words)
                return f"{etype} '{proto.label}'"
            if etype not in NUMERIC_WIDGETS:
                continue
            value = self.values.get(wid)
            current = value[0] if etype == "slider" and value else value
            if current is None:
                current = proto.min
            step = proto.step or 1
            new = current + step
            if proto.max and new > proto.max:
                new = proto.min
            self.values[wid] = [new] if etype == "slider" else new
            if proto.query_param_key:
                text = str(int(new)) if float(new).is_integer() else repr(new)
                params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)
                          if k != proto.query_param_key]
                self.query = urlencode(params + [(proto.query_param_key, text)])
            return f"{etype} '{proto.label}'"
        params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)
                  if k != self.opts.param]
        value = self.rng.randrange(1_000_000)
        self.query = urlencode(params + [(self.opts.param, str(value))])
        return f"query param '{self.opts.param}' (no widget '{self.opts.control}' found)"

    def _reload(self) -> None:
        """Forget the page as a browser reload does; keep the cookies (and stickiness)."""
        self.query = urlsplit(self.opts.url).query
        self.page_hash, self.cache, self.run_count = "", {}, 0
        self.widgets, self.values, self.media_urls = {}, {}, []

    async def _visit(self, stop_at: float, record: bool) -> None:
        """Open, load, then change a control every ~interval until stop_at."""
        res = self.results
        await self.open()
        elapsed = await self.run_script()
        if record:
            res.loads.append(elapsed)
        await self.fetch_media()
        next_at = time.monotonic() + self.opts.interval * self.rng.uniform(0.5, 1.5)
        changes = 0
        while changes < self.opts.max_reruns:
            await asyncio.sleep(max(0.0, min(next_at, stop_at) - time.monotonic()))
            if time.monotonic() >= stop_at:
                break
            started = time.monotonic()
            res.notes.add(f"changed: {self.change_control()}")
            elapsed = await self.run_script()
            changes += 1
            if record:
                res.reruns.append(elapsed)
            await self.fetch_media()
            next_at = started + self.opts.interval * self.rng.uniform(0.5, 1.5)
            if not record:
                break

    async def run(self, start_at: float, stop_at: float, record: bool = True) -> None:
        """Visit the page; after an error reload it (at most --reloads times) until stop_at."""
        res = self.results
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        for attempt in range(self.opts.reloads + 1):
            if attempt:
                await asyncio.sleep(1.0)  # a person notices, then reloads
                if time.monotonic() >= stop_at:
                    break
                self._reload()
                res.reloads += 1
            try:
                await self._visit(stop_at, record)
                return
            except RunError as exc:
                res.error(exc.kind, exc.detail)
            except (TimeoutError, OSError, ConnectionClosed) as exc:
                res.error("connect", f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001 - counted and shown, never hidden
                res.error("other", f"{type(exc).__name__}: {exc}")
            finally:
                await self.close()
                self.ws = None
