"""Controls are declared once: the rules that keep the link validation, the widget and the
caps in agreement hold for every page, by construction."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attention.dashboard import control_catalog as cc
from attention.dashboard.control import Control
from attention.dashboard.page_registry import PAGES, SHARED, SHARED_INPUTS, Page
from attention.settings import PROFILES, Limits

ROOT = Path(__file__).resolve().parents[1]
# Integer controls whose upper end is a property of the value, not a cap on work.
DOMAINS = {"seed": "torch seeds are integers; 2**31 - 1 keeps them portable",
           "gpt_seed": "/gpt's sampler and random sequence: the same domain as seed",
           "run_seed": "/lab's seed of a run trained live: the same domain as seed"}
ALL = [*SHARED, *(c for p in PAGES for c in p.controls)]


def test_every_integer_range_is_capped_given_at_run_time_or_a_domain():
    for c in ALL:
        if c.kind != "int" or c.options:
            continue
        assert c.cap or c.runtime_range or c.key in DOMAINS, (
            f"{c.key}: name its cap in settings.Limits (or leave hi to the page at run time)")


def test_every_cap_is_a_number_in_both_profiles():
    names = {f.name for f in fields(Limits)}
    for c in ALL:
        if c.cap:
            assert c.cap in names
            for limits in PROFILES.values():
                assert isinstance(getattr(limits, c.cap), int) and getattr(limits, c.cap) >= c.lo


def test_a_key_means_one_kind_of_value_on_every_page():
    kinds: dict[str, str] = {}
    for c in ALL:
        assert kinds.setdefault(c.key, c.kind) == c.kind, c.key
    for p in PAGES:
        keys = [c.key for c in p.controls]
        assert len(keys) == len(set(keys)), p.name
        assert not set(keys) & {c.key for c in SHARED}, p.name


def test_no_widget_is_bound_to_the_link_but_through_a_declaration():
    """`bind="query-params"` appears only in control.py: every other bound widget would skip
    the link validation and the bound."""
    sources = [ROOT / "streamlit_app.py", *(ROOT / "app_pages").glob("*.py"),
               *(ROOT / "attention" / "dashboard").glob("*.py")]
    offenders = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "bind":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == ["attention/dashboard/control.py:" + offenders[0].split(":")[1]], offenders


def test_readme_lists_every_url_name():
    readme = (ROOT / "README.md").read_text()
    for c in ALL:
        assert f"`{c.key}`" in readme, c.key


def test_a_cap_lowers_the_declared_range_and_bounds_a_forged_value():
    hosted, local = PROFILES["hosted"], PROFILES["local"]
    tokens = cc.TOKENS.resolved(hosted)
    assert (tokens.lo, tokens.hi) == (1, hosted.max_tokens)
    assert tokens.param().clean("99999")[0] == str(hosted.max_tokens)
    assert tokens.bound(10**9) == hosted.max_tokens and tokens.bound(None) is None
    assert cc.TOKENS.resolved(local).hi == local.max_tokens
    steps = cc.TRAIN_STEPS.resolved(hosted)
    assert steps.default == min(1500, hosted.max_train_steps) and steps.bound(-5) == cc.MIN_TRAIN_STEPS


def test_a_run_time_range_is_required_and_applied():
    with pytest.raises(ValueError, match="upper end at run time"):
        cc.QUERY.resolved(PROFILES["local"])
    query = cc.QUERY.resolved(PROFILES["local"], hi=4)
    assert query.param().clean("7") == ("4", "`query=7` is outside [0, 4]; using 4")
    assert query.bound(float("nan")) == 0 and query.bound(True) == 0 and query.bound(3) == 3
    step = cc.STEP.resolved(PROFILES["local"], hi=2)  # default 3 does not fit 1..2
    assert step.default == 2


def test_choices_toggles_and_text_are_bounded_too():
    local = PROFILES["local"]
    preset = cc.PRESET.resolved(local)
    assert preset.bound("Designed heads") == "Designed heads"
    assert preset.bound("forged") == "Random projections"
    assert cc.LAYERS.param().kind == "int" and (cc.LAYERS.param().lo, cc.LAYERS.param().hi) == (1, 2)
    assert cc.LAYERS.bound(3) == 2
    assert cc.SCALED.bound(0) is False
    text = cc.TEXT.resolved(PROFILES["hosted"])
    assert len(text.bound("x" * 5000)) == PROFILES["hosted"].max_text_chars
    assert text.bound(None) == ""


def test_a_declaration_that_cannot_work_is_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        Control("x", "X", "toggle", kind="int")
    with pytest.raises(ValueError, match="not a number in Limits"):
        Control("x", "X", "number", cap="profile")
    with pytest.raises(ValueError, match="needs options"):
        Control("x", "X", "select")


def _draws_an_undeclared_control():
    from attention.dashboard.control import PageControls
    from attention.dashboard.control_catalog import D_K
    from attention.settings import PROFILES

    PageControls((D_K,), PROFILES["local"]).draw("temperature")


def _draws_a_declared_control_from_a_bad_link():
    import streamlit as st

    from attention.dashboard.control import PageControls
    from attention.dashboard.control_catalog import D_K, QUERY
    from attention.settings import PROFILES

    ctl = PageControls((D_K, QUERY), PROFILES["hosted"], hi={"query": 5})
    st.text(" | ".join(ctl.notes))
    ctl.draw("dk"), ctl.draw("query")


def test_drawing_a_control_the_page_did_not_validate_fails():
    at = AppTest.from_function(_draws_an_undeclared_control).run()
    assert at.exception and "not declared for this page" in at.exception[0].value


def test_a_declared_control_is_validated_from_the_link_before_its_widget():
    at = AppTest.from_function(_draws_a_declared_control_from_a_bad_link)
    at.query_params["dk"] = "100000"
    at.query_params["query"] = "-3"
    at.run()
    assert not at.exception
    assert at.number_input(key="dk").value == PROFILES["hosted"].max_d_k
    assert at.slider(key="query").value == 0
    assert at.text[0].value == ("`dk=100000` is outside [1, 512]; using 512 | "
                                "`query=-3` is outside [0, 5]; using 0")


def test_a_sidebar_control_is_one_declaration_and_its_place_in_the_registry():
    from attention.dashboard.compute import InputKey
    from attention.dashboard.sidebar import Controls

    assert [f.name for f in fields(Controls)] == [c.key for c in SHARED] + ["note"]
    assert {f.name for f in fields(InputKey)} == SHARED_INPUTS | {"max_tokens"}
    assert "workshop" not in SHARED_INPUTS  # a mode, never disabled
    lab = next(p for p in PAGES if p.name == "lab")
    assert lab.unused == SHARED_INPUTS - {"d_model", "heads", "seed"}
    with pytest.raises(ValueError, match="not sidebar inputs"):
        Page("x", "X", "", "", 1, "", reads=(cc.D_K,))


def _picks_a_row_within_a_narrowed_range():
    import streamlit as st

    from attention.dashboard.control import PageControls
    from attention.dashboard.control_catalog import QUERY
    from attention.settings import PROFILES

    ctl = PageControls((QUERY,), PROFILES["local"], hi={"query": 9})
    ctl.narrow("query", 4)  # e.g. special tokens hidden: fewer rows than the link allowed
    st.text(str(ctl.current("query")))
    st.button("two", key="two", on_click=ctl.setter("query"), args=(2,))
    st.button("minus", key="minus", on_click=ctl.setter("query"), args=(-3,))
    ctl.draw("query")


def test_current_set_and_narrow_keep_a_control_in_its_range():
    at = AppTest.from_function(_picks_a_row_within_a_narrowed_range)
    at.query_params["query"] = "8"
    at.run()
    assert not at.exception
    assert at.text[0].value == "4" and at.slider(key="query").value == 4
    at.button(key="two").click().run()
    assert at.text[0].value == "2" and at.slider(key="query").value == 2
    at.button(key="minus").click().run()
    assert at.text[0].value == "0" and at.slider(key="query").value == 0


@pytest.mark.parametrize("raw", ["²", "١٢", "１２", "1_000", "¹²³", "nan", "0x10", "1e", "--1"])
def test_a_number_in_a_link_is_ascii_digits_or_it_is_ignored(raw):
    query = cc.QUERY.resolved(PROFILES["local"], hi=4)
    assert query.param().clean(raw) == (None, "`query` is not a number; ignored")


@pytest.mark.parametrize("raw,kept", [("3", "3"), (" 2 ", "2"), ("+1", "1"), ("2.6", "3"),
                                      ("1e0", "1"), ("-inf", "0"), ("Infinity", "4")])
def test_an_ascii_number_in_a_link_is_read_and_clamped(raw, kept):
    query = cc.QUERY.resolved(PROFILES["local"], hi=4)
    assert query.param().clean(raw)[0] == kept


def test_a_number_picked_from_options_takes_the_nearest_option_and_says_so():
    from attention.dashboard.control import Control

    patch = Control("size", "Patch", "radio", "int", default=2, options=(2, 1, 4)).resolved(
        PROFILES["local"])
    param = patch.param()
    assert param.clean("4") == ("4", None)
    assert param.clean("3") == ("2", "`size=3` is not one of 1, 2, 4; using 2")
    assert param.clean("99")[0] == "4" and param.clean("-5")[0] == "1"


def _opens_a_slider_at_its_default_after_a_reset():
    import streamlit as st

    from attention.dashboard.control import PageControls
    from attention.dashboard.control_catalog import QUERY
    from attention.settings import PROFILES

    ctl = PageControls((QUERY,), PROFILES["local"], hi={"query": 9})
    if st.session_state.get("_new_run"):
        ctl.reset("query")  # a new run: the slider opens at the default draw gives
    st.session_state["_new_run"] = False
    st.button("new run", key="new_run", on_click=lambda: st.session_state.update(_new_run=True))
    ctl.draw("query", default=7)
    try:
        ctl.reset("not_here")
    except KeyError as e:
        st.text(str(e))


def test_a_reset_control_opens_at_its_default_and_only_a_declared_one():
    at = AppTest.from_function(_opens_a_slider_at_its_default_after_a_reset).run()
    assert not at.exception and at.slider(key="query").value == 7
    at.slider(key="query").set_value(3).run()
    assert at.slider(key="query").value == 3
    at.button(key="new_run").click().run()
    assert at.slider(key="query").value == 7
    assert "not declared for this page" in at.text[0].value
