"""The shared sidebar: every control keyed and bound to the URL, validated first."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from attention.dashboard import control_catalog as cc
from attention.dashboard.control import PageControls
from attention.dashboard.page_registry import page as registered_page
from attention.settings import Limits


@dataclass(frozen=True)
class Controls:
    """The shared inputs every page reads."""

    text: str
    tokens: int | None  # a random sequence of this many positions replaces the sentence
    d_model: int  # a multiple of heads, each head at least 2 wide
    heads: int
    seed: int
    positional: bool
    device: str
    note: str | None  # said when d_model had to be adjusted
    workshop: bool = False  # the guided path's banners and next links


def sidebar(limits: Limits, page: str = "single_head") -> tuple[Controls, list[str]]:
    """Draw the shared controls; return their values and the link-validation notes.

    Args:
        page: the url path of the page about to run; controls it leaves unused (its
            registry entry's `unused`) are disabled (they keep their values for the others).
    """
    ctl = PageControls(cc.SHARED, limits)
    registered = registered_page(page)
    off = registered.unused if registered else frozenset()
    sb = st.sidebar
    workshop = ctl.draw("workshop", sb)
    sb.header("Input")
    text = ctl.draw("text", sb, height=80, disabled="text" in off)
    tokens = ctl.draw("tokens", sb, placeholder="the sentence", disabled="tokens" in off)
    positional = ctl.draw("pos", sb, disabled="pos" in off)
    sb.header("Toy model")
    if registered and registered.unused_why:
        sb.caption(registered.unused_why)
    d_model = ctl.draw("d_model", sb, disabled="d_model" in off)
    heads = ctl.draw("heads", sb, disabled="heads" in off)
    seed = ctl.draw("seed", sb, disabled="seed" in off)
    device = ctl.draw("device", sb, disabled="device" in off)
    note = None
    usable = max(d_model // heads, 2) * heads  # d_head >= 2, d_model divisible by heads
    if usable != d_model:
        note = f"d_model {d_model} is not a multiple of {heads} heads (of at least 2 dims); using {usable}"
        d_model = usable
    return Controls(text=text, tokens=tokens, d_model=d_model, heads=heads, seed=seed,
                    positional=positional, device=device, note=note, workshop=workshop), ctl.notes
