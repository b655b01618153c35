"""The real model, loaded once per server, and its cached runs keyed on plain values.

Models and runs are `st.cache_resource` (shared, read-only, never pickled): a run holds
every layer's weights and hidden states. Small per-head results are `st.cache_data`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from .. import pretrained_views as pv
from ..pretrained import DEFAULT_NAME, PretrainedModel, PretrainedRun, load_model

RUN_ENTRIES = 16  # a 512-token run holds ~90 MB; 128 tokens ~6 MB


@dataclass(frozen=True)
class Loaded:
    model: PretrainedModel
    seconds: float  # how long the first load took


@st.cache_resource(max_entries=4, show_spinner=False)
def model(name: str = DEFAULT_NAME) -> Loaded:
    """Load a model once per server; `DEFAULT_NAME` is the packaged one (no network).

    Raises:
        ValueError: it cannot be loaded (not cached, so a fixed path loads next time).
    """
    t0 = time.perf_counter()
    m = load_model(None if name == DEFAULT_NAME else name)
    return Loaded(m, time.perf_counter() - t0)


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def run(name: str, text: str, max_tokens: int) -> tuple[PretrainedRun, pv.ModelView]:
    """One sentence through the model: the run (for q, k, v) and its numpy view."""
    r = model(name).model.attend(text, max_length=max_tokens)
    return r, pv.model_view(r)


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def shown(name: str, text: str, max_tokens: int,
          hide: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The maps as drawn: (layers, H, L, L) weights and (L, L) rollout, with their tokens;
    with `hide`, special tokens dropped and rows renormalised."""
    _, v = run(name, text, max_tokens)
    if not hide or v.special.all():
        return v.weights, v.rollout, v.tokens
    tokens = [t for t, s in zip(v.tokens, v.special) if not s]
    return (pv.without_special(v.weights, v.special), pv.without_special(v.rollout, v.special),
            tokens)


@st.cache_data(max_entries=64, show_spinner=False)
def head_detail(name: str, text: str, max_tokens: int, layer: int, head: int,
                hide: bool) -> pv.HeadDetail:
    r, _ = run(name, text, max_tokens)
    return pv.head_detail(model(name).model, r, layer, head, hide=hide)
