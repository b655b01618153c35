"""Interactive sessions while other sessions download exports: does one download stall everyone?

Runs `bench/load.py`'s simulated students against one page and, in the same event loop,
``--exporters`` sessions that export without pause, as a visitor clicking Download again
and again would: each opens ``--export-url``, types a new sentence (so no cached export
can answer) and presses Prepare where the page has one, waits for the rerun, asks for the
download button's file (over the websocket, ``BackendOperationRequest.deferred_file``, for a
button with deferred data), then fetches the file; the time covers all of it. Exporters start ``--head-start`` seconds before the students, so the
students' first loads happen with every exporter's download in flight.

    python bench/export_load.py "http://127.0.0.1:8615/single_head" -n 10 --exporters 1
    python bench/export_load.py "http://127.0.0.1:8615/single_head" -n 10 --exporters 6 -d 30

The report is load.py's, plus the exporters' download count, p50/max and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import load  # noqa: E402
from harness.protocol import Client, Results, RunError, http_request  # noqa: E402


async def _download(s, file_id: str, timeout: float) -> str:
    """Ask for a deferred file as the browser does; return its URL (raise on an error)."""
    msg = BackMsg()
    req = msg.backend_operation_request
    req.request_id, req.session_id = f"x{time.monotonic_ns()}", s.session_id
    req.deferred_file.file_id = file_id
    await s.ws.send(msg.SerializeToString())
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        fm = ForwardMsg()
        fm.ParseFromString(await asyncio.wait_for(s.ws.recv(), left))
        if fm.WhichOneof("type") == "backend_operation_response":
            r = fm.backend_operation_response
            if r.request_id != req.request_id:
                continue
            if r.error_msg:
                raise RunError("download", r.error_msg)
            return r.deferred_file.url
    raise RunError("timeout", "no download response")


async def exporter(idx: int, opts, stats: dict, stop_at: float) -> None:
    """Export continuously until stop_at: new sentence, rerun, download, fetch."""
    o = argparse.Namespace(**vars(opts))
    o.url = opts.export_url
    s = Client(o, Results())
    try:
        await s.open()
        await s.run_script()
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            for wid, (etype, proto) in s.widgets.items():
                if etype == "text_area" and proto.query_param_key == "text":
                    s.values[wid] = f"{opts.sentence} {idx}-{n}-{time.monotonic_ns()}"
            t0 = time.perf_counter()
            if "Prepare" in s.buttons:  # Prepare, then Save: the file is made in that rerun
                s.triggers.add(s.buttons["Prepare"])
            await s.run_script()
            if not s.downloads:
                raise RunError("download", "no download button after the rerun")
            try:
                target = next(iter(s.downloads.values()))
                url = target if target.startswith("/") else await _download(s, target, opts.rerun_timeout)
                status, data = await asyncio.to_thread(http_request, s.host, s.port, url,
                                                       s.cookies, opts.connect_timeout)
                if status != 200:
                    raise RunError("download", f"GET {url} -> {status}")
                stats["times"].append(time.perf_counter() - t0)
                stats["bytes"] += len(data)
            except RunError as exc:
                stats["errors"][exc.detail[:80]] = stats["errors"].get(exc.detail[:80], 0) + 1
                await asyncio.sleep(0.5)
    except Exception as exc:  # noqa: BLE001 - reported
        stats["errors"][f"{type(exc).__name__}: {exc}"[:80]] = 1
    finally:
        await s.close()


async def main_async(opts) -> tuple[dict, dict]:
    stats = {"times": [], "bytes": 0, "errors": {}}
    stop_at = time.monotonic() + opts.head_start + opts.duration + opts.rerun_timeout
    tasks = [asyncio.create_task(exporter(i, opts, stats, stop_at)) for i in range(opts.exporters)]
    await asyncio.sleep(opts.head_start)
    result = await load.run_load(opts)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return result, stats


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--exporters", type=int, default=1)
    p.add_argument("--export-url", default=None, help="page the exporters use (default: the URL)")
    p.add_argument("--sentence", default="Exports should never stall the other visitors")
    p.add_argument("--head-start", type=float, default=8.0)
    extra, rest = p.parse_known_args(argv)
    opts = load.parse_args(rest)
    opts.warmup = 0 if opts.warmup < 0 else opts.warmup
    for k, v in vars(extra).items():
        setattr(opts, k, v)
    opts.export_url = opts.export_url or opts.url
    result, stats = asyncio.run(main_async(opts))
    print(load.report(result))
    times = stats["times"]
    ms = lambda s: f"{s * 1000:.0f}"  # noqa: E731
    print(f"exporters          {opts.exporters} on {opts.export_url}: {len(times)} downloads, "
          f"p50 {ms(load.percentile(times, 50)) if times else '-'} ms, "
          f"max {ms(max(times)) if times else '-'} ms, {stats['bytes'] / 2**20:.1f} MiB, "
          f"errors {stats['errors'] or 0}")


if __name__ == "__main__":
    main()
