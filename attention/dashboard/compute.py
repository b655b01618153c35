"""Cached wrappers over `attention.views`: keyed on plain numbers and strings only."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import views
from ..settings import Limits
from .controls import Controls

MAX_ENTRIES = 64


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def sequence(text: str, tokens: int | None, d_model: int, seed: int, positional: bool,
             max_tokens: int) -> views.Sequence:
    return views.build_input(text, tokens, d_model, seed, positional, max_tokens)


def input_of(c: Controls, limits: Limits) -> views.Sequence:
    return sequence(c.text, c.tokens, c.d_model, c.seed, c.positional, limits.max_tokens)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def single_head(text: str, tokens: int | None, d_model: int, seed: int, positional: bool,
                max_tokens: int, d_k: int, temperature: float, scaled: bool, causal: bool,
                pad: int, device: str) -> views.SingleHeadView:
    seq = sequence(text, tokens, d_model, seed, positional, max_tokens)
    return views.single_head(seq, d_k, seed, temperature=temperature, scaled=scaled,
                             causal=causal, pad=pad, device=device)


def single_head_of(c: Controls, limits: Limits, *, d_k: int, temperature: float = 1.0,
                   scaled: bool = True, causal: bool = False, pad: int = 0) -> views.SingleHeadView:
    return single_head(c.text, c.tokens, c.d_model, c.seed, c.positional, limits.max_tokens,
                       d_k, float(temperature), bool(scaled), bool(causal), int(pad), c.device)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def multi_head(text: str, tokens: int | None, d_model: int, seed: int, positional: bool,
               max_tokens: int, heads: int, preset: str, causal: bool,
               device: str, temperature: float = 1.0) -> views.MultiHeadView:
    seq = sequence(text, tokens, d_model, seed, positional, max_tokens)
    return views.multi_head(seq, heads, seed, preset=preset, causal=causal, device=device,
                            temperature=temperature)


def multi_head_of(c: Controls, limits: Limits, *, preset: str = "random", causal: bool = False,
                  temperature: float = 1.0) -> views.MultiHeadView:
    return multi_head(c.text, c.tokens, c.d_model, c.seed, c.positional, limits.max_tokens,
                      c.heads, preset, bool(causal), c.device, float(temperature))


@st.cache_resource(show_spinner=False)
def scaling_experiment() -> views.ScalingExperiment:
    """The same draws for everyone: the experiment shows a fact about random vectors."""
    return views.scaling_experiment(seed=0)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def temperature_sweep(text: str, tokens: int | None, d_model: int, seed: int, positional: bool,
                      max_tokens: int, d_k: int, causal: bool, device: str,
                      temperatures: tuple[float, ...]) -> np.ndarray:
    """(n, L) entropy per temperature: the scores do not depend on the temperature."""
    v = single_head(text, tokens, d_model, seed, positional, max_tokens, d_k, 1.0, True, causal,
                    0, device)
    return views.temperature_sweep(v.scores, v.mask, v.scale, np.array(temperatures))


def temperature_sweep_of(c: Controls, limits: Limits, *, d_k: int, causal: bool,
                         temperatures: tuple[float, ...]) -> np.ndarray:
    return temperature_sweep(c.text, c.tokens, c.d_model, c.seed, c.positional, limits.max_tokens,
                             d_k, bool(causal), c.device, temperatures)
