"""Attention Explorer: the entry file. Page config, torch threads, shared sidebar, navigation."""

import streamlit as st
import torch

from attention.dashboard.controls import sidebar
from attention.dashboard.frame import CONTROLS_KEY, LIMITS
from attention.dashboard.hosting import apply_profile
from attention.dashboard.params import show_notes

# First: the hosted profile hides error details and the cache menu, however it was chosen.
options_changed = apply_profile(LIMITS)


@st.cache_resource
def _set_threads(n: int) -> int:
    """Once per server process: the process shares its cores among every session."""
    torch.set_num_threads(n)
    return torch.get_num_threads()


st.set_page_config(page_title="Attention Explorer", page_icon=":material/visibility:", layout="wide")
_set_threads(LIMITS.torch_threads)

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("app_pages/single_head.py", title="Single head", icon=":material/center_focus_strong:", url_path="single_head"),
    st.Page("app_pages/multi_head.py", title="Multi head", icon=":material/grid_view:", url_path="multi_head"),
    st.Page("app_pages/causal.py", title="Causal", icon=":material/arrow_forward:", url_path="causal"),
    st.Page("app_pages/entropy.py", title="Entropy", icon=":material/bar_chart:", url_path="entropy"),
    st.Page("app_pages/pretrained.py", title="Pretrained model", icon=":material/model_training:", url_path="pretrained"),
    st.Page("app_pages/lab.py", title="Learning lab", icon=":material/school:", url_path="lab"),
]
pg = st.navigation(pages)
if options_changed:
    st.rerun()  # once per process: the new menu reaches the browser with a run's start

controls, notes = sidebar(LIMITS, pg.url_path)
st.session_state[CONTROLS_KEY] = controls
show_notes(notes)
if controls.note:
    st.caption(controls.note)
pg.run()
