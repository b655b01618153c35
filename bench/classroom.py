"""Classroom store under a room of simulated learners: votes recorded = votes sent, the time
from a vote to the instructor's histogram, and CPU per vote.

N learners in P processes each vote on Q questions (one vote each, a third change it once),
spaced at random over --spread seconds; the instructor polls the histogram every --poll-ms
(the app polls every 3 s, which adds up to that to what is measured here). Against the
SQLite file the workshop's processes share (default: a fresh one), or PostgreSQL with --url.

    .venv/bin/python bench/classroom.py -n 60 -p 2
    .venv/bin/python bench/classroom.py -n 60 --url postgresql+psycopg://user@host/db

The baseline is one `SELECT 1` round trip on the same database, measured in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from attention.classroom import Store  # noqa: E402

QUESTIONS = {f"q{i}": 4 for i in range(20)}


def learners(url: str, code: str, ids: list[int], questions: list[str], spread: float,
             seed: int, out) -> None:
    """One process: its learners' votes at random moments; (send time, end time) per vote."""
    store = Store(url, QUESTIONS)
    rng = random.Random(seed)
    plan = sorted((rng.uniform(0, spread), i, q) for i in ids for q in questions)
    plan += [(rng.uniform(spread, spread * 1.2), i, q) for _, i, q in plan if rng.random() < 1 / 3]
    plan.sort()
    start = time.time()
    sent = []
    for at, i, q in plan:
        delay = start + at - time.time()
        if delay > 0:
            time.sleep(delay)
        t0 = time.time()
        store.vote(code, q, f"l{i}", rng.randrange(4))
        sent.append((t0, time.time()))
    store.close()
    out.put((sent, time.process_time()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--learners", type=int, default=60)
    ap.add_argument("-q", "--questions", type=int, default=4)
    ap.add_argument("-p", "--procs", type=int, default=2)
    ap.add_argument("--spread", type=float, default=10.0, help="seconds over which votes arrive")
    ap.add_argument("--poll-ms", type=float, default=100.0)
    ap.add_argument("--url", default=None, help="default: a fresh SQLite file")
    args = ap.parse_args()
    if not (1 <= args.learners <= 1000 and 1 <= args.questions <= len(QUESTIONS)
            and 1 <= args.procs <= 16 and 0.5 <= args.spread <= 600 and 10 <= args.poll_ms <= 5000):
        ap.error("out of range: learners 1-1000, questions 1-20, procs 1-16, spread 0.5-600, "
                 "poll-ms 10-5000")
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/classroom.sqlite3"
    store = Store(url, QUESTIONS)
    info, _ = store.create_class()
    questions = list(QUESTIONS)[: args.questions]

    with store.engine.connect() as c:  # baseline: one round trip
        trips = []
        for _ in range(200):
            t0 = time.perf_counter()
            c.execute(text("SELECT 1")).scalar()
            trips.append(time.perf_counter() - t0)
    baseline = statistics.median(trips)

    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    ids = list(range(args.learners))
    procs = [ctx.Process(target=learners, args=(url, info.code, ids[w:: args.procs], questions,
                                                args.spread, w, out))
             for w in range(args.procs)]
    seen: list[tuple[float, int]] = []  # (poll time, votes counted)
    poll_cpu0 = time.process_time()
    for p in procs:
        p.start()
    results = []
    while len(results) < len(procs):
        total = sum(sum(v) for v in store.tallies(info.code).values())
        seen.append((time.time(), total))
        while not out.empty():
            results.append(out.get())
        time.sleep(args.poll_ms / 1000)
    for p in procs:
        p.join()
    polls = len(seen)
    poll_cpu = time.process_time() - poll_cpu0
    sent = sorted(v for r in results for v in r[0])
    cpu = sum(r[1] for r in results)
    final = sum(sum(v) for v in store.tallies(info.code).values())
    expected_rows = args.learners * len(questions)

    # A new vote is counted in the histogram once a poll sees the total reach its rank among
    # the first votes (a changed vote adds no count, so only first votes are timed).
    first_votes = sent[:expected_rows]
    latencies = []
    for rank, (t0, _) in enumerate(first_votes, 1):
        when = next((t for t, n in seen if n >= rank and t >= t0), None)
        if when is not None:
            latencies.append(when - t0)
    write = [t1 - t0 for t0, t1 in sent]
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
    wp95 = statistics.quantiles(write, n=20)[-1] if len(write) > 1 else float("nan")
    print(f"backend {store.backend}; {args.learners} learners in {args.procs} processes, "
          f"{len(questions)} questions; load average {os.getloadavg()[0]:.2f}")
    print(f"votes sent {len(sent)} (first votes {expected_rows}); counted in the histogram "
          f"{final}; lost {expected_rows - final}")
    print(f"baseline SELECT 1: {baseline * 1e3:.2f} ms")
    print(f"vote write: median {statistics.median(write) * 1e3:.2f} ms, p95 {wp95 * 1e3:.2f} ms "
          f"({wp95 / baseline:.1f}x baseline)")
    print(f"vote -> histogram (poll every {args.poll_ms:.0f} ms): p95 {p95 * 1e3:.0f} ms")
    print(f"learner CPU per vote {cpu / len(sent) * 1e3:.2f} ms; instructor CPU per poll "
          f"{poll_cpu / polls * 1e3:.2f} ms ({polls} polls)")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    store.close()
    if final != expected_rows:
        sys.exit(1)


if __name__ == "__main__":
    main()
