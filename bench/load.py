"""Simulate N concurrent Streamlit sessions without a browser and time their reruns.

Each session is a simulated student (``bench/load_student.py``): it opens the page over
Streamlit's own protocol as the browser does (``harness/protocol.py``: HTTP, cookies,
the websocket, widget states, the forward-message cache, media), then changes a control
(``--control``, default ``Seed``) every ``--interval`` seconds and times the rerun until
``script_finished``.

Server cost (``bench/server_procs.py``): the CPU time of the server processes over the
run, divided by the script runs (first loads plus reruns), and their peak RSS. The
processes are found from the port(s) that listen: the URL's port, and when that is
HAProxy the ``server`` lines of its config, or ``--server-port`` / ``--server-pid``.

Errors: failed connections, runs past ``--rerun-timeout``, exceptions shown by the
script, ``page_not_found``, compile errors, cache misses, closed sockets, media that
does not load. After an error the session reloads the page (new websocket, same
cookies) up to ``--reloads`` times, as a person would. Only loopback addresses are
accepted; every loop is bounded in count and time.

Usage::

    streamlit run bench/noop_app.py --server.headless true --server.port 8599 &
    python bench/load.py http://127.0.0.1:8599/ --sessions 10 --duration 30
    python bench/load.py "http://127.0.0.1:8501/multi_head?tokens=64&heads=8" -n 1,10,30 -d 60

The last line of each report is a table row; ``-n 1,10,30`` runs the tests one after
another and ends with their table. ``other load`` is what the rest of the machine used
meanwhile (from /proc/stat): on a shared machine, read latencies next to it.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load_student import Student  # noqa: E402
from bench.server_procs import (  # noqa: E402
    cpu_seconds,
    find_server_pids,
    machine_busy_seconds,
    peak_rss_mib,
    reset_peak_rss,
)
from harness.protocol import (  # noqa: E402
    CONNECT_TIMEOUT_S,
    MAX_MEDIA,
    RERUN_TIMEOUT_S,
    Results,
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; nan for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 100)) - 1))]


async def run_load(opts: argparse.Namespace) -> dict:
    parts = urlsplit(opts.url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load-test {host!r}: only loopback addresses")

    pids = find_server_pids(parts.port or 80, opts.server_port, opts.server_pid)
    workers = [p for p, c in pids.items() if c != "haproxy"]
    warmup = opts.warmup if opts.warmup >= 0 else max(1, len(workers))
    if warmup:
        scratch = Results()
        now = time.monotonic()
        await asyncio.gather(*(Student(-1 - i, opts, scratch).run(now, now + 60, record=False)
                               for i in range(warmup)))
        if scratch.errors:
            print(f"warm-up errors: {scratch.errors} {scratch.samples}", file=sys.stderr)

    reset = all(reset_peak_rss(p) for p in pids) if pids else False
    cpu0 = {p: cpu_seconds(p) for p in pids}
    own0 = sum(os.times()[:2])
    busy0 = machine_busy_seconds()
    results = Results()
    t0 = time.monotonic()
    stop_at = t0 + opts.duration
    sessions = [Student(i, opts, results) for i in range(opts.sessions)]
    ramp = opts.ramp if opts.ramp is not None else min(opts.interval, opts.duration / 4)
    tasks = [s.run(t0 + ramp * i / max(1, opts.sessions), stop_at) for i, s in enumerate(sessions)]
    hard_limit = opts.duration + opts.rerun_timeout + 4 * opts.connect_timeout + 10
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), hard_limit)
    except TimeoutError:
        results.error("hard_limit", f"run exceeded {hard_limit:.0f}s; stopped")
    wall = time.monotonic() - t0
    cpu = {p: cpu_seconds(p) - cpu0[p] for p in pids}
    own = sum(os.times()[:2]) - own0
    busy = machine_busy_seconds() - busy0

    runs = len(results.loads) + len(results.reruns)
    server_cpu = sum(v for p, v in cpu.items() if pids[p] != "haproxy")
    proxy_cpu = sum(v for p, v in cpu.items() if pids[p] == "haproxy")
    peak = {p: peak_rss_mib(p) for p in pids}
    return {
        "url": opts.url, "sessions": opts.sessions, "duration_s": opts.duration,
        "interval_s": opts.interval, "wall_s": round(wall, 2),
        "loads": len(results.loads), "reruns": len(results.reruns),
        "reruns_per_s": round(len(results.reruns) / wall, 2) if wall else None,
        "load_p50_s": percentile(results.loads, 50), "load_max_s": max(results.loads, default=float("nan")),
        "p50_s": percentile(results.reruns, 50), "p95_s": percentile(results.reruns, 95),
        "max_s": max(results.reruns, default=float("nan")),
        "media_fetches": len(results.media), "media_p95_s": percentile(results.media, 95),
        "errors": sum(results.errors.values()), "error_kinds": results.errors,
        "reloads": results.reloads,
        "error_samples": results.samples,
        "server_processes": {str(p): pids[p] for p in pids},
        "server_cpu_s": round(server_cpu, 2), "proxy_cpu_s": round(proxy_cpu, 2),
        "cpu_s_per_run": round(server_cpu / runs, 4) if runs else None,
        "proxy_cpu_s_per_run": round(proxy_cpu / runs, 4) if runs else None,
        "server_cpu_cores": round(server_cpu / wall, 2) if wall else None,
        "peak_rss_mib": {str(p): round(v, 1) for p, v in peak.items()},
        "peak_rss_total_mib": round(sum(v for p, v in peak.items() if pids[p] != "haproxy"), 1),
        "peak_rss_reset": reset, "loadgen_cpu_s": round(own, 2),
        "machine_busy_cores": round(busy / wall, 2) if wall else None,
        "other_busy_cores": round((busy - server_cpu - proxy_cpu - own) / wall, 2) if wall else None,
        "cores": os.cpu_count(),
        "sticky_cookies": results.backends, "notes": sorted(results.notes),
    }


def report(r: dict) -> str:
    ms = lambda s: "-" if s != s else f"{s * 1000:.0f}"  # noqa: E731 - nan -> "-"
    procs = ", ".join(f"{c} {p}" for p, c in r["server_processes"].items()) or "none found"
    lines = [
        f"url                {r['url']}",
        f"server processes   {procs}",
        f"sessions           {r['sessions']} for {r['duration_s']:.0f} s "
        f"(a change every ~{r['interval_s']:g} s each; wall {r['wall_s']:.1f} s)",
        f"first loads        {r['loads']}  p50 {ms(r['load_p50_s'])} ms  max {ms(r['load_max_s'])} ms",
        f"reruns             {r['reruns']}  ({r['reruns_per_s']}/s)",
        f"rerun latency      p50 {ms(r['p50_s'])} ms  p95 {ms(r['p95_s'])} ms  max {ms(r['max_s'])} ms",
        f"errors             {r['errors']}  {r['error_kinds'] or ''}"
        + (f" ({r['reloads']} reloads after errors)" if r["reloads"] else ""),
        f"server CPU         {r['server_cpu_s']} s = {r['cpu_s_per_run']} CPU-s per run "
        f"(loads + reruns), {r['server_cpu_cores']} cores busy",
        f"proxy CPU          {r['proxy_cpu_s']} s ({r['proxy_cpu_s_per_run']} per run)",
        f"peak RSS           {r['peak_rss_total_mib']} MiB total "
        f"{r['peak_rss_mib']} ({'reset at start' if r['peak_rss_reset'] else 'since process start'})",
        f"load generator CPU {r['loadgen_cpu_s']} s (shares this machine)",
        f"machine            {r['machine_busy_cores']} of {r['cores']} cores busy; "
        f"{r['other_busy_cores']} by processes outside this test",
    ]
    if r["media_fetches"]:
        lines.append(f"media              {r['media_fetches']} fetched, p95 {ms(r['media_p95_s'])} ms")
    if r["sticky_cookies"]:
        lines.append(f"sessions by cookie {r['sticky_cookies']}")
    lines += [f"note               {n}" for n in r["notes"]]
    lines += [f"error sample       {s}" for s in r["error_samples"]]
    lines.append("| sessions | reruns | reruns/s | p50 ms | p95 ms | max ms | errors | CPU-s/run "
                 "| peak RSS MiB | other load, cores |")
    lines.append(f"| {r['sessions']} | {r['reruns']} | {r['reruns_per_s']} | {ms(r['p50_s'])} | "
                 f"{ms(r['p95_s'])} | {ms(r['max_s'])} | {r['errors']} | {r['cpu_s_per_run']} | "
                 f"{r['peak_rss_total_mib']} | {r['other_busy_cores']} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", nargs="?", default="http://127.0.0.1:8501/",
                   help="page to open, with its query string (loopback only)")
    p.add_argument("-n", "--sessions", default="10",
                   help="concurrent sessions; a list (1,10,30) runs one test after another")
    p.add_argument("-d", "--duration", type=float, default=60.0, help="seconds of changes")
    p.add_argument("-i", "--interval", type=float, default=3.0,
                   help="mean seconds between a session's changes")
    p.add_argument("--ramp", type=float, default=None,
                   help="seconds over which sessions open (default: min(interval, duration/4))")
    p.add_argument("--control", default="Seed", help="label or query key of the widget to change")
    p.add_argument("--param", default="seed", help="query param to change if no such widget")
    p.add_argument("--warmup", type=int, default=-1,
                   help="throwaway sessions before measuring (default: one per server process)")
    p.add_argument("--server-port", action="append", default=[],
                   help="port(s) of the server processes to account, e.g. 8601-8602")
    p.add_argument("--server-pid", action="append", type=int, default=[])
    p.add_argument("--rerun-timeout", type=float, default=RERUN_TIMEOUT_S)
    p.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT_S)
    p.add_argument("--max-reruns", type=int, default=10_000, help="per session")
    p.add_argument("--reloads", type=int, default=3,
                   help="times a session reloads the page after an error (0: it gives up)")
    p.add_argument("--max-media", type=int, default=MAX_MEDIA, help="media files fetched per run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the results here")
    opts = p.parse_args(argv)
    try:
        opts.session_counts = [int(n) for n in str(opts.sessions).split(",")]
    except ValueError:
        p.error("--sessions takes a number or a comma-separated list of numbers")
    opts.sessions = opts.session_counts[0]
    if min(opts.session_counts) < 1 or opts.duration <= 0 or opts.interval <= 0:
        p.error("sessions, duration and interval must be positive")
    return opts


def main(argv: list[str] | None = None) -> dict | list[dict]:
    """Run one test per session count; print each report, then the table of all."""
    opts = parse_args(argv)
    all_results = []
    for i, n in enumerate(opts.session_counts):
        opts.sessions = n
        if i:
            opts.warmup = 0  # the processes are warm now
            print(flush=True)
        all_results.append(asyncio.run(run_load(opts)))
        print(report(all_results[-1]), flush=True)
    if len(all_results) > 1:
        print("\n" + "\n".join(report(r).splitlines()[-1] if j else "\n".join(report(r).splitlines()[-2:])
                               for j, r in enumerate(all_results)))
    out = all_results[0] if len(all_results) == 1 else all_results
    if opts.json:
        opts.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
