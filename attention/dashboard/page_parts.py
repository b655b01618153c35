"""What every page shares: the limits, the sidebar's values, its own controls, lessons."""

from __future__ import annotations

import streamlit as st

from attention.core.device import describe_device
from attention.dashboard import classroom
from attention.dashboard.control import PageControls
from attention.dashboard.lessons import LESSONS
from attention.dashboard.markdown import escape
from attention.dashboard.page_registry import BY_NAME
from attention.dashboard.params import show_notes
from attention.dashboard.predict import first_answer, predict, take_note
from attention.dashboard.sidebar import Controls
from attention.dashboard.workshop import banner, next_step
from attention.settings import load_limits

LIMITS = load_limits()
CONTROLS_KEY = "_shared_controls"


def shared() -> Controls:
    """The sidebar's values for this run (drawn by the entry file before the page)."""
    return st.session_state[CONTROLS_KEY]


def page_controls(page: str, hi: dict[str, float] | None = None) -> PageControls:
    """The page's registered controls, validated from the link before any widget exists
    (the page says what changed); `hi` gives the ranges that depend on the input."""
    controls = PageControls(BY_NAME[page].controls, LIMITS, hi)
    show_notes(controls.notes)
    return controls


def lesson(page: str) -> None:
    """The page's short text: what you see, what to try."""
    text = LESSONS[page]
    if banner(page):  # workshop: the key chart goes above the fold, the words one click away
        with st.expander("About this page, and what to try", expanded=False):
            st.markdown(text["intro"])
            st.markdown(text["try"])
        return
    st.markdown(text["intro"])
    with st.expander("What to try", expanded=False):
        st.markdown(text["try"])


def question(page: str) -> bool:
    """Predict, then reveal: the answer shows only once a prediction is chosen, and the
    first choice stays. True once answered (a page may fold its evidence until then)."""
    text = LESSONS[page]
    if "choices" not in text:  # a question without choices: think, then open the answer
        st.markdown(f"**Think first:** {text['question']}")
        with st.expander("Reveal the answer"):
            st.markdown(text["answer"])
        next_step(page)
        return True
    st.subheader("Predict, then reveal")
    info = classroom.room()
    if info is not None:
        return _question_in_class(page, info)
    choice = predict(page, f"**{text['question']}**", text["choices"], f"predict_{page}")
    if choice is None:
        st.caption("Pick your prediction to see the answer. Your first choice is the one kept.")
    else:
        _reveal(page, choice)
    next_step(page)
    return choice is not None


def _reveal(page: str, choice: str) -> None:
    text = LESSONS[page]
    right = text["choices"][text["correct"]]
    classroom.mark_shown(page)
    if choice == right:
        st.success(f"Yes. {text['answer']}", icon=":material/check_circle:")
    else:
        st.warning(f"You predicted “{choice}”; the answer is “{right}”. {text['answer']}",
                   icon=":material/lightbulb:")


def _question_in_class(page: str, info) -> bool:
    """In a class: each choice is a vote; when the instructor reveals the answers, the vote
    may change until the reveal, and the answer shows when it comes (polled)."""
    text = LESSONS[page]
    open_vote = info.wait_for_reveal and not classroom.revealed(info, page)
    choice = predict(page, f"**{text['question']}**", text["choices"], f"predict_{page}",
                     changeable=open_vote,
                     on_choice=lambda q, i: classroom.vote(info.code, q, i))
    note = take_note(page)
    if note:
        st.caption(escape(note))
    if choice is None:
        st.caption(f"Class **{info.code}**: your prediction joins the room's (anonymous)."
                   + (" You may change it until your instructor reveals the answer."
                      if open_vote else " Your first choice is the one kept."))
    elif open_vote:
        _await_reveal(page, info, choice)
    else:
        _reveal(page, choice)
    next_step(page)
    return choice is not None


@st.fragment(run_every=classroom.POLL_S)
def _await_reveal(page: str, info, choice: str) -> None:
    if classroom.revealed(info, page):
        _reveal(page, choice)
        return
    st.info("Your prediction is in. The answer shows here when your instructor reveals it; "
            "until then you may change your vote.", icon=":material/hourglass_top:")


def answered(page: str) -> bool:
    """Whether this learner has made the page's prediction (its evidence may show)."""
    return first_answer(page) is not None


def ran_on(device: str) -> None:
    """The sidebar says where this page's maths ran, and which torch build did it."""
    st.sidebar.caption(f"Computed on {describe_device(device)}.")
