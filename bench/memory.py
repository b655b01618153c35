"""Server memory over many distinct inputs, and the costliest single request.

Opens ``-n`` sessions one after another against a running server, each on a registered page
(``attention/dashboard/page_registry.py``) with a different link: a random sentence,
sequence length, heads, d_model and seed, and a random value for each of the page's own
controls; one in ``--worst-every`` at the profile's caps. Each session lets its first run
finish and closes. Between requests it reads the server's CPU time (utime+stime) and
resident memory (VmRSS) from /proc, so each request's CPU-seconds are its own (nothing else
runs on the server meanwhile). Prints RSS every ``--every`` inputs (does it level off?)
and the ten costliest requests.

    ATTENTION_PROFILE=hosted streamlit run streamlit_app.py --server.port 8615 &
    python bench/memory.py http://127.0.0.1:8615 -n 1000

Use a fresh server process for the plateau figure: caches fill from empty. The server's
profile must be this script's (ATTENTION_PROFILE) for the worst links to sit at its caps.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention.dashboard.control import Control  # noqa: E402
from attention.dashboard.page_registry import PAGES  # noqa: E402
from attention.settings import Limits, load_limits  # noqa: E402
from bench.server_procs import cpu_seconds, find_server_pids, load_average, rss_mib  # noqa: E402
from harness.protocol import Client, Results, options  # noqa: E402

WORDS = ("the cat sat on a mat because it was warm and the dog that chased every ball in "
         "this garden never slept under seven bright yellow windows after music played slowly "
         "by the river stone paper dream").split()
RUNTIME_HI = 300  # a range the page sets from the input (a query index): the page clamps it
MAX_INPUTS = 100_000


def control_value(rng: random.Random, control: Control, caps: Limits, worst: bool) -> str | None:
    """A value for one of a page's own controls, as a link carries it (None: leave it out)."""
    if control.kind == "text":
        return None  # a page's own text (the lab's prefix of token ids) keeps its default
    if control.options:
        return str(rng.choice(control.options))
    if control.kind == "bool":
        return rng.choice(["true", "false"])
    c = control.resolved(caps, hi=RUNTIME_HI if control.runtime_range else None)
    if c.kind == "float":
        return f"{c.hi if worst else rng.uniform(c.lo, c.hi):.2f}"
    return str(int(c.hi) if worst else rng.randint(int(c.lo), int(c.hi)))


def link(rng: random.Random, worst: bool, caps: Limits) -> str:
    """A random link to a registered page: the shared inputs, then the page's own controls."""
    page = rng.choice(PAGES)
    q: dict[str, str] = {"seed": str(rng.randrange(2**31 - 1))}
    words = caps.max_text_chars // 6 if worst else rng.randint(1, 40)
    q["text"] = " ".join(rng.choice(WORDS) for _ in range(words))[: caps.max_text_chars]
    heads = caps.max_heads if worst else rng.randint(1, caps.max_heads)
    q["heads"] = str(heads)
    q["d_model"] = str(caps.max_d_model if worst else heads * rng.randint(2, caps.max_d_model // heads))
    if worst or rng.random() < 0.4:
        q["tokens"] = str(caps.max_tokens if worst else rng.randint(2, caps.max_tokens))
    for control in page.controls:
        value = control_value(rng, control, caps, worst)
        if value is not None:
            q[control.key] = value
    return f"/{page.url_path}?{urlencode(q)}"


async def one(base: str, path: str, timeout: float) -> int:
    """Open `path`, let its first run finish, fetch its images; the errors met."""
    results = Results()
    client = Client(options(base + path, rerun_timeout=timeout), results)
    try:
        await client.open()
        await client.run_script()
        await client.fetch_media()
    finally:
        await client.close()
    return sum(results.errors.values())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="server base URL, e.g. http://127.0.0.1:8615")
    p.add_argument("-n", type=int, default=1000, help=f"inputs (at most {MAX_INPUTS})")
    p.add_argument("--every", type=int, default=100, help="print RSS every this many inputs")
    p.add_argument("--worst-every", type=int, default=10, help="one link in this many at the caps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60, help="seconds for one run (at most 600)")
    opts = p.parse_args(argv)
    if not 1 <= opts.n <= MAX_INPUTS or opts.every < 1 or opts.worst_every < 1:
        p.error(f"-n must be 1..{MAX_INPUTS}; --every and --worst-every at least 1")
    if not 0 < opts.timeout <= 600:
        p.error("--timeout must be in (0, 600]")
    return opts


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    parts = urlsplit(opts.url)
    pids = [pid for pid, c in find_server_pids(parts.port or 80, [], []).items() if c != "haproxy"]
    if len(pids) != 1:
        raise SystemExit(f"expected one server process on port {parts.port}, found {pids}")
    pid, caps, rng = pids[0], load_limits(), random.Random(opts.seed)
    base = f"{parts.scheme}://{parts.netloc}"
    print(f"server pid {pid}, profile {caps.profile}; RSS at start {rss_mib(pid):.0f} MiB; "
          f"load average {load_average()}")
    costs, cold, errors, t0 = [], [], 0, time.monotonic()
    seen_pages: set[str] = set()
    for i in range(1, opts.n + 1):
        path = link(rng, i % opts.worst_every == 0, caps)
        cpu0, w0 = cpu_seconds(pid), time.perf_counter()
        try:
            errs = asyncio.run(one(base, path, opts.timeout))
        except Exception as exc:  # noqa: BLE001 - counted
            errs = 1
            print(f"error on {path[:120]}: {type(exc).__name__}: {exc}")
        errors += errs
        page = urlsplit(path).path
        entry = (cpu_seconds(pid) - cpu0, time.perf_counter() - w0, path)
        (costs if page in seen_pages else cold).append(entry)  # a page's first visit imports
        seen_pages.add(page)
        if i % opts.every == 0 or i == opts.n:
            print(f"{i:5d} inputs  RSS {rss_mib(pid):6.0f} MiB  ({time.monotonic() - t0:.0f} s, "
                  f"{errors} errors)", flush=True)
    print("first visit of each page (imports, model load; server CPU-s, wall s, link):")
    for cpu, wall, path in cold:
        print(f"  {cpu:5.2f}  {wall:5.2f}  {path[:100]}")
    costs.sort(reverse=True)
    print("costliest later requests (server CPU-s, wall s, link):")
    for cpu, wall, path in costs[:10]:
        print(f"  {cpu:5.2f}  {wall:5.2f}  {path[:160]}")
    if costs:
        print(f"median request {sorted(c for c, _, _ in costs)[len(costs) // 2]:.3f} CPU-s")


if __name__ == "__main__":
    main()
