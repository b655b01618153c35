"""The private Streamlit internals that attention/dashboard/params.py relies on.

Link validation rewrites the values a session's first run seeds bound widgets from,
before those widgets exist; no public API does that. These tests pin each internal it
uses (checked on the Streamlit of requirements.txt): if an upgrade renames or changes
one, it fails here, by name, rather than as links that silently stop being validated.
"""

from __future__ import annotations

import inspect

from streamlit.runtime.state.query_params import QueryParams
from streamlit.runtime.state.safe_session_state import SafeSessionState
from streamlit.runtime.state.session_state_proxy import get_session_state
from streamlit.testing.v1 import AppTest


def test_the_internals_exist_with_the_signatures_used():
    assert callable(get_session_state)
    assert inspect.isfunction(inspect.unwrap(SafeSessionState.query_params))
    for name, params in [("set_initial_query_params", ["self", "query_string"]),
                         ("is_bound", ["self", "param_key"]),
                         ("remove_param", ["self", "param_key"])]:
        assert list(inspect.signature(getattr(QueryParams, name)).parameters) == params, name


def test_initial_query_params_is_a_dict_of_lists_that_set_replaces():
    qp = QueryParams()
    assert qp._initial_query_params == {}
    qp.set_initial_query_params("a=1&a=2&b=x%20y")
    assert qp._initial_query_params == {"a": ["1", "2"], "b": ["x y"]}
    qp.set_initial_query_params("c=3")
    assert qp._initial_query_params == {"c": ["3"]}


def _app():
    from urllib.parse import urlencode

    import streamlit as st
    from streamlit.runtime.state.session_state_proxy import get_session_state

    with get_session_state().query_params() as qp:
        initial = {k: list(v) for k, v in qp._initial_query_params.items()}
        st.session_state.setdefault("seen", {k: list(v) for k, v in initial.items()})
        st.session_state["bound_before"] = qp.is_bound("n")
        removed = [qp.remove_param("junk"), qp.remove_param("junk")]
        st.session_state.setdefault("removed", removed)
        if "n" in initial:
            initial["n"] = ["7"]  # what clean_link does with an out-of-range value
            qp.set_initial_query_params(urlencode(initial, doseq=True))
    st.number_input("n", min_value=0, max_value=10, value=0, key="n", bind="query-params")
    with get_session_state().query_params() as qp:
        st.session_state["bound_after"] = qp.is_bound("n")


def test_a_rewritten_initial_value_seeds_the_bound_widget():
    at = AppTest.from_function(_app, default_timeout=30)
    at.query_params["n"] = "99"
    at.query_params["junk"] = "1"
    at.run()
    assert not at.exception
    # get_session_state().query_params() yields the session's QueryParams, whose
    # _initial_query_params holds the link's values as lists of strings.
    assert at.session_state["seen"] == {"n": ["99"], "junk": ["1"]}
    # set_initial_query_params before the widget exists changes what seeds it.
    assert at.number_input(key="n").value == 7
    # is_bound: False before the widget is created, True after.
    assert at.session_state["bound_before"] is False
    assert at.session_state["bound_after"] is True
    # remove_param drops an unbound parameter: True once, then False.
    assert at.session_state["removed"] == [True, False]


def test_script_requests_state_tells_a_pending_rerun_or_stop():
    """The lab's session_wants_stop reads ScriptRequests._state without consuming it."""
    from streamlit.runtime.scriptrunner_utils.script_requests import (
        ScriptRequests,
        ScriptRequestType,
    )

    requests = ScriptRequests()
    assert requests._state == ScriptRequestType.CONTINUE
    requests.request_stop()
    assert requests._state == ScriptRequestType.STOP
    assert {"CONTINUE", "STOP", "RERUN"} <= set(ScriptRequestType.__members__)


def test_app_session_has_the_clear_cache_handler_the_hosted_profile_replaces():
    from streamlit.runtime.app_session import AppSession

    handler = AppSession._handle_clear_cache_request
    assert list(inspect.signature(handler).parameters) == ["self"]
