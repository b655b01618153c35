"""Predict, then reveal: each learner sees the options in an order of their own, and their
first answer is kept.

A prediction teaches only if it is made before the answer can be read: the right option is
not always first (the order is drawn per learner and question, and stays put across reruns),
and once chosen the answer is locked, so a wrong pick cannot be clicked away into a right one.
The first answers live in this session's state, where a page can ask whether its question is
answered (to fold the evidence until then).

In a class whose instructor reveals the answers (`changeable`), the learner may change their
vote until the reveal, since the answer is not shown until then; each choice goes to
`on_choice` (the class store), which may turn it down (the radio then goes back).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable

import streamlit as st

LEARNER_KEY = "_learner"
ANSWERS_KEY = "_first_answers"  # question -> the option first chosen (in a class: the vote)
NOTES_KEY = "_predict_notes"  # question -> why the last choice was not taken (shown once)


def option_order(learner: str, question: str, n: int) -> list[int]:
    """A permutation of range(n), the same for one learner and one question on every rerun."""
    digest = hashlib.sha256(f"{learner}\n{question}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big")).sample(range(n), n)


def learner() -> str:
    """This session's anonymous learner id (random, never shown, never in a link)."""
    if LEARNER_KEY not in st.session_state:
        st.session_state[LEARNER_KEY] = secrets.token_hex(8)
    return st.session_state[LEARNER_KEY]


def first_answer(question: str) -> str | None:
    return st.session_state.get(ANSWERS_KEY, {}).get(question)


def take_note(question: str) -> str | None:
    """Why the learner's last choice for `question` was not taken, once (then forgotten)."""
    return st.session_state.get(NOTES_KEY, {}).pop(question, None)


def _keep_first(question: str, widget_key: str, options: list[str], changeable: bool = False,
                on_choice: Callable[[str, int], tuple[bool, str | None]] | None = None) -> None:
    choice = st.session_state.get(widget_key)
    answers = st.session_state.setdefault(ANSWERS_KEY, {})
    if choice not in options or (question in answers and not changeable):
        return  # a forged value is no answer; a locked one stays
    if on_choice is not None:
        keep, note = on_choice(question, options.index(choice))
        if note:
            st.session_state.setdefault(NOTES_KEY, {})[question] = note
        if not keep:
            st.session_state[widget_key] = answers.get(question)  # the radio goes back
            return
    answers[question] = choice


def predict(question: str, prompt: str, options: list[str], widget_key: str, *,
            changeable: bool = False,
            on_choice: Callable[[str, int], tuple[bool, str | None]] | None = None) -> str | None:
    """The learner's first answer to `question` (None until chosen), asked as a radio of
    `options` in this learner's order; the radio locks on that answer once chosen.

    Args:
        changeable: the choice may still change (a class waiting for its instructor's reveal);
            the answer kept is then the last one taken.
        on_choice: called with (question, index of the option in `options`) on each choice;
            returns (keep it, a note for the learner). Not kept: the radio goes back.
    """
    order = option_order(learner(), question, len(options))
    shown = [options[i] for i in order]
    first = first_answer(question)
    st.radio(prompt, shown, index=None if first is None else shown.index(first),
             key=widget_key, disabled=first is not None and not changeable,
             on_change=_keep_first, args=(question, widget_key, options, changeable, on_choice))
    return first_answer(question)
