"""Workshop mode: an ordered ~90-minute path across the registered pages, a step banner and a
next link."""

from __future__ import annotations

import streamlit as st

from attention.dashboard.page_registry import PAGES, PATH

WORKSHOP_KEY = "workshop"


def is_on() -> bool:
    return bool(st.session_state.get(WORKSHOP_KEY, False))


def index_of(url_path: str) -> int | None:
    """The page's step on the workshop path (from 0), or None off the path."""
    for i, s in enumerate(PATH):
        if s.url_path == url_path:
            return i
    return None


# On a projector (1280 x 720) the page's key chart must show without scrolling: less
# padding above the title, a smaller title.
_COMPACT_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2rem; padding-bottom: 0.25rem; }
</style>"""


def banner(url_path: str) -> bool:
    """In workshop mode: which step this is, how long it takes, what it is for.

    Returns:
        True when workshop mode is on (the page then folds its introduction away).
    """
    i = index_of(url_path)
    if not is_on() or i is None:
        return False
    st.html(_COMPACT_CSS)
    path = PATH
    s = path[i]
    st.info(f"**Workshop · step {i + 1} of {len(path)} · about {s.minutes} min.** {s.goal}",
            icon=":material/school:")
    return True


def more(what: str):
    """Where a page's deeper sections go: in workshop mode an expander "More: `what`", folded
    (the step's time is for the key chart and the question); otherwise the page itself."""
    if is_on():
        return st.expander(f"More: {what}", expanded=False, icon=":material/add_circle:")
    return st.container()


def next_step(url_path: str) -> None:
    """In workshop mode: a link to the next step of the path."""
    i = index_of(url_path)
    path = PATH
    if not is_on() or i is None or i + 1 >= len(path):
        return
    s = path[i + 1]
    st.page_link(s.file, label=f"Next step: {s.title} (about {s.minutes} min)",
                 icon=":material/arrow_forward:")


def path_table() -> None:
    """The whole path, in order, with its timings and links."""
    path = PATH
    total = sum(s.minutes for s in path)
    st.markdown(f"A guided path of **{len(path)} steps, about {total} minutes**. Switch on "
                "**Workshop mode** in the sidebar: each page then says which step it is and "
                "links to the next, and every link you share keeps the mode on.")
    for n, s in enumerate(path, 1):
        cols = st.columns([3, 1, 8], vertical_alignment="center")
        cols[0].page_link(s.file, label=f"{n}. {s.title}")
        cols[1].markdown(f"{s.minutes} min")
        cols[2].markdown(s.goal)
    after = [p for p in PAGES if not p.on_path]
    if after:
        st.markdown("**After the workshop**, at your own pace:")
        for s in after:
            cols = st.columns([3, 1, 8], vertical_alignment="center")
            cols[0].page_link(s.file, label=s.title)
            cols[1].markdown(f"{s.minutes} min")
            cols[2].markdown(s.goal)

