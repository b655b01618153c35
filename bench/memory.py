"""Server memory over many distinct inputs, and the costliest single request.

Opens ``-n`` sessions one after another against a running server, each on a page with a
different link (random sentence, sequence length, heads, d_model, seed, page controls;
one in ``--worst-every`` at the profile's caps), lets its first run finish, and closes it.
Between requests it reads the server's CPU time (utime+stime) and resident memory
(VmRSS) from /proc, so each request's CPU-seconds are its own (nothing else runs on the
server meanwhile). Prints RSS every ``--every`` inputs (does it level off?) and the ten
costliest requests.

    ATTENTION_PROFILE=hosted streamlit run streamlit_app.py --server.port 8615 &
    python bench/memory.py http://127.0.0.1:8615 -n 1000

Use a fresh server process for the plateau figure: caches fill from empty.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).with_name("load.py"))
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load
_spec.loader.exec_module(load)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention.settings import load_limits  # noqa: E402

WORDS = ("the cat sat on a mat because it was warm and the dog that chased every ball in "
         "this garden never slept under seven bright yellow windows after music played slowly "
         "by the river stone paper dream").split()
PAGES = ["single_head", "multi_head", "causal", "entropy", "pretrained", ""]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def link(rng: random.Random, worst: bool, caps) -> str:
    page = rng.choice(PAGES)
    q: dict[str, str] = {"seed": str(rng.randrange(2**31 - 1))}
    words = caps.max_text_chars // 6 if worst else rng.randint(1, 40)
    q["text"] = " ".join(rng.choice(WORDS) for _ in range(words))[: caps.max_text_chars]
    heads = caps.max_heads if worst else rng.randint(1, caps.max_heads)
    q["heads"] = str(heads)
    q["d_model"] = str(caps.max_d_model if worst else heads * rng.randint(2, caps.max_d_model // heads))
    if worst or rng.random() < 0.4:
        q["tokens"] = str(caps.max_tokens if worst else rng.randint(2, caps.max_tokens))
    if page == "single_head":
        q.update(dk=str(512 if worst else rng.randint(1, 512)), temperature=f"{rng.uniform(0.05, 20):.2f}",
                 causal=rng.choice(["true", "false"]))
    elif page == "causal":
        q.update(pad=str(rng.randint(0, 8)), step=str(rng.randint(0, 300)))
    elif page == "pretrained":
        q.update(layer=str(rng.randint(0, 5)), head=str(rng.randint(0, 11)),
                 hide_special=rng.choice(["true", "false"]))
    elif page == "multi_head":
        q.update(preset=rng.choice(["random", "designed"]))
    return f"/{page}?{urlencode(q)}"


async def one(base: str, path: str, timeout: float) -> tuple[float, int]:
    opts = load.parse_args([base + path, "--rerun-timeout", str(timeout)])
    res = load.Results()
    s = load.Session(0, opts, res)
    try:
        await s.open()
        await s.run_script()
        await s.fetch_media()
    finally:
        await s.close()
    return sum(res.errors.values()), len(res.samples)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="server base URL, e.g. http://127.0.0.1:8615")
    p.add_argument("-n", type=int, default=1000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--worst-every", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    opts = p.parse_args()
    parts = urlsplit(opts.url)
    pids = [pid for pid, c in load.find_server_pids(parts.port, [], []).items() if c != "haproxy"]
    if len(pids) != 1:
        raise SystemExit(f"expected one server process on port {parts.port}, found {pids}")
    pid, caps, rng = pids[0], load_limits(), random.Random(opts.seed)
    base = f"{parts.scheme}://{parts.netloc}"
    print(f"server pid {pid}, profile {caps.profile}; RSS at start {rss_mib(pid):.0f} MiB")
    costs, cold, errors, t0 = [], [], 0, time.monotonic()
    seen_pages: set[str] = set()
    for i in range(1, opts.n + 1):
        path = link(rng, i % opts.worst_every == 0, caps)
        cpu0, w0 = load._cpu_seconds(pid), time.perf_counter()
        try:
            errs, _ = asyncio.run(one(base, path, opts.timeout))
        except Exception as exc:  # noqa: BLE001 - counted
            errs = 1
            print(f"error on {path[:120]}: {type(exc).__name__}: {exc}")
        errors += errs
        page = urlsplit(path).path
        entry = (load._cpu_seconds(pid) - cpu0, time.perf_counter() - w0, path)
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
    print(f"median request {sorted(c for c, _, _ in costs)[len(costs) // 2]:.3f} CPU-s")


if __name__ == "__main__":
    main()
