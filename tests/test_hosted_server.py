"""The hosted profile chosen without any command-line flag (ATTENTION_PROFILE, as a secret
would): a real server hides error details and offers no cache menu, and forged widget
values never show a traceback."""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.Common_pb2 import StringTriggerValue  # noqa: F401 - proto package loads
from streamlit.proto.NewSession_pb2 import Config
from streamlit.proto.WidgetStates_pb2 import WidgetState

from attention import settings
from harness.browser import in_own_thread, serve
from harness.protocol import Client, Results, options


@pytest.fixture(scope="module")
def hosted_url():
    # No --client.* flag (the harness passes none): the profile alone must do it.
    with serve(env={"ATTENTION_PROFILE": "hosted"}) as url:
        yield url


class Probe(Client):
    """A session that sends exactly the widget states it is given and keeps every exception."""

    def __init__(self, url: str):
        super().__init__(options(url, rerun_timeout=120), Results())
        self.forged: list[WidgetState] = []
        self.exceptions = []

    def _states(self):
        return list(self.forged)

    def _on_delta(self, fm, seen):
        super()._on_delta(fm, seen)
        el = fm.delta.new_element
        if fm.delta.WhichOneof("type") == "new_element" and el.WhichOneof("type") == "exception":
            self.exceptions.append(el.exception)


def _run(coro):
    return in_own_thread(asyncio.run, coro)


def _forge(url: str, label: str, make) -> tuple[list, object]:
    async def go():
        p = Probe(url)
        try:
            await p.open()
            await p.run_script()  # the first visit to a fresh server opens the linked page too
            assert any(proto.label == "d_k" for _, proto in p.widgets.values()), "not /single_head"
            wid = next(w for w, (_, proto) in p.widgets.items() if proto.label == label)
            p.forged = [make(wid)]
            await p.run_script()
            return p.exceptions, p.config
        finally:
            await p.close()
    return _run(go())


def _state(wid: str, **value) -> WidgetState:
    s = WidgetState(id=wid)
    for field, v in value.items():
        if field.endswith("array_value"):
            getattr(s, field).data.extend(v)
        else:
            setattr(s, field, v)
    return s


FORGED = [
    ("Sentence", dict(double_value=float("nan"))),  # fails inside Streamlit, before the script
    ("Sentence", dict(double_array_value=[float("inf")])),
    ("Seed", dict(double_value=float("inf"))),
    ("Seed", dict(string_value="1e999")),
    ("Temperature", dict(double_array_value=[float("nan")])),
    ("Temperature", dict(double_array_value=[])),
    ("d_k", dict(int_value=-(2**62))),
]


@pytest.mark.parametrize("label,value", FORGED, ids=[f"{lab}-{list(v)[0]}" for lab, v in FORGED])
def test_forged_values_never_show_error_details(hosted_url, label, value):
    exceptions, config = _forge(f"{hosted_url}/single_head", label, lambda w: _state(w, **value))
    assert config.toolbar_mode == Config.ToolbarMode.MINIMAL  # no "Clear cache" in the menu
    for e in exceptions:  # a notice at most: no type, no message, no frames
        assert e.type == "" and not e.stack_trace, (e.type, e.message)
        assert "redacted" in e.message and label not in e.message


# One value a browser cannot send, per widget kind (page, label, kind, state). Each raised
# inside Streamlit before the refusal (19 of the 25 tried): most before the script runs,
# where no page code can catch it; now each is refused as it arrives.
FORGED_KINDS = [
    ("single_head", "Sentence", "text_area", dict(double_value=1.5)),
    ("single_head", "Seed", "number_input", dict(double_value=float("nan"))),
    ("single_head", "Temperature", "slider", dict(string_value="x")),
    ("single_head", "Causal mask", "checkbox", dict(string_value="x")),
    ("single_head", "Device", "selectbox", dict(int_value=99)),
    ("multi_head", "Heads", "button_group", dict(int_value=7)),
    ("lab", "Layers", "radio", dict(bool_value=True)),
    ("lab", "Prefix (token ids)", "text_input", dict(double_value=3.0)),
]


class KindProbe(Probe):
    """Also learns every widget's id by label and kind, and keeps the alerts' text."""

    def __init__(self, url: str):
        super().__init__(url)
        self.ids, self.alerts = {}, []

    def _on_delta(self, fm, seen):
        super()._on_delta(fm, seen)
        if fm.delta.WhichOneof("type") != "new_element":
            return
        el = fm.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "alert":
            self.alerts.append(el.alert.body)
        elif kind in {k for *_, k, _ in FORGED_KINDS}:
            proto = getattr(el, kind)
            self.ids[(proto.label, kind)] = proto.id


@pytest.mark.parametrize("page,label,kind,value", FORGED_KINDS, ids=[k for *_, k, _ in FORGED_KINDS])
def test_a_forged_value_of_each_widget_kind_is_refused_and_said(hosted_url, page, label, kind,
                                                                 value):
    from attention.dashboard.control import REFUSED_NOTE

    async def go():
        p = KindProbe(f"{hosted_url}/{page}")
        try:
            await p.open()
            await p.run_script()
            p.forged = [_state(p.ids[(label, kind)], **value)]
            p.exceptions, p.alerts = [], []
            await p.run_script()
            return p.exceptions, p.alerts
        finally:
            await p.close()
    exceptions, alerts = _run(go())
    assert not exceptions, [e.message for e in exceptions]
    assert REFUSED_NOTE in alerts, alerts[:3]


def test_only_what_a_browser_sends_is_accepted():
    from streamlit.runtime.state.common import WidgetMetadata  # noqa: F401 - the type checked

    from attention.dashboard.hosting import _acceptable

    class Meta:
        def __init__(self, value_type):
            self.value_type = value_type

    assert _acceptable(_state("w", double_value=2.0), Meta("double_value"))
    assert _acceptable(WidgetState(id="w"), Meta("double_value"))  # a cleared number input
    # An integer number input registers "double_value"; the browser sends "int_value".
    assert _acceptable(_state("w", int_value=7), Meta("double_value"))
    assert not _acceptable(_state("w", double_value=float("nan")), Meta("double_value"))
    assert not _acceptable(_state("w", double_array_value=[1.0, float("inf")]),
                           Meta("double_array_value"))
    assert not _acceptable(_state("w", double_value=1.5), Meta("string_value"))
    assert not _acceptable(_state("w", int_value=1), Meta("string_value"))
    assert _acceptable(_state("w", string_value="x"), None)  # unknown widget: its call checks


def test_secret_selects_the_hosted_profile(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('profile = "hosted"\n')
    monkeypatch.setattr(settings, "SECRETS", secrets)
    assert settings.load_limits({}).profile == "hosted"
    assert settings.load_limits({"ATTENTION_PROFILE": "local"}).profile == "local"


def test_a_forged_clear_cache_message_clears_nothing(hosted_url):
    """The model is cached once per process; its caption says how long the load took. A
    cleared cache would load it again (another time in the caption)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    def load_caption(p):
        found = [c for c in p.captions if "Loaded in" in c]
        assert found, (p.captions[:5], p.exceptions, p.results.errors)
        return found[0]

    class Captions(Probe):
        def __init__(self, url):
            super().__init__(url)
            self.captions = []

        def _on_delta(self, fm, seen):
            super()._on_delta(fm, seen)
            el = fm.delta.new_element
            if fm.delta.WhichOneof("type") == "new_element" and el.WhichOneof("type") == "markdown":
                self.captions.append(el.markdown.body)

    async def go():
        p = Captions(f"{hosted_url}/pretrained")
        try:
            await p.open()
            await p.run_script()
            before = load_caption(p)
            msg = BackMsg()
            msg.clear_cache = True
            await p.ws.send(msg.SerializeToString())
            p.captions = []
            await p.run_script()
            return before, load_caption(p)
        finally:
            await p.close()
    before, after = _run(go())
    assert before == after


def _paced_script():
    import streamlit as st

    from attention.dashboard.hosting import pace_reruns

    st.text(f"{pace_reruns(interval=0.6):.3f}")


def test_a_sessions_runs_are_paced_apart():
    """The hosted pacing: a run right after the last one waits out the interval first;
    the first run of a session does not wait."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_paced_script, default_timeout=30).run()
    assert float(at.text[0].value) < 0.05
    at.run()
    assert 0.3 < float(at.text[0].value) <= 0.7


def test_a_forged_state_for_a_widget_not_drawn_yet_resets_it_at_its_call(hosted_url):
    """A state sent in a session's first run, for a widget it has not drawn (its id learnt
    from another session), cannot be checked as it arrives; the segmented control's
    deserializer fails inside its widget call, which resets it and says so."""
    url = f"{hosted_url}/multi_head"

    async def go():
        first = KindProbe(url)
        try:
            await first.open()
            await first.run_script()
            wid = first.ids[("Heads", "button_group")]
        finally:
            await first.close()
        p = KindProbe(url)
        try:
            await p.open()
            p.forged = [_state(wid, int_value=7)]
            await p.run_script()
            said, exceptions = list(p.alerts), list(p.exceptions)
            p.forged, p.alerts = [], []
            await p.run_script()
            return said, exceptions, p.exceptions, ("Heads", "button_group") in p.ids
        finally:
            await p.close()
    said, exceptions, later, redrawn = _run(go())
    assert not exceptions and not later, [e.message for e in exceptions + later]
    assert any("cannot be held by it; it is back to its default" in a for a in said), said
    assert redrawn
