"""A class on a small workshop: simulated learners vote and follow through the app itself.

Starts --procs Streamlit processes on free loopback ports (no load balancer), sharing one
SQLite file through ATTENTION_DATA_DIR (a fresh folder), creates a class through the store,
then N learners (harness/protocol.py clients, each a session over Streamlit's websocket
protocol) open ``/causal?class=CODE``, spread round-robin over the processes, and vote:
each sets the radio ``predict_causal`` to an option label at a random moment within
--spread seconds, and a third of them change it once. Then the instructor pushes a view
(``store.push``) and every learner reruns at once, until the banner text appears in its
forward messages (at most --banner-tries reruns).

What it prints, read back from the store:

- votes recorded = votes sent: the class's histogram equals the histogram of each learner's
  last label (a refused or lost vote shows as a difference);
- p95 time from a vote sent to it being counted in the store's histogram (the bench polls
  the store every --poll-ms; the instructor page refills every 3 s, which adds up to that);
- p95 time from a push to the banner in a learner's rerun, started right after the push
  (the app's banner polls every 3 s, which adds up to that in a browser);
- server CPU per vote (utime+stime of the Streamlit processes over the vote phase, which
  includes the page's own rerun after each vote), and per banner rerun.

    .venv/bin/python bench/classroom_workshop.py -n 30 -p 2

Bounded: learners 1-200, processes 1-4, the whole run by --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from attention.dashboard.markdown import escape  # noqa: E402
from bench.server_procs import cpu_seconds, load_average  # noqa: E402
from harness.browser import Server  # noqa: E402
from harness.protocol import Client, Results, RunError, options  # noqa: E402

PAGE = "causal"
RADIO_KEY = f"predict_{PAGE}"
BANNER = "Follow the instructor:"


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20)[-1]


class Learner(Client):
    """A client that also knows radios (state: the option label, as `string_value`) and
    keeps the markdown of its last run."""

    def __init__(self, idx: int, url: str, results: Results, seed: int):
        super().__init__(options(url, rerun_timeout=60.0), results)
        self.idx = idx
        self.rng = random.Random(seed * 1000 + idx)
        self.radios: dict[str, object] = {}  # id -> Radio proto
        self.markdown: list[str] = []
        self.sent: list[tuple[float, str]] = []  # (time sent, label)
        self.radio_values: dict[str, str] = {}  # radio id -> the label this "browser" holds

    def _on_delta(self, fm, seen: dict) -> None:
        if fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            kind = el.WhichOneof("type")
            if kind == "radio":
                self.radios[el.radio.id] = el.radio
            elif kind == "markdown":
                self.markdown.append(el.markdown.body)
        super()._on_delta(fm, seen)

    def _states(self):
        states = super()._states()
        for wid, label in self.radio_values.items():
            states.append(WidgetState(id=wid, string_value=label))
        return states

    async def run_script(self) -> float:
        self.markdown, self.radios = [], {}
        return await super().run_script()

    def radio(self) -> object:
        for wid, proto in self.radios.items():
            if wid.endswith(RADIO_KEY) or RADIO_KEY in wid:
                return proto
        raise RunError("no_radio", f"no radio {RADIO_KEY!r} on the page")

    async def vote(self) -> None:
        proto = self.radio()
        label = self.rng.choice(list(proto.options))
        self.radio_values = {proto.id: label}
        t0 = time.time()
        self.sent.append((t0, label))
        await super().run_script()
        if self.results.errors.get("exception"):
            raise RunError("exception", "the page raised")


async def learner_loads(lr: Learner, at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.time()))
    await lr.open()
    await lr.run_script()
    lr.radio()  # the page asks the question


async def learner_votes(lr: Learner, spread: float, change: bool, t_start: float) -> None:
    at = t_start + lr.rng.uniform(0, spread)
    await asyncio.sleep(max(0.0, at - time.time()))
    await lr.vote()
    if change:
        await asyncio.sleep(lr.rng.uniform(0.5, 2.0))
        await lr.vote()


async def learner_banner(lr: Learner, label: str, tries: int) -> float | None:
    """When the rerun that showed the banner ended (None: not within `tries` reruns)."""
    for _ in range(tries):
        await lr.run_script()
        if any(BANNER in m and escape(label) in m for m in lr.markdown):
            return time.time()
        await asyncio.sleep(0.2)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--learners", type=int, default=30)
    ap.add_argument("-p", "--procs", type=int, default=2)
    ap.add_argument("--spread", type=float, default=20.0, help="seconds over which votes arrive")
    ap.add_argument("--poll-ms", type=float, default=50.0)
    ap.add_argument("--banner-tries", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=400.0, help="seconds for the whole run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not (1 <= args.learners <= 200 and 1 <= args.procs <= 4 and 1 <= args.spread <= 300
            and 10 <= args.poll_ms <= 2000 and 1 <= args.banner_tries <= 10
            and 30 <= args.timeout <= 1800):
        ap.error("out of range: learners 1-200, procs 1-4, spread 1-300, poll-ms 10-2000, "
                 "banner-tries 1-10, timeout 30-1800")
    sys.exit(run_sync(args))


def run_sync(args: argparse.Namespace) -> int:
    from attention.classroom import Store
    from attention.classroom.database import SQLITE_FILE
    from attention.dashboard.lessons import LESSONS

    choices = list(LESSONS[PAGE]["choices"])
    tmp = Path(tempfile.mkdtemp(prefix="classroom-workshop-"))
    url = f"sqlite:///{tmp / 'data' / SQLITE_FILE}"
    store = Store(url, {PAGE: len(choices)})
    info, key = store.create_class(wait_for_reveal=True)
    env = {"ATTENTION_DATA_DIR": str(tmp / "data")}
    servers: list[Server] = []
    t0 = time.time()
    try:
        for i in range(args.procs):
            (tmp / f"log{i}").mkdir()
            servers.append(Server("streamlit_app.py", tmp / f"log{i}", env=env))
        print(f"{args.procs} servers up in {time.time() - t0:.1f} s; class {info.code}; "
              f"{args.learners} learners", flush=True)
        return asyncio.run(asyncio.wait_for(
            run(args, store, info.code, key, servers, choices), args.timeout))
    finally:
        for s in servers:
            s.stop()
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def run(args, store, code: str, key: str, servers: list, choices: list[str]) -> int:
    results = Results()
    learners = [Learner(i, f"{servers[i % len(servers)].url}/{PAGE}?class={code}", results,
                        args.seed) for i in range(args.learners)]
    rng = random.Random(args.seed)
    changers = {i for i in range(args.learners) if rng.random() < 1 / 3}

    seen: list[tuple[float, int]] = []  # (poll time, votes counted)
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append((time.time(), sum(store.tally(code, PAGE))))
            time.sleep(args.poll_ms / 1000)

    poller = threading.Thread(target=poll, daemon=True)
    pids = [s.proc.pid for s in servers]
    t_load = time.time()
    loaded = await asyncio.gather(*(learner_loads(lr, t_load + 0.1 * lr.idx) for lr in learners),
                                  return_exceptions=True)
    load_s = time.time() - t_load
    cpu0 = sum(cpu_seconds(p) for p in pids)
    t_start = time.time() + 0.5
    poller.start()
    voting = [lr for lr, o in zip(learners, loaded, strict=True) if not isinstance(o, BaseException)]
    outcome = await asyncio.gather(*(learner_votes(lr, args.spread, lr.idx in changers, t_start)
                                     for lr in voting), return_exceptions=True)
    await asyncio.sleep(max(0.5, 3 * args.poll_ms / 1000))
    stop.set()
    poller.join()
    cpu_votes = sum(cpu_seconds(p) for p in pids) - cpu0
    failed = [o for o in list(loaded) + list(outcome) if isinstance(o, BaseException)]
    for o in failed[:3]:
        print(f"  learner failed: {type(o).__name__}: {o}")

    sent = sorted(t for lr in learners for t, _ in lr.sent)
    last = [lr.sent[-1][1] for lr in learners if lr.sent]
    expected = [sum(1 for lab in last if lab == c) for c in choices]
    tally = store.tally(code, PAGE)
    first = sorted(lr.sent[0][0] for lr in learners if lr.sent)
    latencies = []
    for rank, ts in enumerate(first, 1):
        when = next((t for t, n in seen if n >= rank and t >= ts), None)
        if when is not None:
            latencies.append(when - ts)

    # Follow: push, then every learner reruns until it shows the banner.
    alive = [lr for lr in learners if lr.ws is not None and lr.sent]
    label = f"Causal (pad=2) bench {random.Random().randrange(10**6)}"
    cpu1 = sum(cpu_seconds(p) for p in pids)
    reruns0 = sum(lr.run_count for lr in alive)
    pushed = store.push(code, key, PAGE, {"pad": "2"}, label)
    shown = await asyncio.gather(*(learner_banner(lr, label, args.banner_tries) for lr in alive),
                                 return_exceptions=True)
    cpu_banner = sum(cpu_seconds(p) for p in pids) - cpu1
    banner_reruns = sum(lr.run_count for lr in alive) - reruns0
    banner = [t - pushed.at for t in shown if isinstance(t, float)]
    for lr in learners:
        await lr.close()

    print(f"load average {load_average()}; {len(learners)} learners on {len(servers)} processes "
          f"({len(failed)} failed), {len(changers)} changed their vote once; "
          f"pages loaded in {load_s:.1f} s")
    print(f"votes sent {len(sent)} ({len(first)} learners); class histogram {tally} "
          f"(sum {sum(tally)}), expected from the last labels sent {expected}: "
          f"{'equal' if tally == expected else 'DIFFERENT'}")
    print(f"vote sent -> counted in the store (poll every {args.poll_ms:.0f} ms): "
          f"median {statistics.median(latencies) * 1e3:.0f} ms, p95 {p95(latencies) * 1e3:.0f} ms "
          f"({len(latencies)} votes)" if latencies else "vote -> store: none measured")
    print(f"push -> banner in the learner's next rerun: "
          f"median {statistics.median(banner) * 1e3:.0f} ms, p95 {p95(banner) * 1e3:.0f} ms; "
          f"{len(banner)}/{len(alive)} learners saw it" if banner else
          f"push -> banner: 0/{len(alive)} learners saw it")
    print(f"server CPU: {cpu_votes / max(1, len(sent)) * 1e3:.0f} ms per vote (its rerun "
          f"included; {cpu_votes:.1f} s over the vote phase); "
          f"{cpu_banner / max(1, banner_reruns) * 1e3:.0f} ms per banner rerun")
    if results.errors:
        print(f"errors {results.errors}; samples {results.samples}")
    ok = tally == expected and not failed and len(banner) == len(alive) == len(learners)
    return 0 if ok else 1


if __name__ == "__main__":
    main()
