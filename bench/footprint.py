"""What one server process costs: memory after every page, CPU per load, message sizes.

Opens every view of a running server (one fresh session each, over Streamlit's own
protocol, as ``bench/load.py`` does), first with its default link and then at the caps of
the profile the server runs (the largest random sequence, every head, the widest model, the
longest sentence), and prints for each link:

- the server CPU-seconds spent on that first load (``/proc/PID/stat``),
- the largest websocket frame the server sent and the largest the client sent (bytes):
  what ``server.maxMessageSize`` must allow and what ``server.maxWidgetStateSize`` bounds,

then the server's resident memory (``VmRSS``) and its peak (``VmHWM``) after all of them:
the memory figure a replica is sized by (deploy/README.md).

Usage (a server started with the profile named here; loopback only)::

    ATTENTION_PROFILE=hosted .venv/bin/streamlit run streamlit_app.py --server.port 8613 &
    .venv/bin/python bench/footprint.py http://127.0.0.1:8613/ --profile hosted
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention.settings import PROFILES  # noqa: E402
from bench.load import parse_args  # noqa: E402
from bench.server_procs import cpu_seconds, listening_pids  # noqa: E402
from harness.protocol import Client, Results  # noqa: E402

SENTENCE = "The quick brown fox jumps over the lazy dog while the cat sleeps on the mat. "


def links(profile: str) -> list[str]:
    """Every view's default link, then the same view at the profile's caps."""
    lim = PROFILES[profile]
    big = {"tokens": lim.max_tokens, "heads": lim.max_heads, "d_model": lim.max_d_model}
    text = (SENTENCE * (lim.max_text_chars // len(SENTENCE) + 1))[: lim.max_text_chars].strip()
    pages = ["", "single_head", "multi_head", "causal", "entropy", "pretrained"]
    out = [f"/{p}" for p in pages]
    out += [f"/{p}?{urlencode(big)}" for p in pages[1:5]]
    out.append("/pretrained?" + urlencode({"text": text}))
    return out


def _vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def visit(base: str, link: str) -> tuple[float, int, int, int]:
    """One fresh session on `link`: (load seconds, frames, largest in, largest out)."""
    opts = parse_args([base.rstrip("/") + link, "--rerun-timeout", "300"])
    session = Client(opts, Results())
    sizes_in: list[int] = []
    sizes_out: list[int] = []
    await session.open()
    try:
        recv, send = session.ws.recv, session.ws.send

        async def counted_recv(*a, **k):
            data = await recv(*a, **k)
            sizes_in.append(len(data))
            return data

        async def counted_send(data, *a, **k):
            sizes_out.append(len(data))
            return await send(data, *a, **k)

        session.ws.recv, session.ws.send = counted_recv, counted_send
        seconds = await session.run_script()
    finally:
        await session.close()
    errors = session.results.errors
    if errors:
        raise SystemExit(f"{link}: the page showed an error: {session.results.errors}")
    return seconds, len(sizes_in), max(sizes_in), max(sizes_out)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("base", help="the server, e.g. http://127.0.0.1:8613/")
    p.add_argument("--profile", default="local", choices=sorted(PROFILES),
                   help="the profile the server runs (sets the links at its caps)")
    opts = p.parse_args(argv)
    port = urlsplit(opts.base).port or 80
    pids = listening_pids(port)
    if len(pids) != 1:
        raise SystemExit(f"expected one process listening on {port}, found {pids}")
    pid = pids[0]
    rows = []
    print(f"{'link':<60} {'load s':>7} {'CPU-s':>6} {'frames':>6} {'server msg':>10} {'client msg':>10}")
    for link in links(opts.profile):
        cpu0 = cpu_seconds(pid)
        seconds, frames, biggest, biggest_out = asyncio.run(visit(opts.base, link))
        cpu = cpu_seconds(pid) - cpu0
        rows.append({"link": link, "seconds": seconds, "cpu_s": cpu, "frames": frames,
                     "max_server_frame": biggest, "max_client_frame": biggest_out})
        shown = link if len(link) <= 60 else link[:57] + "..."
        print(f"{shown:<60} {seconds:7.2f} {cpu:6.2f} {frames:6d} {biggest:10d} {biggest_out:10d}")
    rss, hwm = _vm(pid, "VmRSS"), _vm(pid, "VmHWM")
    print(f"server pid {pid}, profile {opts.profile}: RSS {rss:.0f} MiB after every view, "
          f"peak {hwm:.0f} MiB; largest server frame {max(r['max_server_frame'] for r in rows)} B, "
          f"largest client frame {max(r['max_client_frame'] for r in rows)} B")
    return {"rows": rows, "rss_mib": rss, "hwm_mib": hwm}


if __name__ == "__main__":
    main()
