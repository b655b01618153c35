"""The lab's shared, read-only data: the shipped runs, and generations from them."""

from __future__ import annotations

import streamlit as st

from attention.lab.generation_view import GenerationView, generation_view
from attention.lab.runs import load_shipped
from attention.lab.training import TrainingRun

DEFAULT_RUN, ONE_LAYER_RUN = "induction_2l", "induction_1l"
SCALING_RUNS = {"scaled": "scaling_scaled", "unscaled": "scaling_unscaled"}


@st.cache_resource(show_spinner=False)
def shipped(name: str) -> TrainingRun:
    """A run trained by `make lab-runs`, loaded once per process and shared by every session."""
    return load_shipped(name)


@st.cache_data(max_entries=64, show_spinner=False)
def shipped_generation(name: str, prefix: tuple[int, ...], n_new: int) -> GenerationView:
    """What shipped run `name` generates from `prefix`, keyed on plain values."""
    return generation_view(shipped(name), prefix, n_new)


def generation(run: TrainingRun, name: str | None, prefix: list[int],
               n_new: int) -> GenerationView:
    """`run` continues `prefix` by `n_new` tokens: cached across sessions when it is the
    shipped run `name`, computed afresh for a session's own run (name None)."""
    if name is not None:
        return shipped_generation(name, tuple(prefix), int(n_new))
    return generation_view(run, prefix, int(n_new))
