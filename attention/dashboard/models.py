"""The real model, loaded once per server, and its cached runs keyed on plain values.

Models and runs are `st.cache_resource` (shared, read-only, never pickled): a run holds
every layer's weights and hidden states. Small per-head results are `st.cache_data`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from attention import charts
from attention.dashboard.display import packed
from attention.dashboard.forward_gate import model_turn
from attention.pretrained import views as pv
from attention.pretrained.encoder import DEFAULT_NAME, PretrainedModel, PretrainedRun, load_model

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
    m = model(name).model
    with model_turn("this sentence"):  # a few forwards at once per server, one per visitor
        r = m.attend(text, max_length=max_tokens)
    return r, pv.model_view(r)


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def hidden(name: str, text: str, max_tokens: int) -> pv.WithoutSpecial:
    """The maps and both rollouts with special tokens hidden: one torch call per sentence,
    made the first time a session hides them."""
    r, _ = run(name, text, max_tokens)
    return pv.without_special(r)


def shown(name: str, text: str, max_tokens: int,
          hide: bool) -> pv.ModelView | pv.WithoutSpecial:
    """The maps as drawn (`.tokens`, `.weights` (layers, H, L, L), `.rollout` (L, L)); with
    `hide`, special tokens dropped and rows renormalised (unless nothing would be left)."""
    _, v = run(name, text, max_tokens)
    return hidden(name, text, max_tokens) if hide and not v.special.all() else v


@st.cache_data(max_entries=64, show_spinner=False)
def head_detail(name: str, text: str, max_tokens: int, layer: int, head: int,
                hide: bool) -> pv.HeadDetail:
    r, _ = run(name, text, max_tokens)
    return pv.head_detail(model(name).model, r, layer, head, hide=hide)


# Charts cached across sessions: built once per sentence (and view), never per rerun, so
# moving the layer or head slider does not redraw 72 maps, and a sentence someone else
# already entered costs nothing.


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def model_view_chart(name: str, text: str, max_tokens: int, hide: bool) -> tuple[charts.Chart, int]:
    """Every layer and head as small multiples (the same chart whatever head is selected);
    and how many heads a row."""
    maps = shown(name, text, max_tokens, hide)
    weights, toks = maps.weights, maps.tokens
    layers, H, L, _ = weights.shape
    titles = [f"layer {i} · head {j}" for i in range(layers) for j in range(H)]
    per_row = H // 2 if H % 2 == 0 and H > 6 else H  # 12 heads: two rows of 6 per layer
    grid = weights.reshape(layers * H, L, L)  # (layers * H, L, L), row-major: layer by layer
    small = not charts.draws_as_image(L, L, layers * H)  # rect marks: an axis title a panel
    panel = max(50, min(70 if small else 100, 600 // per_row))
    # Token labels travel as data (hover names the pair); the spec depends on shapes alone.
    return packed(charts.head_grid(grid, toks, toks, titles, columns=per_row, size=panel,
                                   axis_labels=False, select="head")), per_row


@st.cache_resource(max_entries=4 * RUN_ENTRIES, ttl=3600, show_spinner=False)
def stats_chart(name: str, text: str, max_tokens: int, stat: str) -> charts.Chart:
    """The layers x heads table of one statistic: a spec built once per shape and scale,
    this sentence's statistics as its data. Entropy is coloured on [0, ln n] and the mean
    distance on [0, n - 1], n the tokens of the run (the full maps, special tokens included)."""
    _, view = run(name, text, max_tokens)
    column, meaning = pv.STATISTICS[stat]
    frame, top = pv.stats_heat_frame(view.stats, column, n_keys=len(view.tokens))
    return packed(charts.stats_heat_table(frame, top, shares=column in pv.SHARE_COLUMNS,
                                          title=f"{stat}: {meaning}", value_title=stat))


def rollout(name: str, text: str, max_tokens: int, hide: bool,
            plain: bool = False) -> tuple[np.ndarray, list[str]]:
    """The (L, L) rollout as shown (`hide`) and its tokens; with `plain`, the rollout of the
    maps with special tokens hidden in every layer."""
    if plain:
        h = hidden(name, text, max_tokens)
        return h.plain_rollout, h.tokens
    maps = shown(name, text, max_tokens, hide)
    return maps.rollout, maps.tokens


@st.cache_resource(max_entries=RUN_ENTRIES, ttl=3600, show_spinner=False)
def rollout_chart(name: str, text: str, max_tokens: int, hide: bool,
                  plain: bool = False) -> charts.Chart:
    values, toks = rollout(name, text, max_tokens, hide, plain)
    layers = run(name, text, max_tokens)[1].weights.shape[0]
    return packed(charts.heatmap(values, toks, toks, kind="weights",
                                 title=f"Rollout through all {layers} layers",
                                 value_title="share", row_title="position", col_title="input token"))
