"""The lab's shared, read-only data: the shipped runs, and generations from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from attention.lab.training import generate, load_run

RUNS_DIR = Path(__file__).resolve().parents[1] / "lab_runs"
DEFAULT_RUN, ONE_LAYER_RUN = "induction_2l", "induction_1l"
SCALING_RUNS = {"scaled": "scaling_scaled", "unscaled": "scaling_unscaled"}


@st.cache_resource(show_spinner=False)
def shipped(name: str):
    """A run trained by `make lab-runs`, loaded once per process and shared by every session."""
    return load_run(str(RUNS_DIR), name)


def generation(run, prefix: list[int], n_new: int) -> tuple[list[int], list[np.ndarray]]:
    """(tokens, maps per step): `run` continues `prefix` greedily by `n_new` tokens."""
    out = generate(run, torch.tensor(prefix, dtype=torch.long), int(n_new))
    return out.tokens.tolist(), [np.asarray(s, dtype=np.float32) for s in out.steps]


@st.cache_data(max_entries=64, show_spinner=False)
def shipped_generation(name: str, prefix: tuple[int, ...], n_new: int):
    return generation(shipped(name), list(prefix), n_new)
