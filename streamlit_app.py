"""Attention Explorer: the entry file. Page config, torch threads, shared sidebar, navigation."""

import streamlit as st
import torch

from attention.dashboard import classroom
from attention.dashboard.hosting import apply_profile
from attention.dashboard.page_parts import CONTROLS_KEY, LIMITS
from attention.dashboard.page_registry import PAGES
from attention.dashboard.params import show_notes
from attention.dashboard.sidebar import sidebar

# First: the hosted profile hides error details and the cache menu, however it was chosen.
options_changed = apply_profile(LIMITS)


@st.cache_resource
def _set_threads(n: int) -> int:
    """Once per server process: the process shares its cores among every session."""
    torch.set_num_threads(n)
    return torch.get_num_threads()


st.set_page_config(page_title="Attention Explorer", page_icon=":material/visibility:", layout="wide")
_set_threads(LIMITS.torch_threads)

pg = st.navigation([st.Page(p.file, title=p.title, icon=p.icon, default=not p.url_path,
                            **({"url_path": p.url_path} if p.url_path else {})) for p in PAGES]
                   + classroom.navigation())
if options_changed:
    st.rerun()  # once per process: the new menu reaches the browser with a run's start

classroom.follow_pending(pg.url_path)  # a learner who followed the instructor: its values
controls, notes = sidebar(LIMITS, pg.url_path)
st.session_state[CONTROLS_KEY] = controls
show_notes(notes)
if controls.note:
    st.caption(controls.note)
classroom.sidebar_section(pg.url_path)  # the class code, the instructor's banner, my summary
pg.run()
