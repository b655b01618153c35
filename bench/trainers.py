"""Eight visitors press Train on /lab at once: how far does each run get, how long does each
wait, and what happens to everyone else's latency meanwhile?

Run: `.venv/bin/python bench/trainers.py` (options: --trainers, --steps, --victims,
--duration, --port).

It starts the dashboard (hosted profile, runner.fastReruns false, as the hosted launchers
do) on a loopback port, trusting 127.0.0.1 as a balancer so that each trainer can be its own
visitor (its own X-Forwarded-For address), then:

1. baseline: `--victims` simulated students on /single_head, each changing the Seed every
   ~2 s (bench/load_student.py's `Student`), for `--duration` s;
2. the same while `--trainers` visitors open /lab?steps=N and press Train together; each
   trainer's wait (press to first step), time to its end, and the last step its progress
   bar showed are read from the server's own messages.

A ninth press, from a visitor who already trains in another tab, must be refused at once.
It prints the victims' p50/p95/max (p95 as a ratio to the baseline), each trainer's row,
and the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.flood import _student_opts  # noqa: E402
from bench.load import percentile  # noqa: E402
from bench.load_student import Student  # noqa: E402
from bench.server_procs import load_average  # noqa: E402
from harness.browser import Server, in_own_thread  # noqa: E402
from harness.protocol import Client, Results, options  # noqa: E402

STEP = re.compile(r"step (\d+) of (\d+)")


class Trainer(Client):
    """A visitor (`address`) who opens /lab and presses Train once."""

    def __init__(self, url: str, address: str):
        super().__init__(options(url, rerun_timeout=600), Results())
        self.headers = {"X-Forwarded-For": address}
        self.last_step, self.first_step_at, self.texts = 0, None, []

    def _on_delta(self, fm, seen) -> None:
        super()._on_delta(fm, seen)
        if fm.delta.WhichOneof("type") != "new_element":
            return
        el = fm.delta.new_element
        kind = el.WhichOneof("type")
        text = el.progress.text if kind == "progress" else (el.alert.body if kind == "alert" else "")
        if text:
            self.texts.append(text)
        m = STEP.search(text)
        if m:
            self.last_step = max(self.last_step, int(m.group(1)))
            if self.first_step_at is None:
                self.first_step_at = time.monotonic()

    async def train(self, press_at: float) -> dict:
        await self.open()
        try:
            await self.run_script()
            button = self.buttons.get("Train")
            if button is None:
                return {"error": f"no Train button: {sorted(self.buttons)}"}
            await asyncio.sleep(max(0.0, press_at - time.monotonic()))
            self.triggers.add(button)
            t0 = time.monotonic()
            await self.run_script()
            done = time.monotonic() - t0
            wait = (self.first_step_at - t0) if self.first_step_at else float("nan")
            refused = any("already have a training" in t for t in self.texts)
            return {"wait": wait, "done": done, "step": self.last_step, "refused": refused,
                    "errors": sum(self.results.errors.values())}
        finally:
            await self.close()


async def victims_while(base: str, victims: int, seconds: float, work=None) -> tuple[dict, list]:
    results = Results()
    students = [Student(i, _student_opts(f"{base}/single_head", 3), results)
                for i in range(victims)]
    now = time.monotonic()
    start, stop = now + 2.0, now + 2.0 + seconds
    tasks = [asyncio.create_task(s.run(start + i * 0.15, stop)) for i, s in enumerate(students)]
    extra = await work(start) if work is not None else []
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), seconds + 120)
    r = results.reruns
    return ({"reruns": len(r), "p50": percentile(r, 50) * 1000, "p95": percentile(r, 95) * 1000,
             "max": (max(r) if r else float("nan")) * 1000, "errors": sum(results.errors.values())},
            extra)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trainers", type=int, default=8)
    p.add_argument("--steps", type=int, default=300, help="steps of each training")
    p.add_argument("--victims", type=int, default=10)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of the baseline")
    p.add_argument("--port", type=int, default=8520)
    opts = p.parse_args(argv)
    opts.trainers = max(1, min(opts.trainers, 20))
    opts.steps = max(100, min(opts.steps, 1500))
    opts.victims = max(1, min(opts.victims, 50))
    opts.duration = max(5.0, min(opts.duration, 120.0))
    env = {"ATTENTION_PROFILE": "hosted", "STREAMLIT_RUNNER_FAST_RERUNS": "false",
           "ATTENTION_TRUSTED_PROXIES": "127.0.0.1"}
    print(f"{opts.trainers} visitors press Train (/lab, {opts.steps} steps) while {opts.victims} "
          f"victims change the Seed on /single_head; load average before: {load_average()}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server("streamlit_app.py", Path(tmp), port=opts.port, env=env)
        try:
            base = server.url
            baseline, _ = in_own_thread(asyncio.run, victims_while(base, opts.victims, opts.duration))

            async def trainers(start: float) -> list:
                url = f"{base}/lab?steps={opts.steps}"
                crowd = [Trainer(url, f"198.51.100.{i + 1}") for i in range(opts.trainers)]
                crowd.append(Trainer(url, "198.51.100.1"))  # a second tab of the first visitor
                press = start + 8.0
                return await asyncio.gather(*(t.train(press + (0.5 if i == len(crowd) - 1 else 0))
                                              for i, t in enumerate(crowd)))

            # The victims keep going as long as the trainings should take (a few s each).
            span = max(opts.duration, 10 + opts.trainers * opts.steps * 0.02)
            loaded, rows = in_own_thread(asyncio.run,
                                         victims_while(base, opts.victims, span, trainers))
        finally:
            server.stop()
    print(f"{'phase':<10}{'reruns':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'p95/base':>9}"
          f"{'errors':>7}")
    for name, r in (("baseline", baseline), ("training", loaded)):
        ratio = r["p95"] / baseline["p95"] if baseline["p95"] else float("nan")
        print(f"{name:<10}{r['reruns']:>7}{r['p50']:>8.0f}{r['p95']:>8.0f}{r['max']:>8.0f}"
              f"{ratio:>9.2f}{r['errors']:>7}")
    print(f"{'trainer':<10}{'wait s':>8}{'done s':>8}{'step':>7}  refused")
    for i, r in enumerate(rows):
        name = f"#{i + 1}" if i < opts.trainers else "#1 again"
        if "error" in r:
            print(f"{name:<10} {r['error']}")
            continue
        print(f"{name:<10}{r['wait']:>8.1f}{r['done']:>8.1f}{r['step']:>7}  {r['refused']}")
    print(f"load average after: {load_average()}")
    return {"baseline": baseline, "training": loaded, "trainers": rows}


if __name__ == "__main__":
    main()
