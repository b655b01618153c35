"""/vision under AppTest: the shipped run, a drawn digit, bad link values, a tiny training."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention.dashboard import page_parts
from attention.lab.digits import format_pixels, load_split, parse_pixels
from attention.lab.runs import load_shipped
from attention.settings import load_limits

from .conftest import assert_clean, assert_same_charts, chart_by_title, chart_data, open_page

TINY = {"steps": "20", "d_model": "16", "heads": "2"}
SECTIONS = ("A digit, cut into patches", "Where the class token looks",
            "Watch the maps sharpen")


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


def test_shipped_run_renders_every_section():
    at = open_page("vision")
    assert_clean(at)
    assert "Showing the shipped run" in infos(at) and "SVC" in infos(at)
    assert [h.value for h in at.header][:3] == list(SECTIONS)  # then the sidebar's
    for title in ("Test digit 0", "What the model answers", "Where the class token looks",
                  "Rollout", "Occlusion", "Layer 0: where the class token looks",
                  "Entropy of the class token", "Accuracy on the 397 test digits",
                  "The class token on the probe digit"):
        assert len(chart_data(chart_by_title(at, title))[0]) > 0, title
    cls = chart_data(chart_by_title(at, "Where the class token looks"))[0]
    assert set(cls["panel"]) == {f"layer {la} head {h}" for la in range(2) for h in range(4)}
    shipped = load_shipped("digits_vit")
    acc = chart_data(chart_by_title(at, "Accuracy on the 397"))[0]
    np.testing.assert_allclose(acc["value"], [r.accuracy for r in shipped.history], rtol=1e-6)
    assert any(w in " ".join(m.value for m in at.markdown) for w in ("agree", "depends on"))


def test_a_drawn_digit_is_read_and_a_bad_one_gets_a_message():
    image = load_split().test_images[3]
    drawn = open_page("vision", {"pixels": format_pixels(image)})
    assert_clean(drawn)
    assert chart_by_title(drawn, "Your drawing")
    bad = open_page("vision", {"pixels": "1 2 3 x"})
    assert_clean(bad)
    assert "cannot be read" in " ".join(e.value for e in bad.error)
    assert chart_by_title(bad, "Test digit 0")  # the test digit instead, never a traceback
    hot = open_page("vision", {"pixels": " ".join(["17"] * 64)})
    assert_clean(hot)
    assert "0 to 16" in " ".join(e.value for e in hot.error)


@pytest.mark.parametrize("query, said", [
    ({"digit": "99999"}, "digit=99999"),
    ({"digit": "-3"}, "digit=-3"),
    ({"patch": "3"}, "`patch` must be one of 2, 1, 4"),
    ({"steps": "999999999"}, "steps=999999999"),
    ({"query": "500"}, "query=500"),
    ({"layer": "x"}, "`layer` is not a number"),
])
def test_bad_link_values_get_a_notice(query, said):
    at = open_page("vision", query)
    assert_clean(at)
    assert said in infos(at)


def test_link_reproduces_the_view_built_with_widgets():
    linked = open_page("vision", {"digit": "12", "layer": "1", "query": "5"})
    assert_clean(linked)
    built = open_page("vision")
    built.number_input(key="digit").set_value(12).run()
    built.slider(key="layer").set_value(1).run()
    built.slider(key="query").set_value(5).run()
    assert_clean(built)
    assert_same_charts(linked, built)


def test_hosted_caps_clamp_a_link(monkeypatch):
    hosted = load_limits({"ATTENTION_PROFILE": "hosted"})
    monkeypatch.setattr(page_parts, "LIMITS", hosted)
    at = open_page("vision", {"steps": "20000", "d_model": "512", "heads": "4"})
    assert_clean(at)
    assert at.number_input(key="steps").value == hosted.max_train_steps
    captions = " ".join(c.value for c in at.caption)
    assert f"capped at d_model {hosted.max_train_d_model}" in captions


def test_train_button_trains_and_keeps_the_run():
    at = open_page("vision", TINY)
    at.button(key="vision_train").click().run()
    assert_clean(at)
    assert any("Showing your run" in s.value for s in at.success)
    assert at.slider(key="step").max == 20
    at.button(key="vision_forget").click().run()
    assert "Showing the shipped run" in infos(at)


VALUES = st.one_of(st.integers(-10**9, 10**9).map(str), st.text(max_size=40),
                   st.sampled_from(["nan", "inf", "-0", "1e9", "2", "1", "4", " ".join(["16"] * 64),
                                    " ".join(["8"] * 63) + " nan", ";".join(["0 0 0 0 0 0 0 0"] * 8)]))


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(query=st.dictionaries(st.sampled_from(["digit", "pixels", "patch", "layer", "query", "step",
                                              "steps", "d_model", "heads", "seed"]),
                             VALUES, max_size=5))
def test_random_links_render_cleanly(query):
    at = open_page("vision", query)
    assert_clean(at)


def test_grid_edits_become_the_drawn_digit(monkeypatch):
    from attention.dashboard import vision_data

    base = np.zeros((8, 8))
    edits = {"k": {"edited_rows": {2: {"3": 16}, 5: {"0": 99, "1": "x"}, 9: {"0": 5}}}}
    monkeypatch.setattr(vision_data.st, "session_state", edits)
    got = []
    vision_data._apply_edits("k", base, got.append)
    image = parse_pixels(got[0]).numpy()
    assert image[2, 3] == 16 and image[5, 0] == 16  # 99 kept to the top of the range
    assert image.sum() == 32  # the bad value and the row outside the grid are ignored
    at = open_page("vision", {"pixels": got[0]})
    assert_clean(at)
    assert any("drawn by you" in m.value for m in at.markdown)
