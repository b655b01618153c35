"""What every page shares: the limits, the sidebar's values, page controls, lessons."""

from __future__ import annotations

import streamlit as st

from ..settings import load_limits
from .controls import Controls
from .lessons import LESSONS
from .params import Param, clean_link, show_notes

LIMITS = load_limits()
CONTROLS_KEY = "_shared_controls"


def shared() -> Controls:
    """The sidebar's values for this run (drawn by the entry file before the page)."""
    return st.session_state[CONTROLS_KEY]


def page_params(params: list[Param]) -> None:
    """Validate a page's own URL parameters before its widgets exist; say what changed."""
    show_notes(clean_link(params))


def lesson(page: str) -> None:
    """The page's short text: what you see, what to try."""
    text = LESSONS[page]
    st.markdown(text["intro"])
    with st.expander("What to try", expanded=False):
        st.markdown(text["try"])


def question(page: str) -> None:
    """One question to think about, its answer behind an expander."""
    text = LESSONS[page]
    st.markdown(f"**Think first:** {text['question']}")
    with st.expander("Reveal the answer"):
        st.markdown(text["answer"])


def ran_on(device: str) -> None:
    st.sidebar.caption(f"Computed on **{device}**.")
