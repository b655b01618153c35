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


def test_the_first_forgery_really_errs_so_the_test_can_fail(hosted_url):
    exceptions, _ = _forge(f"{hosted_url}/single_head", "Sentence",
                           lambda w: _state(w, double_value=1.5))
    assert exceptions, "a float for a text area no longer fails: pick another forgery"


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
