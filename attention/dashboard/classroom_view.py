"""The instructor's view: start a class, its two links, the room's answers filling live, a
Reveal button per question, and whether learners wait for it."""

from __future__ import annotations

import streamlit as st

from attention import charts
from attention.classroom import ClassInfo, Refused, Store
from attention.dashboard import control_catalog as cc
from attention.dashboard.classroom import (
    KEYS,
    LIMITS,
    POLL_S,
    QUESTIONS,
    instructor_key,
    room,
    store,
)
from attention.dashboard.classroom_links import base_url
from attention.dashboard.control import PageControls
from attention.dashboard.display import show
from attention.dashboard.lessons import LESSONS
from attention.dashboard.markdown import escape
from attention.dashboard.page_registry import PAGES

NOTE = "_class_view_note"


def page() -> None:
    st.title("Classroom")
    if not LIMITS.allow_classes:
        st.info("Classes are turned off on this server.", icon=":material/block:")
        return
    s = store()
    if s is None:
        st.error("The class store cannot be opened here, so classes are not available. "
                 "See README, “Run a class”.", icon=":material/error:")
        return
    note = st.session_state.pop(NOTE, None)
    if note:
        st.warning(escape(note))
    info = room()
    key = instructor_key(info.code) if info else None
    if info is None or key is None:
        _start(info)
        return
    _links(info, key)
    st.toggle("Learners see an answer only when I reveal it", value=info.wait_for_reveal,
              key="class_wait", on_change=_set_wait, args=(info.code, key),
              help="Off: each learner sees the answer as soon as they choose (their first choice "
                   "kept), as when alone.")
    st.caption("Open any page and press **Send this view to the class** in the sidebar: every "
               "learner gets a banner offering to go there.")
    _room(info.code, key)


def _start(info: ClassInfo | None) -> None:
    if info is not None:
        st.info(f"You are in class **{info.code}** as a learner: your predictions join the "
                "room's. The room's answers are for the instructor link.", icon=":material/groups:")
    st.markdown("Start a class to see your room's predictions live, reveal each answer to "
                "everyone at once, and send the whole room to the view you are showing. "
                "No accounts and no names: learners are anonymous. A class ends after 24 hours.")
    st.toggle("Learners see an answer only when I reveal it", value=True, key="class_wait_new")
    st.button("Start a class", type="primary", icon=":material/add:", key="class_start",
              on_click=_start_class)


def _start_class() -> None:
    try:
        info, key = store().create_class(
            wait_for_reveal=bool(st.session_state.get("class_wait_new", True)))
    except Refused as e:
        st.session_state[NOTE] = str(e)
        return
    st.session_state.setdefault(KEYS, {})[info.code] = key
    PageControls((cc.CLASS,), LIMITS).set("class", info.code)


def _set_wait(code: str, key: str) -> None:
    try:
        store().set_wait_for_reveal(code, key, bool(st.session_state.get("class_wait")))
    except Refused as e:
        st.session_state[NOTE] = str(e)


def _links(info: ClassInfo, key: str) -> None:
    base = base_url()
    st.markdown(f"### Class code: `{info.code}`")
    st.markdown("**Learners open** (or type the code in the sidebar's Class box):")
    st.code(f"{base}/?class={info.code}", language=None)
    with st.expander("Your instructor link (keep it private: it reveals answers and sends views)"):
        st.code(f"{base}/classroom?class={info.code}&key={key}", language=None)
        st.caption("Open it on another device to teach from there. It never appears in a "
                   "learner's page or in a view you send.")


@st.fragment(run_every=POLL_S)
def _room(code: str, key: str) -> None:
    s: Store | None = store()
    if s is None:
        return
    tallies = s.tallies(code)
    revealed = s.revealed(code)
    asked = [p for p in PAGES if p.name in QUESTIONS]
    for n, p in enumerate(asked, 1):
        text = LESSONS[p.name]
        counts = tallies.get(p.name, [0] * len(text["choices"]))
        with st.container(border=True):
            st.markdown(f"**{n}. {p.title}:** {text['question']}")
            done = p.name in revealed
            show(charts.class_votes(text["choices"], counts, title=f"{sum(counts)} answered",
                                    right=text["correct"] if done else None),
                 key=f"class_votes_{p.name}", width="stretch")
            cols = st.columns([1, 1, 3], vertical_alignment="center")
            if done:
                cols[0].markdown(":material/visibility: Revealed")
            else:
                cols[0].button("Reveal", key=f"reveal_{p.name}", icon=":material/visibility:",
                               on_click=_reveal, args=(code, key, p.name))
            cols[1].page_link(p.file, label="Open the page", query_params={"class": code})


def _reveal(code: str, key: str, question: str) -> None:
    try:
        store().reveal(code, key, question)
    except Refused as e:
        st.session_state[NOTE] = str(e)
