"""The GPT-style model, loaded lazily once per server, and its cached results on plain keys.

The model and the big results (a generation holds layers x H x T x T weights) are
`st.cache_resource` (shared, read-only, never pickled); small per-head results are
`st.cache_data`. Every key is plain numbers and strings, the model first: its name or path
as typed, "" for the packaged model (`PACKAGED`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from attention import charts
from attention.dashboard.display import packed
from attention.dashboard.forward_gate import model_turn
from attention.pretrained import decoder_analysis as da
from attention.pretrained import decoder_views as dv
from attention.pretrained.analysis import head_stats_frame
from attention.pretrained.decoder import DecoderModel, load_decoder

RUN_ENTRIES = 8  # a generation of 320 tokens holds ~110 MB of weights; of 64 tokens ~4 MB
INDUCTION_BATCH = 4  # random sequences averaged per induction test
PACKAGED = ""  # the model key of the packaged SmolLM2


@dataclass(frozen=True)
class Loaded:
    model: DecoderModel
    seconds: float  # how long the first load took


@st.cache_resource(max_entries=1, show_spinner=False)
def decoder(model: str = PACKAGED) -> Loaded:
    """The model once per server (one at a time): `PACKAGED` is the packaged SmolLM2 (a
    first load converts it, ~25 s), any other string a local directory or a hub name.

    Raises:
        ValueError: the model cannot be loaded (a missing path, not a causal LM, a hub name
            without a network); `DecoderUnavailable` when the package is not installed. Not
            cached: fixing it and reloading the page works without a restart.
    """
    t0 = time.perf_counter()
    lm = load_decoder(model or None, progress=print)
    return Loaded(lm, time.perf_counter() - t0)


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def generation(model: str, prompt: str, new_tokens: int, max_prompt_tokens: int,
               temperature: float, seed: int, sample: bool) -> dv.GenerationView:
    """The prompt continued, every step's rows and top-5 kept.

    Raises:
        ValueError: the prompt gives no tokens.
    """
    lm = decoder(model).model
    with model_turn("this generation"):  # a few forwards at once per server, one per visitor
        return dv.generation_view(lm, prompt, int(new_tokens),
                                  max_prompt_tokens=int(max_prompt_tokens),
                                  temperature=float(temperature), seed=int(seed),
                                  sample=bool(sample))


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def prompt_run(model: str, prompt: str, max_prompt_tokens: int):
    """The prompt alone through the model: a `DecoderRun` (weights and layer inputs)."""
    lm = decoder(model).model
    with model_turn("this prompt"):
        return lm.run(lm.encode(prompt, max_tokens=int(max_prompt_tokens)))


def prompt_tokens(model: str, prompt: str, max_prompt_tokens: int) -> tuple[list[str], int]:
    """The prompt's tokens as the model sees them, and how many the whole prompt has."""
    lm = decoder(model).model
    whole = len(lm.encode(prompt))
    return prompt_run(model, prompt, max_prompt_tokens).tokens, whole


@st.cache_data(max_entries=64, show_spinner=False)
def head_detail(model: str, prompt: str, max_prompt_tokens: int, layer: int,
                head: int) -> dv.DecoderHeadDetail:
    """One head of the prompt's run recomputed from q and k after RoPE."""
    run = prompt_run(model, prompt, max_prompt_tokens)
    return dv.decoder_head_detail(decoder(model).model, run, int(layer), int(head))


@st.cache_data(max_entries=32, show_spinner=False)
def sinks(model: str, prompt: str, max_prompt_tokens: int) -> np.ndarray:
    """(layers, H) mean weight on the first token over rows >= 1 (needs 2 tokens)."""
    return da.sink_share(prompt_run(model, prompt, max_prompt_tokens).weights).numpy()


@st.cache_data(max_entries=32, show_spinner=False)
def entropy_rows(model: str, prompt: str, max_prompt_tokens: int,
                 layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One layer's row entropy (mean and minimum over heads) and ln(i + 1); (L,) each."""
    weights = prompt_run(model, prompt, max_prompt_tokens).weights.numpy()
    return dv.entropy_rows(weights, int(layer))


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def induction(model: str, copy_tokens: int, seed: int) -> dv.InductionView:
    """Random sequences of `copy_tokens` tokens, each repeated once, through the model."""
    lm = decoder(model).model
    with model_turn("the induction test"):
        return dv.induction_view(lm, length=int(copy_tokens), batch=INDUCTION_BATCH,
                                 seed=int(seed))


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def model_view_chart(model: str, prompt: str, max_prompt_tokens: int) -> charts.Chart:
    """Every layer and head of the prompt's run as small multiples, one row per layer."""
    run = prompt_run(model, prompt, max_prompt_tokens)
    weights = run.weights.numpy()  # (layers, H, L, L)
    layers, H, L, _ = weights.shape
    titles = [f"layer {i} · head {j}" for i in range(layers) for j in range(H)]
    return packed(charts.head_grid(weights.reshape(layers * H, L, L), run.tokens, run.tokens,
                                   titles, columns=H, size=60, axis_labels=False))


@st.cache_data(max_entries=32, show_spinner=False)
def head_stats(model: str, prompt: str, max_prompt_tokens: int) -> pd.DataFrame:
    """Per-head statistics of the prompt's run (see `head_stats_frame`), [SEP] left out."""
    frame = head_stats_frame(prompt_run(model, prompt, max_prompt_tokens).weights)
    return frame.drop(columns="sep").rename(columns={"cls": "first_token"})
