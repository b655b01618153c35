"""Server memory while many tabs prepare downloads, and after they close.

Opens ``--tabs`` sessions at once on ``--page`` (default /pretrained), each with its own
sentence (so no two files are the same), and in each: picks the largest tensor in the
download panel (or a chart with ``--what chart``), the format ``--format`` where offered
(else the other one), presses Prepare, waits for the Save button and, unless
``--no-save``, asks for the file as the browser does (a deferred download over the
websocket, then GET) and reads it. The tabs stay open ``--hold`` seconds, then close; after
``--settle`` seconds (longer than Streamlit's ``server.disconnectedSessionTTL``, 120 s, after
which a closed tab's session is freed, and than a served file's grace,
`attention/dashboard/served_files.py`)
one fresh session runs ``--janitor-runs`` times (Streamlit drops files no session holds only
at the end of a script run), and the memory is read again.

Memory is the server's resident set (VmRSS) plus its child processes' proportional set
(PSS: the export pool's workers share pages with their fork server), sampled every 0.25 s
for the peak. Tab i comes from visitor
198.51.100.(i mod --visitors) in X-Forwarded-For, which the server reads only when started
with ATTENTION_TRUSTED_PROXIES=127.0.0.1 (as behind deploy/workshop.sh's HAProxy); without
it every tab is the same (loopback) visitor.

    ATTENTION_PROFILE=hosted ATTENTION_TRUSTED_PROXIES=127.0.0.1 streamlit run streamlit_app.py --server.port 8415 \\
        --runner.fastReruns false --server.maxMessageSize 2 &
    python bench/downloads_memory.py http://127.0.0.1:8415 --tabs 28

Use a fresh server: the figure "before" is after one warm-up session on the page (and on
each ``--warm`` page: ``--warm /gpt --warm /vision`` loads every model first).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.export_load import _download  # noqa: E402
from bench.memory import WORDS  # noqa: E402
from bench.server_procs import find_server_pids, load_average, rss_mib  # noqa: E402
from harness.protocol import Client, Results, RunError, http_request, options  # noqa: E402

MAX_TABS = 200


def pss_mib(pid: int) -> float:
    """Proportional set size (shared pages split among their users), MiB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def family_rss_mib(pid: int) -> float:
    """RSS of `pid` plus the PSS of its descendants (forked workers share pages with
    their fork server: RSS would count those twice), MiB."""
    total, todo = rss_mib(pid), [pid]
    while todo:
        p = todo.pop()
        total += pss_mib(p) if p != pid else 0.0
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return total


class Tab(Client):
    """A protocol client that also sets select boxes and radios (the download panel's)."""

    def __init__(self, opts, results):
        super().__init__(opts, results)
        self.pickers: dict[str, object] = {}  # widget id -> selectbox/radio proto
        self.choices: dict[str, str] = {}  # widget id -> option label sent back

    def _on_delta(self, fm, seen) -> None:
        super()._on_delta(fm, seen)
        if fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            if el.WhichOneof("type") in ("selectbox", "radio"):
                proto = getattr(el, el.WhichOneof("type"))
                self.pickers[proto.id] = proto

    def _states(self) -> list[WidgetState]:
        states = super()._states()
        states += [WidgetState(id=wid, string_value=v) for wid, v in self.choices.items()]
        return states

    def pick(self, suffix: str, choose) -> str | None:
        """Choose an option of the picker whose id ends with `suffix`; the label sent."""
        for wid, proto in self.pickers.items():
            if wid.endswith(suffix):
                label = choose(list(proto.options))
                if label is not None:
                    self.choices[wid] = label
                return label
        return None


def biggest(kind: str):
    def choose(options: list[str]) -> str | None:
        mine = [o for o in options if o.lower().startswith(kind)]
        if not mine:
            return None
        if kind == "chart":
            return mine[0]
        return max(mine, key=lambda o: math.prod(int(d) for d in re.findall(r"\d+", o[o.rindex("("):])))
    return choose


async def tab(i: int, opts, stats: dict, ready: asyncio.Event, closing: asyncio.Event) -> None:
    """One visitor's tab: open, pick, Prepare, Save; stay open until `closing`."""
    rng = random.Random(opts.seed * 1000 + i)
    text = " ".join(rng.choice(WORDS) for _ in range(400))[: opts.chars]
    url = f"{opts.url}{opts.page}?{urlencode({'text': text, 'seed': i})}"
    s = Tab(options(url, rerun_timeout=opts.timeout), Results())
    s.headers["X-Forwarded-For"] = f"198.51.100.{i % opts.visitors + 1}"
    page = opts.page.strip("/")
    try:
        await s.open()
        await s.run_script()
        if not opts.prepare:  # the baseline: the same tabs, no download
            stats["done"] += 1
            if stats["done"] + len(stats["errors"]) >= opts.tabs:
                ready.set()
            await closing.wait()
            return
        if s.pick(f"dl-{page}-what", biggest(opts.what)) is None:
            raise RunError("picker", "no such item in the download panel")
        await s.run_script()
        s.pick("-format", lambda o: opts.format if opts.format in o else o[0])
        await s.run_script()
        s.triggers.add(s.buttons["Prepare"])
        t0 = time.perf_counter()
        await s.run_script()
        saves = {k: v for k, v in s.downloads.items() if k.startswith("Save ")}
        if not saves:
            stats["refused"] += 1
        else:
            label, target = next(iter(saves.items()))
            stats["labels"].add(label.split(" (")[0].rsplit(".", 1)[-1])
            if opts.save:
                url = target if target.startswith("/") else await _download(s, target, opts.timeout)
                status, data = await asyncio.to_thread(http_request, s.host, s.port, url,
                                                       s.cookies, opts.timeout)
                if status != 200:
                    raise RunError("download", f"GET {url} -> {status}")
                stats["bytes"] += len(data)
            stats["times"].append(time.perf_counter() - t0)
        stats["done"] += 1
        if stats["done"] + len(stats["errors"]) >= opts.tabs:
            ready.set()
        await closing.wait()
    except Exception as exc:  # noqa: BLE001 - counted
        stats["errors"].append(f"{type(exc).__name__}: {exc}"[:100])
        if stats["done"] + len(stats["errors"]) >= opts.tabs:
            ready.set()
    finally:
        await s.close()


async def sampler(pid: int, stats: dict, stop: asyncio.Event) -> None:
    while not stop.is_set():
        stats["peak"] = max(stats["peak"], family_rss_mib(pid))
        await asyncio.sleep(0.25)


async def janitor(opts, path: str = "/", runs: int | None = None) -> None:
    """A fresh session's runs: each run's end drops the files no session holds any more."""
    s = Client(options(opts.url + path, rerun_timeout=opts.timeout), Results())
    try:
        await s.open()
        for _ in range(opts.janitor_runs if runs is None else runs):
            await s.run_script()
    finally:
        await s.close()


async def run(opts, pid: int) -> dict:
    stats = {"peak": 0.0, "done": 0, "refused": 0, "bytes": 0, "times": [], "errors": [],
             "labels": set()}
    ready, closing, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
    watch = asyncio.create_task(sampler(pid, stats, stop))
    tabs = [asyncio.create_task(tab(i, opts, stats, ready, closing)) for i in range(opts.tabs)]
    await asyncio.wait_for(ready.wait(), opts.timeout * 4)
    stats["open"] = family_rss_mib(pid)
    await asyncio.sleep(opts.hold)
    closing.set()
    await asyncio.gather(*tabs, return_exceptions=True)
    await asyncio.sleep(opts.settle)  # the server ends the closed sessions
    await janitor(opts)
    await asyncio.sleep(2)
    stop.set()
    await watch
    stats["after"], stats["after_server"] = family_rss_mib(pid), rss_mib(pid)
    return stats


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="server base URL, e.g. http://127.0.0.1:8415")
    p.add_argument("--tabs", type=int, default=28, help=f"tabs at once (at most {MAX_TABS})")
    p.add_argument("--page", default="/pretrained")
    p.add_argument("--what", choices=["tensor", "chart"], default="tensor")
    p.add_argument("--format", default="CSV", help="CSV, NPY, PNG or SVG where offered")
    p.add_argument("--chars", type=int, default=1000, help="characters of each tab's sentence")
    p.add_argument("--no-save", dest="save", action="store_false", help="Prepare only")
    p.add_argument("--no-prepare", dest="prepare", action="store_false",
                   help="the baseline: open the tabs, download nothing")
    p.add_argument("--hold", type=float, default=5.0, help="seconds the tabs stay open after")
    p.add_argument("--janitor-runs", type=int, default=3)
    p.add_argument("--settle", type=float, default=130.0,
                   help="seconds after the tabs close before the janitor's runs")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for one run")
    p.add_argument("--visitors", type=int, default=0,
                   help="distinct visitors the tabs come from (default: one per tab)")
    p.add_argument("--batches", type=int, default=1, help="batches of tabs, one after another")
    p.add_argument("--warm", action="append", default=[],
                   help="a page opened once before the first reading, e.g. /gpt (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    opts = p.parse_args(argv)
    opts.visitors = opts.visitors or opts.tabs
    if not 1 <= opts.tabs <= MAX_TABS or not 0 < opts.timeout <= 600 or not 1 <= opts.visitors <= 250:
        p.error(f"--tabs must be 1..{MAX_TABS}, --visitors 1..250, --timeout in (0, 600]")
    if not (1 <= opts.batches <= 10 and 0 <= opts.hold <= 600 and 0 <= opts.settle <= 600 and 0 <= opts.janitor_runs <= 20
            and 1 <= opts.chars <= 5000):
        p.error("--batches 1..10, --hold and --settle 0..600, --janitor-runs 0..20, --chars 1..5000")
    opts.url = opts.url.rstrip("/")
    opts.page = "/" + opts.page.strip("/")
    return opts


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    port = urlsplit(opts.url).port or 80
    pids = [pid for pid, c in find_server_pids(port, [], []).items() if c != "haproxy"]
    if len(pids) != 1:
        raise SystemExit(f"expected one server process on port {port}, found {pids}")
    pid = pids[0]
    for path in [*opts.warm, opts.page]:  # the warm-up: the pages' models loaded
        asyncio.run(janitor(opts, path, runs=1))
    before = family_rss_mib(pid)
    print(f"server pid {pid}; load average {load_average()}; RSS (server and its workers) "
          f"after one warm-up session on {', '.join([*opts.warm, opts.page])}: {before:.0f} MiB",
          flush=True)
    for batch in range(1, opts.batches + 1):
        opts.seed += 1  # each batch its own sentences: new files, new cache entries
        s = asyncio.run(run(opts, pid))
        times = sorted(s["times"])
        print(f"batch {batch}: {opts.tabs} tabs on {opts.page}, {opts.what} as {opts.format} "
              f"(offered: {', '.join(sorted(s['labels'])) or '-'}), {opts.visitors} visitors: "
              f"{len(times)} files, {s['refused']} refused, {len(s['errors'])} errors, "
              f"{s['bytes'] / 2**20:.0f} MiB saved; Prepare p50 "
              f"{times[len(times) // 2] if times else float('nan'):.1f} s, max "
              f"{times[-1] if times else float('nan'):.1f} s")
        print(f"  RSS MiB  before {before:.0f}  all tabs open {s['open']:.0f}  peak {s['peak']:.0f}  "
              f"after close {s['after']:.0f}  (peak/before {s['peak'] / before:.2f}, "
              f"after/before {s['after'] / before:.2f}); after close, the server alone "
              f"{s['after_server']:.0f}, its export workers {s['after'] - s['after_server']:.0f}",
              flush=True)
        for e in sorted(set(s["errors"]))[:5]:
            print(f"  error: {e}")

if __name__ == "__main__":
    main()
