"""The lab's shared, read-only data: the shipped runs, generations from them, their loss on
a repeated sequence (heads knocked out or not), and the d_head sweep."""

from __future__ import annotations

import streamlit as st

from attention.lab.analysis import RepeatLoss, repeat_loss
from attention.lab.generation_view import GenerationView, generation_view
from attention.lab.runs import SWEEP_FILE, load_shipped
from attention.lab.sweep import SweepPoint, load_sweep
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


@st.cache_data(max_entries=32, show_spinner=False)
def shipped_repeat_loss(name: str, knockout: tuple[tuple[int, int], ...]) -> RepeatLoss:
    """Shipped run `name` on sequences repeated twice, `knockout` heads zeroed."""
    return repeat_loss(shipped(name), knockout)


def repeat_loss_of(run: TrainingRun, name: str | None,
                   knockout: tuple[tuple[int, int], ...]) -> RepeatLoss:
    """`run` on sequences repeated twice (256 x max_len tokens, a few milliseconds): cached
    across sessions for the shipped run `name`, computed afresh for a session's own run."""
    if name is not None:
        return shipped_repeat_loss(name, tuple(knockout))
    return repeat_loss(run, knockout)


@st.cache_resource(show_spinner=False)
def sweep() -> list[SweepPoint] | None:
    """The shipped d_head sweep, read once per process; None when it is not there."""
    try:
        return load_sweep(SWEEP_FILE)
    except ValueError:
        return None
