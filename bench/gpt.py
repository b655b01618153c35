"""Time the GPT-style model: first load (cold cache: GGUF de-quantised; warm: safetensors),
and generation with every step's attention rows against plain `model.generate` in the
same process (the ratio is the figure: goal >= 0.8x).

    .venv/bin/python bench/gpt.py [--new-tokens 20] [--repeats 3] [--threads 1] [--cold]
    .venv/bin/python bench/gpt.py --memory [--profile hosted]

--cold converts into a fresh temporary cache folder (about 25 s) to time a first visit.

--memory: what the decoder adds to a server process. It starts one Streamlit server (the
profile named, on a free loopback port), opens every other registered page's default link
(one fresh session each, over Streamlit's own protocol: bench/footprint.py's `visit`), so
the encoder and the vision model are loaded, and reads the process's resident memory
(VmRSS); then opens /gpt's views (Generate, Induction heads, Model view) and reads it again,
with the peak (VmHWM).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Once upon a time, there was a little girl who"


def bounded_int(lo: int, hi: int):
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be in [{lo}, {hi}], got {value}")
        return value
    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=bounded_int(1, 256), default=20)
    parser.add_argument("--repeats", type=bounded_int(1, 20), default=3)
    parser.add_argument("--threads", type=bounded_int(1, 64), default=1)
    parser.add_argument("--cold", action="store_true", help="time a conversion from the GGUF too")
    parser.add_argument("--memory", action="store_true",
                        help="a server's resident memory without and with the decoder")
    parser.add_argument("--profile", choices=("hosted", "local"), default="hosted",
                        help="the server's profile for --memory")
    return parser.parse_args(argv)


GPT_LINKS = ("/gpt", "/gpt?gpt_view=Induction+heads", "/gpt?gpt_view=Model+view")


def memory(profile: str) -> None:
    """A server's RSS after every other page, then after /gpt's views (see the docstring)."""
    import asyncio

    from attention.dashboard.page_registry import PAGES
    from bench.footprint import visit
    from bench.server_procs import load_average, peak_rss_mib, rss_mib
    from harness.browser import Server

    others = [f"/{p.url_path}" for p in PAGES if p.url_path != "gpt"]
    with tempfile.TemporaryDirectory() as tmp:
        server = Server("streamlit_app.py", Path(tmp), env={"ATTENTION_PROFILE": profile})
        try:
            pid = server.proc.pid
            print(f"profile {profile}, server pid {pid}, load average {load_average()}")
            print(f"  started, no page opened: RSS {rss_mib(pid):6.0f} MiB")
            for stage, links in (("every other page (encoder, vision model)", others),
                                 ("then /gpt's views (the decoder)", GPT_LINKS)):
                for link in links:
                    try:
                        seconds = asyncio.run(visit(server.url, link))[0]
                        print(f"    {link:<32} {seconds:6.2f} s   RSS {rss_mib(pid):6.0f} MiB")
                    except (SystemExit, Exception) as e:  # a page's error: say so, go on
                        print(f"    {link:<32} failed: {str(e)[:120]}")
                print(f"  after {stage}: RSS {rss_mib(pid):6.0f} MiB, peak "
                      f"{peak_rss_mib(pid):6.0f} MiB")
        finally:
            server.stop()


def seconds(fn, repeats: int) -> list[float]:
    """Wall times of fn() over `repeats` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def seconds_once(fn) -> list[float]:
    t0 = time.perf_counter()
    fn()
    return [time.perf_counter() - t0]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.memory:
        memory(args.profile)
        return
    import torch

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    import transformers  # noqa: F401  (import cost, separate from the load)

    from attention.pretrained import generate, induction, load_decoder
    t_import = time.perf_counter() - t0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"import transformers + attention.pretrained: {t_import:6.2f} s")
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            load_decoder(cache_dir=cache)
            print(f"load_decoder() cold (GGUF -> safetensors):   {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    lm = load_decoder(progress=print)
    print(f"load_decoder() warm cache (first in process): {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    load_decoder()
    print(f"load_decoder() again (files in page cache):   {time.perf_counter() - t0:6.2f} s")

    ids = lm.encode(PROMPT)
    n = args.new_tokens

    def ours():
        return generate(lm, ids, n)

    def plain():
        with torch.inference_mode():
            return lm.model.generate(ids[None], max_new_tokens=n, min_new_tokens=n, do_sample=False)

    ours(), plain()  # warm-up
    ours_t, full_t, plain_t = [], [], []
    for _ in range(args.repeats):  # interleaved, so a load change hits both alike
        t0 = time.perf_counter()
        ours_t.append(ours().seconds)  # the generation loop alone
        full_t.append(time.perf_counter() - t0)  # with the one-pass row check a page shows
        plain_t.extend(seconds_once(plain))
    best = {k: min(v) for k, v in (("ours", ours_t), ("full", full_t), ("plain", plain_t))}
    print(f"{n} greedy tokens after a {len(ids)}-token prompt, best of {args.repeats} "
          f"(median in brackets):")
    for name, times in (("generate() with attentions", ours_t),
                        ("  + row check (one full pass)", full_t),
                        ("model.generate (plain)", plain_t)):
        print(f"  {name:<30} {n / min(times):6.1f} tokens/s  ({n / statistics.median(times):.1f})")
    print(f"  ratio with attentions / plain: {best['plain'] / best['ours']:.2f}x "
          f"(with the row check {best['plain'] / best['full']:.2f}x)")

    for L in (16, 128):
        x = torch.randint(1000, 2000, (L,))
        t = seconds(lambda x=x: lm.attention(x), args.repeats)
        print(f"attention() of {L:>3} tokens (30 x 9 maps): {min(t) * 1e3:7.1f} ms")
    t = seconds(lambda: induction(lm, length=40, batch=4, seed=0), 1)
    print(f"induction test, 4 x (40 tokens repeated): {min(t):6.2f} s")


if __name__ == "__main__":
    main()
