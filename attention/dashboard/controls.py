"""The shared sidebar: every control keyed and bound to the URL, validated first."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ..device import available_devices
from ..settings import Limits
from ..views import DEFAULT_TEXT
from .params import Param, bounded, clean_link

MAX_SEED = 2**31 - 1
D_MODEL_DEFAULT, HEADS_DEFAULT = 64, 4


@dataclass(frozen=True)
class Controls:
    """The shared inputs every page reads."""

    text: str
    tokens: int | None  # a random sequence of this many positions replaces the sentence
    d_model: int  # rounded down to a multiple of heads
    heads: int
    seed: int
    positional: bool
    device: str
    note: str | None  # said when d_model had to be adjusted
    workshop: bool = False  # the guided path's banners and next links


# Pages that leave some shared controls unused: those are disabled there, with a word why.
ALL_INPUTS = frozenset({"text", "tokens", "pos", "d_model", "heads", "seed", "device"})
UNUSED: dict[str, tuple[frozenset[str], str]] = {
    "": (ALL_INPUTS, "The overview computes nothing: these controls act on the other pages."),
    "pretrained": (ALL_INPUTS - {"text"}, "The real model has its own width, heads and "
                                          "weights: only the Sentence is used here."),
    "lab": (frozenset({"text", "tokens", "pos", "device"}),
            "The lab trains on random token sequences with learned positions, on the CPU: it "
            "takes Heads, d_model and Seed from here."),
}


def shared_params(limits: Limits) -> list[Param]:
    return [
        Param("text", "text", max_chars=limits.max_text_chars),
        Param("tokens", "int", lo=1, hi=limits.max_tokens, allow_empty=True),
        Param("d_model", "int", lo=2, hi=limits.max_d_model),
        Param("heads", "int", lo=1, hi=limits.max_heads),
        Param("seed", "int", lo=0, hi=MAX_SEED),
        Param("pos", "bool"),
        Param("device", "choice", choices=tuple(["auto", *available_devices()])),
        Param("workshop", "bool"),
    ]


def sidebar(limits: Limits, page: str = "single_head") -> tuple[Controls, list[str]]:
    """Draw the shared controls; return their values and the link-validation notes.

    Args:
        page: the url path of the page about to run; controls it leaves unused (`UNUSED`)
            are disabled (they keep their values for the other pages).
    """
    notes = clean_link(shared_params(limits))
    sb = st.sidebar
    workshop = sb.toggle("Workshop mode", value=False, key="workshop", bind="query-params",
                         help="A guided ~90-minute path: each page says its step and links "
                              "to the next.")
    off, why = UNUSED.get(page, (frozenset(), None))
    sb.header("Input")
    text = sb.text_area("Sentence", value=DEFAULT_TEXT, key="text", bind="query-params",
                        max_chars=limits.max_text_chars, height=80, disabled="text" in off,
                        help="Words and punctuation become tokens.")
    tokens = sb.number_input("Sequence length", min_value=1, max_value=limits.max_tokens,
                             value=None, step=1, key="tokens", bind="query-params",
                             placeholder="the sentence", disabled="tokens" in off,
                             help="When set, a random sequence of this many positions "
                                  "replaces the sentence (useful for long inputs).")
    positional = sb.toggle("Positional encoding", value=True, key="pos", bind="query-params",
                           disabled="pos" in off,
                           help="Add sinusoidal position vectors to the token embeddings.")
    sb.header("Toy model")
    if why:
        sb.caption(why)
    d_model = sb.number_input("Model width (d_model)", min_value=2, max_value=limits.max_d_model,
                              value=D_MODEL_DEFAULT, step=8, key="d_model", bind="query-params",
                              disabled="d_model" in off)
    heads = sb.number_input("Heads", min_value=1, max_value=limits.max_heads, value=HEADS_DEFAULT,
                            step=1, key="heads", bind="query-params", disabled="heads" in off)
    seed = sb.number_input("Seed", min_value=0, max_value=MAX_SEED, value=0, step=1, key="seed",
                           bind="query-params", disabled="seed" in off,
                           help="Seeds the random projections and sequences.")
    device = sb.selectbox("Device", ["auto", *available_devices()], key="device",
                          bind="query-params", disabled="device" in off)
    # Bounds again on the values themselves: a forged widget message skips the browser's checks.
    d_model = bounded(d_model, 2, limits.max_d_model, D_MODEL_DEFAULT)
    heads = bounded(heads, 1, limits.max_heads, HEADS_DEFAULT)
    tokens = bounded(tokens, 1, limits.max_tokens, 1) if tokens is not None else None
    seed = bounded(seed, 0, MAX_SEED, 0)
    text = (text or "")[: limits.max_text_chars]
    device = device if device in ("auto", *available_devices()) else "auto"
    note = None
    usable = max(d_model // heads, 2) * heads  # d_head >= 2, d_model divisible by heads
    if usable != d_model:
        note = f"d_model {d_model} is not a multiple of {heads} heads (of at least 2 dims); using {usable}"
        d_model = usable
    return Controls(text=text, tokens=tokens, d_model=d_model, heads=heads, seed=seed,
                    positional=bool(positional), device=device, note=note,
                    workshop=bool(workshop)), notes
