"""The pretrained-model page under AppTest: real weights in the charts, links, bad values."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from attention.dashboard import page_parts
from attention.pretrained.encoder import load_model

from .conftest import (
    assert_clean,
    chart_by_title,
    chart_data,
    charts,
    open_page,
    outlined_rows,
    spec,
)

pytestmark = pytest.mark.slow

SENTENCE = "The quick brown fox jumps over the lazy dog because it was bored."


@pytest.fixture(scope="module")
def run():
    return load_model().attend(SENTENCE)


def matrix(chart) -> tuple[np.ndarray, list[str], list[str]]:
    """A rect heatmap's (L, S) values and its row and column labels, from the chart data."""
    data = chart_data(chart)[0]
    values = np.zeros((data["query"].max() + 1, data["key"].max() + 1))
    values[data["query"], data["key"]] = data["value"]
    rows = data.drop_duplicates("query").sort_values("query")["query_token"].str.strip("\u200b")
    cols = data.drop_duplicates("key").sort_values("key")["key_token"].str.strip("\u200b")
    return values, list(rows), list(cols)


def test_page_shows_the_model_view_statistics_detail_and_rollout():
    at = open_page("pretrained")
    assert_clean(at)
    titles = [spec(c).get("title") for c in charts(at)]
    for prefix in ("Entropy", "Queries q", "Keys k", "1. Scores", "2. Logits", "3. Weights",
                   "Rollout"):
        assert any(isinstance(t, str) and t.startswith(prefix) for t in titles), (prefix, titles)
    grid = chart_data(charts(at)[0])[0]  # the model view: one PNG per (layer, head)
    grid = grid[~grid["cell"]]  # (its other rows are the hover grid)
    assert len(grid) == 72
    assert grid["head_title"].iloc[0] == "layer 0 · head 0"
    assert grid["head_title"].iloc[71] == "layer 5 · head 11"
    assert at.dataframe[0].value.shape == (72, 8)
    assert not at.error


def test_head_detail_weights_are_the_models_own(run):
    at = open_page("pretrained", {"text": SENTENCE, "layer": "3", "head": "5"})
    assert_clean(at)
    assert at.slider(key="layer").value == 3 and at.slider(key="head").value == 5
    assert any(h.value == "Head detail: layer 3, head 5" for h in at.subheader)
    weights, rows, cols = matrix(chart_by_title(at, "3. Weights"))
    np.testing.assert_allclose(weights, run.weights[3, 5].numpy(), atol=1e-5)
    assert rows == cols == run.tokens
    logits, _, _ = matrix(chart_by_title(at, "2. Logits"))
    scores, _, _ = matrix(chart_by_title(at, "1. Scores"))
    np.testing.assert_allclose(logits, scores / np.sqrt(32), rtol=1e-4, atol=1e-4)
    # The model view is one chart whatever head is detailed (built once per sentence);
    # Layer and Head rerun only the detail, so its caption names the sliders, not a head.
    grid = chart_data(charts(at)[0])[0]
    grid = grid[~grid["cell"]]
    first = open_page("pretrained", {"text": SENTENCE})
    assert charts(first)[0].proto.spec == charts(at)[0].proto.spec
    first_grid = chart_data(charts(first)[0])[0]
    assert first_grid[~first_grid["cell"]].equals(grid)
    assert any("the one Layer and Head pick" in c.value for c in at.caption)


def test_widgets_change_the_head(run):
    at = open_page("pretrained", {"text": SENTENCE})
    at.slider(key="layer").set_value(1).run()
    # Layer reruns only the head detail: AppTest then holds that section alone.
    assert not at.title and any(h.value == "Head detail: layer 1, head 0" for h in at.subheader)
    weights, _, _ = matrix(chart_by_title(at, "3. Weights"))
    np.testing.assert_allclose(weights, run.weights[1, 0].numpy(), atol=1e-5)
    at.run()  # the whole page again, for the Head slider
    at.slider(key="head").set_value(7).run()
    assert_clean(at)
    weights, _, _ = matrix(chart_by_title(at, "3. Weights"))
    np.testing.assert_allclose(weights, run.weights[1, 7].numpy(), atol=1e-5)


def test_hide_special_tokens_removes_cls_and_sep_and_renormalises(run):
    at = open_page("pretrained", {"text": SENTENCE, "layer": "2", "head": "0",
                                  "hide_special": "true"})
    assert_clean(at)
    token_charts = [ch for ch in charts(at) if "Entropy" not in str(spec(ch).get("title"))]
    assert len(token_charts) == 9  # model view, q, k, scores, logits, weights, ‖v‖, query row,
    # rollout
    for ch in token_charts:  # (the statistics table describes the full maps)
        text = json.dumps(spec(ch)) + "".join(d.to_csv() for d in chart_data(ch))
        assert "[CLS]" not in text and "[SEP]" not in text, spec(ch).get("title")
    weights, rows, cols = matrix(chart_by_title(at, "3. Weights"))
    assert rows == cols == run.tokens[1:-1]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    kept = run.weights[2, 0, 1:-1, 1:-1].numpy()
    np.testing.assert_allclose(weights, kept / kept.sum(axis=1, keepdims=True), atol=1e-5)
    rollout, rows, _ = matrix(chart_by_title(at, "Rollout"))
    assert rows == run.tokens[1:-1]
    np.testing.assert_allclose(rollout.sum(axis=1), 1.0, atol=1e-5)
    assert "renormalised" in " ".join(c.value for c in at.caption)


def test_statistic_choice_from_the_link_colours_the_heat_table():
    at = open_page("pretrained", {"stat": "previous token"})
    assert_clean(at)
    table = chart_by_title(at, "Previous token")
    data = chart_data(table)[0]
    np.testing.assert_allclose(data["value"], data["previous_token"])
    assert set(data["label"]) <= {"previous-token", "sink", "[SEP]", "self", "global", "local",
                                  "mixed"}


@pytest.mark.parametrize("key, values", [
    ("layer", ["-1", "999999999999", "nan", "abc", "1e400", "2.5"]),
    ("head", ["-7", "12", "NaN", "x" * 500, "-inf", ""]),
    ("hide_special", ["maybe", "", "1"]),
    ("stat", ["nonsense", "", "[SEP]"]),
])
def test_bad_link_values_render_without_exception(key, values):
    for value in values:
        at = open_page("pretrained", {key: value})
        assert_clean(at)
        assert 0 <= at.slider(key="layer").value <= 5 and 0 <= at.slider(key="head").value <= 11


def test_out_of_range_head_is_clamped_and_said():
    at = open_page("pretrained", {"layer": "99", "head": "-3"})
    assert_clean(at)
    assert at.slider(key="layer").value == 5 and at.slider(key="head").value == 0
    assert "layer=99" in " ".join(i.value for i in at.info)


def test_random_sequence_mode_says_the_sentence_is_used():
    at = open_page("pretrained", {"tokens": "12"})
    assert_clean(at)
    assert "needs words" in " ".join(i.value for i in at.info)
    assert len(charts(at)) >= 7


def test_a_model_that_cannot_load_is_an_error_not_a_traceback():
    at = open_page("pretrained")
    at.text_input(key="pretrained_model").set_value("/no/such/model/dir").run()
    assert_clean(at)
    assert "no model directory" in at.error[0].value
    assert len(charts(at)) >= 7  # the packaged model is shown meanwhile


def test_hosted_profile_hides_model_choice_and_caps_tokens(monkeypatch):
    hosted = dataclasses.replace(page_parts.LIMITS, allow_model_choice=False, max_pretrained_tokens=128)
    monkeypatch.setattr(page_parts, "LIMITS", hosted)
    at = open_page("pretrained", {"text": "word " * 300})
    assert_clean(at)
    assert not [w for w in at.text_input if w.key == "pretrained_model"]
    assert "the model sees the first 128" in at.warning[0].value
    grid, keys, queries = chart_data(charts(at)[0])
    assert len(grid) == 72 and not grid["cell"].any()  # 72 x 128 x 128 cells: no hover grid
    assert len(keys) == len(queries) == 128


def test_a_linked_query_past_the_sentence_is_its_last_row_in_slider_and_map():
    at = open_page("pretrained", {"query": "50", "hide_special": "true"})
    assert_clean(at)
    last = len(load_model().attend(at.sidebar.text_area(key="text").value).tokens) - 3  # no [CLS], [SEP]
    assert at.slider(key="query").value == last
    assert outlined_rows(chart_by_title(at, "3. Weights")) == [last]


def test_entropy_is_coloured_up_to_ln_n():
    """The statistics table's entropy scale ends at its maximum, ln n over the run's n tokens."""
    at = open_page("pretrained", {"text": "The animal didn't cross the street"})
    assert_clean(at)
    table = chart_by_title(at, "Entropy")
    tokens = load_model().attend("The animal didn't cross the street").tokens
    assert any(abs(top - math.log(len(tokens))) < 1e-9 for top in _domains(spec(table)))


def _domains(node) -> list[float]:
    found = []
    if isinstance(node, dict):
        dom = node.get("domain")
        if isinstance(dom, list) and len(dom) == 2 and all(isinstance(v, int | float) for v in dom):
            found.append(float(dom[1]))
        for v in node.values():
            found += _domains(v)
    elif isinstance(node, list):
        for v in node:
            found += _domains(v)
    return found
