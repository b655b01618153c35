"""Every page, run from the entry file under AppTest: renders, charts, controls, links."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from attention.core.inputs import tokenize
from attention.toy import views

from .conftest import (
    PAGES,
    assert_clean,
    assert_same_charts,
    chart_by_title,
    chart_data,
    charts,
    open_page,
    spec,
)

# lab: its run's four curves wait for the prediction
CHARTS_AT_LEAST = {"overview": 0, "single_head": 7, "multi_head": 8, "causal": 4, "entropy": 3,
                   "pretrained": 8, "lab": 5, "gpt": 2, "vision": 10}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_with_its_charts(page):
    at = open_page(page)
    assert_clean(at)
    assert len(charts(at)) >= CHARTS_AT_LEAST[page]


def test_default_input_is_a_sentence_of_eight_positions():
    at = open_page("entropy")
    assert_clean(at)
    assert len(tokenize(at.sidebar.text_area(key="text").value)) == 8
    assert [m.value for m in at.metric][0] == f"{math.log(8):.3f} nats" == "2.079 nats"


def test_single_head_weights_in_the_chart_equal_the_core():
    at = open_page("single_head", {"d_model": "32", "dk": "8", "seed": "3"})
    assert_clean(at)
    frame = chart_data(chart_by_title(at, "3. Weights"))[0]
    seq = views.build_input(views.DEFAULT_TEXT, None, 32, 3, True, 1024)
    expected = views.single_head(seq, 8, 3).weights
    got = np.zeros_like(expected)
    got[frame["query"], frame["key"]] = frame["value"]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert list(frame.drop_duplicates("key").sort_values("key")["key_token"].str.strip("\u200b")) == seq.tokens


def test_weights_chart_uses_viridis_on_a_fixed_unit_domain():
    at = open_page("single_head")
    colour = spec(chart_by_title(at, "3. Weights"))["layer"][0]["encoding"]["color"]
    assert colour["scale"]["scheme"] == "viridis" and colour["scale"]["domain"] == [0, 1]


def test_seed_change_changes_the_multi_head_maps():
    at = open_page("multi_head")
    before = chart_data(charts(at)[0])[0]["value"].to_numpy()
    at.sidebar.number_input(key="seed").set_value(5).run()
    assert_clean(at)
    after = chart_data(charts(at)[0])[0]["value"].to_numpy()
    assert before.shape == after.shape and not np.allclose(before, after)


def test_temperature_control_changes_the_logits():
    at = open_page("single_head")
    before = chart_data(chart_by_title(at, "2. Logits"))[0]["value"].to_numpy()
    at.slider(key="temperature").set_value(2.0).run()
    after = chart_data(chart_by_title(at, "2. Logits"))[0]["value"].to_numpy()
    np.testing.assert_allclose(after, before / 2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("page, query, set_widgets", [
    ("multi_head", {"heads": "2", "seed": "7", "preset": "designed"},
     lambda at: (at.sidebar.number_input(key="heads").set_value(2),
                 at.sidebar.number_input(key="seed").set_value(7),
                 at.button_group(key="preset").set_value("Designed heads"))),
    ("single_head", {"text": "A dog barked at the moon", "temperature": "0.5", "causal": "true"},
     lambda at: (at.sidebar.text_area(key="text").set_value("A dog barked at the moon"),
                 at.slider(key="temperature").set_value(0.5),
                 at.toggle(key="causal").set_value(True))),
    ("causal", {"tokens": "12", "step": "5", "pad": "2"},
     lambda at: (at.sidebar.number_input(key="tokens").set_value(12),)),
])
def test_link_reproduces_the_view_built_with_widgets(page, query, set_widgets):
    linked = open_page(page, query)
    assert_clean(linked)
    built = open_page(page)
    set_widgets(built)
    built.run()
    built.run()  # a page control reruns only its sections: AppTest then holds only those
    if page == "causal":  # step and pad bounds depend on the length, set them second
        built.slider(key="step").set_value(5)
        built.number_input(key="pad").set_value(2)
        built.run()
        built.run()
    assert_clean(built)
    assert_same_charts(linked, built)


BAD_VALUES = ["", "-1", "-999999999999", "1e400", "-1e400", "99999999999999999999999999999",
              "nan", "NaN", "inf", "-inf", "abc", "1.5.6", "ñ😀", "\x00\x01", "0x10", "  7 ",
              "x" * 10000]


@pytest.mark.parametrize("page", ["single_head", "multi_head", "causal", "entropy"])
@pytest.mark.parametrize("key", ["text", "tokens", "d_model", "heads", "seed", "pos", "device",
                                 "temperature", "dk", "query", "preset", "causal", "step", "pad",
                                 "head_a", "head_b", "scaled"])
def test_bad_link_values_render_without_exception(page, key):
    for value in BAD_VALUES[::3] if key not in ("tokens", "heads", "temperature") else BAD_VALUES:
        at = open_page(page, {key: value})
        assert_clean(at)


def test_out_of_range_link_values_are_clamped_and_said():
    at = open_page("multi_head", {"heads": "999", "tokens": "-5"})
    assert_clean(at)
    assert at.sidebar.number_input(key="heads").value == 16
    assert at.sidebar.number_input(key="tokens").value == 1 or at.sidebar.number_input(key="tokens").value is None
    notes = " ".join(i.value for i in at.info)
    assert "heads=999" in notes


def test_huge_float_link_value_is_clamped_not_raised():
    at = open_page("single_head", {"tokens": "1e400", "temperature": "1e400"})
    assert_clean(at)
    assert at.sidebar.number_input(key="tokens").value == 1024
    assert at.slider(key="temperature").value == 20.0


def test_long_text_is_cut_to_the_cap_with_a_notice():
    at = open_page("single_head", {"text": "word " * 3000})
    assert_clean(at)
    assert "cut to" in " ".join(i.value for i in at.info)


def test_causal_page_masks_the_upper_triangle():
    at = open_page("causal")
    frame = chart_data(chart_by_title(at, "With the causal mask"))[0]
    upper = frame[frame["key"] > frame["query"]]
    assert upper["masked"].all() and (upper["value"] == 0).all()
    lower = frame[frame["key"] <= frame["query"]]
    assert not lower["masked"].any()
    sums = lower.groupby("query")["value"].sum().to_numpy()
    np.testing.assert_allclose(sums, 1.0, atol=1e-5)


def test_generation_step_reveals_rows():
    at = open_page("causal", {"step": "3"})
    chart = chart_by_title(at, "Generation step 3")
    frame = chart_data(chart)[0]
    colour = spec(chart)["layer"][0]["encoding"]["color"]["condition"]
    assert colour["test"] == "datum.masked || datum.query >= 3"  # rows 3.. drawn as not computed
    assert not frame[(frame["query"] < 3) & (frame["key"] <= frame["query"])]["masked"].any()


def test_designed_heads_are_labelled_local_previous_global_first():
    at = open_page("multi_head", {"preset": "designed"})
    assert_clean(at)
    heads = chart_data(charts(at)[0])[0]
    titles = list(heads.drop_duplicates("head_index").sort_values("head_index")["head"])
    assert [t.split(" · ")[1] for t in titles] == ["local", "previous", "global", "first"]


def test_entropy_page_causal_ticks_are_ln_i_plus_one():
    at = open_page("entropy", {"causal": "true"})
    frame = chart_data(chart_by_title(at, "Entropy per query token"))[0]
    np.testing.assert_allclose(frame["maximum"], np.log(np.arange(1, 9)), atol=1e-6)
    assert (frame["entropy"] <= frame["maximum"] + 1e-6).all()


def test_big_maps_are_images_with_a_zoom_window_of_exact_values():
    at = open_page("single_head", {"tokens": "200"})
    assert_clean(at)
    weights = chart_by_title(at, "3. Weights")
    assert "image" in json.dumps(spec(weights))  # drawn as a raster image
    at.session_state["zoom_open"] = True  # the zoom window opens (folded it builds nothing)
    at.run()
    zoom = chart_by_title(at, "Weights: queries 0–23")
    frame = chart_data(zoom)[0]
    assert len(frame) == 24 * 24 and frame["value"].between(0, 1).all()
