"""Cached wrappers over `attention.toy.views`, keyed on plain numbers and strings only.

Every cached function takes one `InputKey` (the sidebar's inputs, hashable) and keyword
arguments; pages call the `*_of(c, LIMITS, ...)` entry points.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import streamlit as st

from attention.dashboard.page_registry import INPUTS
from attention.dashboard.sidebar import Controls
from attention.settings import Limits
from attention.toy import teaching, views

MAX_ENTRIES = 64

# The inputs every cached view depends on: a field per sidebar input, named by its key
# (key.text, key.pos, ...), and the token cap (st.cache_data hashes the fields).
InputKey = make_dataclass("InputKey", [*((c.key, Any) for c in INPUTS), ("max_tokens", int)],
                          frozen=True)
InputKey.__module__ = __name__


def key_of(c: Controls, limits: Limits) -> InputKey:
    """The cache key of this run's sidebar values under `limits`."""
    return InputKey(**{c_.key: getattr(c, c_.key) for c_ in INPUTS}, max_tokens=limits.max_tokens)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def sequence(key: InputKey) -> views.TokenInput:
    return views.build_input(text=key.text, tokens=key.tokens, d_model=key.d_model,
                             seed=key.seed, positional=key.pos, max_tokens=key.max_tokens)


def input_of(c: Controls, limits: Limits) -> views.TokenInput:
    return sequence(key_of(c, limits))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def single_head(key: InputKey, *, d_k: int, temperature: float, scaled: bool, causal: bool,
                pad: int) -> views.SingleHeadView:
    return views.single_head(sequence(key), d_k=d_k, seed=key.seed, temperature=temperature,
                             scaled=scaled, causal=causal, pad=pad, device=key.device)


def single_head_of(c: Controls, limits: Limits, *, d_k: int, temperature: float = 1.0,
                   scaled: bool = True, causal: bool = False, pad: int = 0) -> views.SingleHeadView:
    return single_head(key_of(c, limits), d_k=int(d_k), temperature=float(temperature),
                       scaled=bool(scaled), causal=bool(causal), pad=int(pad))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def multi_head(key: InputKey, *, preset: str, causal: bool,
               temperature: float) -> views.MultiHeadView:
    return views.multi_head(sequence(key), num_heads=key.heads, seed=key.seed, preset=preset,
                            causal=causal, device=key.device, temperature=temperature)


def multi_head_of(c: Controls, limits: Limits, *, preset: str = "random", causal: bool = False,
                  temperature: float = 1.0) -> views.MultiHeadView:
    return multi_head(key_of(c, limits), preset=preset, causal=bool(causal),
                      temperature=float(temperature))


@st.cache_resource(max_entries=MAX_ENTRIES, show_spinner=False)
def head_table(key: InputKey, *, preset: str, causal: bool, temperature: float) -> pa.Table:
    """The multi-head view's one row per head (`teaching.head_table`) as an Arrow table,
    shared read-only by every session: a rerun sends it without building or converting it."""
    mh = multi_head(key, preset=preset, causal=causal, temperature=temperature)
    return pa.Table.from_pandas(teaching.head_table(mh), preserve_index=False)


def head_table_of(c: Controls, limits: Limits, *, preset: str = "random", causal: bool = False,
                  temperature: float = 1.0) -> pa.Table:
    return head_table(key_of(c, limits), preset=preset, causal=bool(causal),
                      temperature=float(temperature))


@st.cache_resource(show_spinner=False)
def scaling_experiment() -> views.ScalingExperiment:
    """The same draws for everyone: the experiment shows a fact about random vectors."""
    return views.scaling_experiment(seed=0)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def temperature_sweep(key: InputKey, *, d_k: int, causal: bool,
                      temperatures: tuple[float, ...]) -> np.ndarray:
    """(n, L) entropy per temperature: the scores do not depend on the temperature."""
    v = single_head(key, d_k=d_k, temperature=1.0, scaled=True, causal=causal, pad=0)
    return views.temperature_sweep(v.scores, v.mask, v.scale, np.array(temperatures))


def temperature_sweep_of(c: Controls, limits: Limits, *, d_k: int, causal: bool,
                         temperatures: tuple[float, ...]) -> np.ndarray:
    return temperature_sweep(key_of(c, limits), d_k=int(d_k), causal=bool(causal),
                             temperatures=tuple(temperatures))
