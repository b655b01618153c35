"""The shared sidebar: every control of `page_registry.SIDEBAR`, keyed and bound to the URL,
validated first, drawn in order; a page's unused inputs disabled."""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any

import streamlit as st

from attention.dashboard.control import PageControls
from attention.dashboard.page_registry import SHARED, SIDEBAR
from attention.dashboard.page_registry import page as registered_page
from attention.settings import Limits

# Presentation only (the declaration owns ranges and defaults).
SHOWN: dict[str, dict[str, Any]] = {"text": {"height": 80}, "tokens": {"placeholder": "the sentence"}}
WHY_UNDER = "Toy model"  # the header under which a page says why some inputs are disabled

# The sidebar's values for one run: a field per shared control, named by its key (c.text,
# c.heads, c.pos, ...), and `note`, said when d_model had to be adjusted.
Controls = make_dataclass("Controls", [*((c.key, Any) for c in SHARED), ("note", Any, None)],
                          frozen=True)
Controls.__module__ = __name__


def fit_width(d_model: int, heads: int) -> tuple[int, str | None]:
    """d_model made a multiple of heads, each head at least 2 wide; a note if it changed."""
    usable = max(d_model // heads, 2) * heads
    if usable == d_model:
        return d_model, None
    return usable, (f"d_model {d_model} is not a multiple of {heads} heads (of at least 2 dims); "
                    f"using {usable}")


def sidebar(limits: Limits, page: str = "single_head") -> tuple[Controls, list[str]]:
    """Draw the shared controls; return their values and the link-validation notes.

    Args:
        page: the url path of the page about to run; the inputs it leaves unused (its
            registry entry's `unused`) are disabled (they keep their values for the others).
    """
    ctl = PageControls(SHARED, limits)
    registered = registered_page(page)
    off = registered.unused if registered else frozenset()
    sb = st.sidebar
    values = {}
    for header, group in SIDEBAR.items():
        if header:
            sb.header(header)
        if header == WHY_UNDER and registered and registered.unused_why:
            sb.caption(registered.unused_why)
        for c in group:
            values[c.key] = ctl.draw(c.key, sb, disabled=c.key in off, **SHOWN.get(c.key, {}))
    values["d_model"], note = fit_width(values["d_model"], values["heads"])
    return Controls(**values, note=note), ctl.notes
