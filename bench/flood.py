"""Can one tab that floods reruns stall everyone? Victims' latency while a client sends 20
reruns a second to /pretrained or /lab, with and without the model gate, both fastReruns.

Run: `.venv/bin/python bench/flood.py` (options: --victims, --duration, --rate, --configs,
--port). Each config starts the dashboard (hosted profile) on a loopback port and measures:

1. baseline: `--victims` simulated students on /single_head, each changing the Seed every
   ~2 s (bench/load_student.py's `Student`), timed to the end of each rerun;
2. the same while one flooding tab (`Flooder`) sends `--rate` reruns a second to /pretrained,
   each with a new sentence, never waiting for a run to end (as a script would);
3. the same with the flood on /lab (a new prefix each time).

It prints the victims' p50/p95/max per phase, p95 as a ratio to the baseline's p95 of the
same config (the goal: at most 2x), the server's CPU-seconds in the phase, its peak RSS and
most threads, and the machine's load average (on a shared machine, read the figures next
to it).

Configs (--configs, comma-separated): `fast-nogate` (Streamlit's default fastReruns, the
flood guards off, ATTENTION_FLOOD_GUARDS=off: the model gate and the pacing of a session's
reruns, i.e. the code before them), `fast-gate` (guards on), `nofast-nogate`, `nofast-gate`
(runner.fastReruns false, as the hosted launchers start it).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from bench.load import percentile  # noqa: E402
from bench.load_student import Student  # noqa: E402
from bench.server_procs import (  # noqa: E402
    cpu_seconds,
    load_average,
    peak_rss_mib,
    reset_peak_rss,
)
from harness.browser import Server, in_own_thread  # noqa: E402
from harness.protocol import Client, Results, options  # noqa: E402

CONFIGS = {"fast-nogate": (True, False), "fast-gate": (True, True),
           "nofast-nogate": (False, False), "nofast-gate": (False, True)}
FLOODS = {"pretrained": "Sentence", "lab": "Prefix (token ids)"}
VICTIM_INTERVAL_S = 2.0


class Flooder(Client):
    """One tab that sends a new value of the text control `label` `rate` times a second,
    never waiting for a run to end; counts the runs the server finished meanwhile."""

    def __init__(self, url: str, label: str):
        super().__init__(options(url, rerun_timeout=120), Results())
        self.label, self.finished, self.sent = label, 0, 0

    def _text(self, rng: random.Random) -> str:
        if self.label.startswith("Prefix"):
            return " ".join(str(rng.randrange(64)) for _ in range(rng.randrange(6, 24)))
        words = ("red", "river", "seven", "music", "garden", "stone", "window", "paper", "bright")
        return " ".join(rng.choice(words) for _ in range(rng.randrange(6, 30)))

    async def _drain(self) -> None:
        while True:
            data = await self.ws.recv()
            fm = ForwardMsg()
            fm.ParseFromString(data)
            if fm.WhichOneof("type") == "script_finished":
                self.finished += 1

    async def flood(self, rate: float, seconds: float) -> None:
        await self.open()
        await self.run_script()  # learn the widgets
        wid = next(w for w, (_, proto) in self.widgets.items() if proto.label == self.label)
        rng, reader = random.Random(7), asyncio.create_task(self._drain())
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                self.values[wid] = self._text(rng)
                msg = BackMsg()
                cs = msg.rerun_script
                cs.query_string = self.query
                cs.page_script_hash = self.page_hash
                cs.widget_states.widgets.extend(self._states())
                await self.ws.send(msg.SerializeToString())
                self.sent += 1
                await asyncio.sleep(1.0 / rate)
        finally:
            reader.cancel()
            await self.close()


def _student_opts(url: str, seed: int) -> argparse.Namespace:
    opts = options(url, rerun_timeout=60)
    opts.seed, opts.control, opts.param, opts.interval = seed, "Seed", "seed", VICTIM_INTERVAL_S
    opts.max_reruns, opts.reloads = 10_000, 2
    return opts


def _threads(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def phase(base: str, victims: int, seconds: float, pid: int, flood: str | None,
                rate: float) -> dict:
    """Victims on /single_head for `seconds`, with a flood on page `flood` if given."""
    results = Results()
    students = [Student(i, _student_opts(f"{base}/single_head", 1), results)
                for i in range(victims)]
    now = time.monotonic()
    start, stop = now + 2.0, now + 2.0 + seconds
    tasks = [asyncio.create_task(s.run(start + i * 0.15, stop)) for i, s in enumerate(students)]
    flooder = None
    if flood:
        flooder = Flooder(f"{base}/{flood}", FLOODS[flood])
        tasks.append(asyncio.create_task(flooder.flood(rate, seconds + 2.0)))
    most, cpu0 = 0, cpu_seconds(pid)
    while time.monotonic() < stop + 1:
        most = max(most, _threads(pid))
        await asyncio.sleep(0.25)
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 90)
    r = results.reruns
    return {"flood": flood or "-", "reruns": len(r), "p50": percentile(r, 50) * 1000,
            "p95": percentile(r, 95) * 1000, "max": (max(r) if r else float("nan")) * 1000,
            "errors": sum(results.errors.values()), "threads": most,
            "flood_sent": flooder.sent if flooder else 0, "cpu_s": cpu_seconds(pid) - cpu0}


def run_config(name: str, opts: argparse.Namespace) -> list[dict]:
    fast, gate = CONFIGS[name]
    env = {"ATTENTION_PROFILE": "hosted", "STREAMLIT_RUNNER_FAST_RERUNS": str(fast).lower(),
           "ATTENTION_FLOOD_GUARDS": "on" if gate else "off"}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server("streamlit_app.py", Path(tmp), port=opts.port, env=env)
        try:
            pid, base = server.proc.pid, server.url
            warm = Flooder(f"{base}/pretrained", FLOODS["pretrained"])  # load the model once
            in_own_thread(asyncio.run, warm.flood(1.0, 1.0))
            rows = []
            for flood in (None, "pretrained", "lab"):
                reset_peak_rss(pid)
                row = in_own_thread(asyncio.run, phase(base, opts.victims, opts.duration, pid,
                                                       flood, opts.rate))
                row["config"], row["rss_peak"] = name, peak_rss_mib(pid)
                rows.append(row)
                time.sleep(3)  # the last flood's runs end
            return rows
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--victims", type=int, default=10)
    p.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    p.add_argument("--rate", type=float, default=20.0, help="flood reruns a second")
    p.add_argument("--configs", default="fast-nogate,fast-gate,nofast-nogate,nofast-gate")
    p.add_argument("--port", type=int, default=8510)
    opts = p.parse_args(argv)
    opts.victims = max(1, min(opts.victims, 50))
    opts.duration = max(5.0, min(opts.duration, 120.0))
    opts.rate = max(0.5, min(opts.rate, 50.0))
    names = [n.strip() for n in opts.configs.split(",") if n.strip()]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        raise SystemExit(f"unknown configs {sorted(unknown)}; choose from {sorted(CONFIGS)}")
    print(f"{opts.victims} victims on /single_head (a Seed change every ~{VICTIM_INTERVAL_S:.0f} s), "
          f"a flood of {opts.rate:.0f} reruns/s (sent: messages; CPU s: the server's, per phase), {opts.duration:.0f} s a phase; "
          f"load average before: {load_average()}", flush=True)
    header = (f"{'config':<14}{'flood':<12}{'reruns':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
              f"{'p95/base':>9}{'errors':>7}{'threads':>8}{'RSS MiB':>8}{'sent':>6}{'CPU s':>7}")
    print(header, flush=True)
    rows = []
    for name in names:
        got = run_config(name, opts)
        base = got[0]["p95"]
        for r in got:
            r["ratio"] = r["p95"] / base if base else float("nan")
            print(f"{r['config']:<14}{r['flood']:<12}{r['reruns']:>7}{r['p50']:>8.0f}"
                  f"{r['p95']:>8.0f}{r['max']:>8.0f}{r['ratio']:>9.2f}{r['errors']:>7}"
                  f"{r['threads']:>8}{r['rss_peak']:>8.0f}{r['flood_sent']:>6}"
                  f"{r['cpu_s']:>7.1f}", flush=True)
        rows += got
    print(f"load average after: {load_average()}")
    return rows


if __name__ == "__main__":
    main()
