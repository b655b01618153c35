"""Classroom mode in every page: the class code in the sidebar, votes, reveals, the
instructor's push banner, and the learner's session summary.

With `class=CODE` in the link (or the code typed in the sidebar) a learner's predictions join
the class's (`attention.classroom.Store`, shared by every server process). The instructor's
session holds the class's key (from the instructor link, moved out of the URL at once) and
may push its current view; each learner then sees a banner offering to go there, never
forced. Nothing a learner sends is shown to anyone else but as counts.
"""

from __future__ import annotations

import time

import streamlit as st

from attention.classroom import (
    Answered,
    ClassInfo,
    RateLimit,
    Refused,
    Store,
    View,
    database_url,
    markdown,
    normalise_code,
    open_store,
    remember,
)
from attention.dashboard import control_catalog as cc
from attention.dashboard.classroom_links import (
    base_url,
    changed,
    describe,
    page_controls_of,
    view_values,
)
from attention.dashboard.control import PageControls
from attention.dashboard.lessons import LESSONS
from attention.dashboard.markdown import escape
from attention.dashboard.page_registry import page as registered_page
from attention.dashboard.params import show_notes
from attention.dashboard.predict import first_answer, learner
from attention.settings import load_limits

LIMITS = load_limits()
POLL_S = 3  # how often a learner's page asks for a push or a reveal, and the histogram refills
QUESTIONS = {p: len(t["choices"]) for p, t in LESSONS.items() if "choices" in t}
KEYS = "_class_keys"  # session: class code -> this session's instructor key
ROOM = "_class_room"  # session: the ClassInfo of this run (None: not in a class)
OFFERED = "_class_offered"  # session: the push the banner offers
FOLLOWED = "_class_followed"  # session: the last push this learner followed or dismissed
VIEWS = "_views_seen"  # session: [View], the last ones
SHOWN = "_answers_shown"  # session: the questions whose answer this learner has been shown
NOTES = "_vote_notes"  # session: question -> why the last vote was not taken
LIMIT_KEYS = {"vote": (6, 2.0), "push": (3, 5.0)}  # burst, then one every so many seconds
CLASSROOM_FILE = "app_pages/classroom.py"


def navigation() -> list:
    """The Classroom page for `st.navigation`, where classes are on."""
    if not LIMITS.allow_classes:
        return []
    return [st.Page(CLASSROOM_FILE, title="Classroom", icon=":material/groups:",
                    url_path="classroom")]


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    """One store per server process (its connections pooled), for every session."""
    return open_store(QUESTIONS, url)


def store() -> Store | None:
    """The class store, or None where classes are off or the database cannot be opened."""
    if not LIMITS.allow_classes:
        return None
    try:
        return _open(database_url())
    except Exception as e:  # noqa: BLE001 - any driver error: the app runs on without classes
        st.session_state["_class_store_error"] = type(e).__name__
        return None


def room() -> ClassInfo | None:
    """The class this session is in on this run (set by `sidebar_section`)."""
    return st.session_state.get(ROOM)


def instructor_key(code: str) -> str | None:
    return st.session_state.get(KEYS, {}).get(code)


def allowed(kind: str) -> bool:
    """Spend one of this session's `kind` actions ("vote", "push"); False: too fast."""
    limits = st.session_state.setdefault("_class_rate", {})
    if kind not in limits:
        limits[kind] = RateLimit(*LIMIT_KEYS[kind])
    return limits[kind].allow(time.monotonic())


# ------------------------------------------------------------ the sidebar and the banner


def sidebar_section(url_path: str) -> ClassInfo | None:
    """Draw the class code box (and the instructor's tools) under the sidebar; remember the
    view; return the class this session is in. Call from the entry file before the page."""
    st.session_state[ROOM] = None
    _remember_view(url_path)
    if not LIMITS.allow_classes:
        _summary_download()
        return None
    ctl = PageControls((cc.CLASS,), LIMITS)
    show_notes(ctl.notes)
    sb = st.sidebar
    sb.header("Class")
    raw = ctl.draw("class", sb, placeholder="e.g. K7PQ2M")
    info = None
    if raw.strip():
        s = store()
        code = normalise_code(raw)
        if s is None:
            sb.warning("Classes are not available on this server right now.")
        elif code is None:
            sb.warning("A class code is 6 letters and digits, as your instructor shows it.")
        else:
            info = s.get_class(code)
            if info is None:
                sb.warning(f"No class `{code}` is running: check the code (a class ends after "
                           "24 hours).")
    _take_key_from_link(info)
    st.session_state[ROOM] = info
    if info is not None:
        key = instructor_key(info.code)
        if key:
            _instructor_tools(info, key, url_path)
        else:
            sb.caption(f"In class **{info.code}**: your predictions join the class's (anonymous).")
            _follow_banner(info.code, url_path)
    _summary_download()
    return info


def _take_key_from_link(info: ClassInfo | None) -> None:
    """An instructor link's `key`: kept in this session if it opens the class, and removed
    from the address bar either way (it must not reach a projector or a shared link)."""
    key = st.query_params.get("key")
    if key is None:
        return
    del st.query_params["key"]
    s = store()
    if info is not None and s is not None and s.is_instructor(info.code, key):
        st.session_state.setdefault(KEYS, {})[info.code] = key
    else:
        st.sidebar.warning("This instructor link does not open a running class.")


def _instructor_tools(info: ClassInfo, key: str, url_path: str) -> None:
    sb = st.sidebar
    sb.caption(f"You teach class **{info.code}**.")
    sb.page_link(CLASSROOM_FILE, label="The room's answers", icon=":material/groups:",
                 query_params={"class": info.code})
    if url_path != "classroom":
        sb.button("Send this view to the class", key="class_push", icon=":material/cast:",
                  on_click=_push, args=(info.code, key, url_path),
                  help="Every learner sees a banner offering to open this page as you see it.")
    note = st.session_state.pop("_class_push_note", None)
    if note:
        sb.caption(escape(note))


def _push(code: str, key: str, url_path: str) -> None:
    if not allowed("push"):
        st.session_state["_class_push_note"] = "Sent a moment ago: wait a few seconds."
        return
    values = view_values(url_path)
    values.pop("class", None)
    try:
        store().push(code, key, url_path, values, describe(url_path, values))
        st.session_state["_class_push_note"] = "Sent: " + describe(url_path, values)
    except Refused as e:
        st.session_state["_class_push_note"] = str(e)


@st.fragment(run_every=POLL_S)
def _follow_banner(code: str, url_path: str) -> None:
    """A learner's banner for the instructor's last push (polled); one click goes there."""
    s = store()
    push = s.latest_push(code) if s is not None else None
    if push is None or push.seq <= st.session_state.get(FOLLOWED, 0):
        return
    p = registered_page(push.page)
    if p is None:
        return
    here = view_values(url_path)
    if push.page == url_path and all(here.get(k) == v for k, v in push.params.items()):
        st.session_state[FOLLOWED] = push.seq  # already there (followed, or came by itself)
        return
    with st.container(border=True):
        st.markdown(f":material/cast: **Follow the instructor:** {escape(push.label)}")
        cols = st.columns([1, 1, 4])
        st.session_state[OFFERED] = push
        cols[0].page_link(p.file, label="Go there", icon=":material/arrow_forward:",
                          query_params=push.params)
        cols[1].button("Not now", key=f"dismiss_{push.seq}", on_click=_dismiss, args=(push.seq,))


def _dismiss(seq: int) -> None:
    st.session_state[FOLLOWED] = seq


def follow_pending(url_path: str) -> None:
    """A learner who clicked "Go there" lands here with the pushed values in the link: put
    them into the controls before their widgets are drawn (a widget's own state would win
    over the link otherwise). Call from the entry file before the sidebar."""
    push = st.session_state.get(OFFERED)
    if push is None or push.page != url_path:
        return
    if not all(st.query_params.get_all(k)[-1:] == [v] for k, v in push.params.items()):
        return  # not the banner's link: the learner came some other way
    del st.session_state[OFFERED]
    st.session_state[FOLLOWED] = push.seq
    for c in page_controls_of(push.page):
        if c.key not in push.params:
            continue
        resolved = c.resolved(LIMITS, 10**6 if c.runtime_range else None)
        text, _ = resolved.param().clean(push.params[c.key])
        if text is not None:
            st.session_state[c.key] = resolved.bound(resolved.from_link(text))


# ------------------------------------------------------------ votes


def vote(code: str, question: str, choice: int) -> tuple[bool, str | None]:
    """Record this learner's vote: (keep the choice locally, a note for the learner)."""
    if not allowed("vote"):
        return False, "Too many changes at once: wait a few seconds, then choose again."
    s = store()
    if s is None:
        return True, "Your prediction is kept here, but the class cannot be reached."
    try:
        s.vote(code, question, learner(), choice)
    except Refused as e:
        return "revealed" in str(e), str(e)
    return True, None


def revealed(info: ClassInfo, question: str) -> bool:
    """Whether this class's learners may see `question`'s answer once they chose."""
    if not info.wait_for_reveal:
        return True
    s = store()
    return s is None or question in s.revealed(info.code)


def mark_shown(question: str) -> None:
    st.session_state.setdefault(SHOWN, set()).add(question)


# ------------------------------------------------------------ the learner's summary


def _remember_view(url_path: str) -> None:
    p = registered_page(url_path)
    if p is None:
        return
    values = view_values(url_path)
    remember(st.session_state.setdefault(VIEWS, []),
             View(p.title, p.url_path, tuple(changed(url_path, values))))


def summary() -> str:
    """This session's summary as Markdown: questions met, predictions, answers shown, views."""
    views = st.session_state.get(VIEWS, [])
    met = []
    for v in views:
        name = v.path or "overview"
        if name in QUESTIONS and name not in met:
            met.append(name)
    shown = st.session_state.get(SHOWN, set())
    answered = []
    for name in met:
        text = LESSONS[name]
        p = registered_page(name if name != "overview" else "")
        mine = first_answer(name)
        right = text["choices"][text["correct"]]
        answered.append(Answered(p.title if p else name, text["question"], mine,
                                 right if name in shown else None,
                                 text["answer"] if name in shown else ""))
    info = room()
    return markdown(answered, views, base=base_url(), class_code=info.code if info else None)


def _summary_download() -> None:
    st.sidebar.download_button("My session (Markdown)", data=summary(),
                               file_name="attention-explorer-session.md", mime="text/markdown",
                               key="session_summary", on_click="ignore",
                               icon=":material/download:",
                               help="The questions you met, your predictions, the answers and "
                                    "links to the views you saw.")
