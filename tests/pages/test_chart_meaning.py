"""What the charts signal: labels are data, one colour per meaning, clicks that pick a
query or a head, relative colours, the query seen across every head."""

from __future__ import annotations

import json

import numpy as np
import pytest

from attention import charts as ch
from attention.core.inputs import tokenize

from .conftest import (
    assert_clean,
    chart_by_title,
    chart_data,
    charts,
    open_page,
    outlined_rows,
    spec,
)

# Words a JavaScript expression would read as code, and odd tokens.
ODD = ["if", "constructor", "toString", "valueOf", "__proto__", "hasOwnProperty", "</script>",
       '"', "'", "\\", "😀", "}", "datum"]
# Over 32 tokens, so the 33 x 33 maps are drawn as images.
ODD_TEXT = " ".join(ODD) + " " + " ".join(["a"] * 24)
CODE_KEYS = {"labelExpr", "expr", "filter", "calculate", "test", "signal", "update"}


def _code_strings(node, out: list[str]) -> list[str]:
    """Every string of a spec that Vega parses as an expression."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in CODE_KEYS and isinstance(v, str):
                out.append(v)
            elif k == "filter" and isinstance(v, dict):
                _code_strings(v, out)
            else:
                _code_strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _code_strings(v, out)
    return out


@pytest.mark.parametrize("page", ["single_head", "multi_head", "causal", "entropy", "pretrained"])
def test_odd_tokens_never_reach_an_expression(page):
    at = open_page(page, {"text": ODD_TEXT})
    assert_clean(at)
    assert charts(at)
    found_image = False
    for c in charts(at):
        s = spec(c)
        found_image |= '"image"' in json.dumps(s)
        for code in _code_strings(s, []):
            for word in ("constructor", "toString", "valueOf", "__proto__", "script", "😀"):
                assert word not in code, (s.get("title"), code)
    if page in ("single_head", "causal"):
        assert found_image  # the case that once went blank: image maps with these labels


def test_image_map_labels_are_data_in_position_order():
    at = open_page("single_head", {"text": ODD_TEXT})
    weights = chart_by_title(at, "3. Weights")
    names = [d.name for d in weights.proto.datasets]
    assert names == ["table", "keys", "queries", "outline"]
    _, keys, queries, outline = chart_data(weights)
    # The outlined query is data too: its index and the label its row shows.
    row = outline["query"].tolist()
    assert row == [at.slider(key="query").value]
    assert outline["query_token"].tolist() == queries["query_token"].iloc[row].tolist()
    toks = tokenize(ODD_TEXT)
    assert [t.replace("\u200b", "") for t in keys["key_token"]] == toks
    assert keys["key"].tolist() == list(range(len(toks)))


def test_scaled_and_unscaled_keep_their_colours_and_variance_is_log():
    at = open_page("single_head")
    seen = {}
    for prefix in ("Variance of q·k", "Softmax saturation"):
        s = spec(chart_by_title(at, prefix))
        line = s["layer"][0]["encoding"]
        scale = line["color"]["scale"]
        seen[prefix] = dict(zip(scale["domain"], scale["range"], strict=True))
        assert ch.REFERENCE_COLOR not in scale["range"]
        if prefix.startswith("Variance"):
            assert line["y"]["scale"]["type"] == "log"
            frame = chart_data(chart_by_title(at, prefix))[0]
            assert (frame["variance"] > 0).all()  # a log axis can show every point
    a, b = seen.values()
    assert a == b == {"unscaled": ch.UNSCALED_COLOR, "scaled by 1/√d_k": ch.SCALED_COLOR}


def test_default_series_colours_never_take_the_reference_red():
    import pandas as pd

    frame = pd.DataFrame({"x": [1, 2] * 5, "series": sum([[f"s{i}"] * 2 for i in range(5)], []),
                          "y": range(10)})
    s = ch.lines(frame, x="x", y="y", title="t", x_title="x", y_title="y", reference=1.0).spec
    scale = s["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == [f"s{i}" for i in range(5)]
    assert ch.REFERENCE_COLOR not in scale["range"] and len(set(scale["range"])) == 5


def test_clickable_maps_carry_the_query_selection_and_others_none():
    at = open_page("single_head")
    for title in ("3. Weights", "2. Logits"):
        c = chart_by_title(at, title)
        assert list(c.proto.selection_mode) == ["query_row"] and "query_row" in json.dumps(spec(c))
    for title in ("1. Scores", "4. Output"):  # no query to pick: no selection, no fade
        s = json.dumps(spec(chart_by_title(at, title)))
        assert "query_row" not in s and "opacity" not in s


def test_small_head_grid_labels_every_token():
    at = open_page("multi_head")  # 8 tokens, 4 heads
    grid = spec(charts(at)[0])
    enc = grid["spec"]["layer"][0]["encoding"]
    assert enc["x"]["axis"]["labelOverlap"] is False and enc["y"]["axis"]["labelOverlap"] is False
    width = grid["spec"].get("width") or grid["spec"]["layer"][0]["width"]
    assert width >= 8 * 15  # at least 15 px a token


def test_relative_colours_are_weight_times_n_with_an_honest_legend():
    at = open_page("multi_head", {"relative": "true", "causal": "true"})
    assert_clean(at)
    grid = charts(at)[0]
    colour = spec(grid)["spec"]["layer"][0]["encoding"]["color"]
    assert colour["scale"]["domain"] == [0.0, ch.RELATIVE_MAX] and colour["scale"]["clamp"] is True
    assert colour["title"] == "weight × n (1 = uniform)"
    assert "≥ 4" in colour["legend"]["labelExpr"]
    frame = chart_data(grid)[0]
    # Row 0 under the causal mask sees one key: weight 1 there, times n = 1.
    row0 = frame[(frame["query"] == 0) & (frame["key"] == 0)]["value"]
    np.testing.assert_allclose(row0, 1.0)
    # Each row's values sum to n, its number of keys.
    sums = frame[~frame["masked"]].groupby(["head", "query"])["value"].sum()
    np.testing.assert_allclose(sums.to_numpy(), np.tile(np.arange(1, 9), 4), rtol=1e-5)
    plain = open_page("multi_head")
    assert spec(charts(plain)[0])["spec"]["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0, 1]


def test_query_across_heads_is_that_row_of_every_head():
    at = open_page("multi_head", {"query": "3", "preset": "designed"})
    assert_clean(at)
    assert at.slider(key="query").value == 3
    grid, outline = chart_data(charts(at)[0])  # row 3 outlined in every head: data, not spec
    assert outline["query"].tolist() == [3]
    across = chart_data(chart_by_title(at, "The query's row in every head"))[0]
    assert "Row 3, “on”" in " ".join(c.value for c in at.caption)
    for h in range(4):
        want = grid[(grid["head_index"] == h) & (grid["query"] == 3)].sort_values("key")["value"]
        got = across[across["query"] == h].sort_values("key")["value"]
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy())


def test_pretrained_thumbnails_pick_a_head_and_show_the_query_across_heads():
    at = open_page("pretrained", {"layer": "2", "query": "1"})
    assert_clean(at)
    grid = charts(at)[0]
    assert list(grid.proto.selection_mode) == ["query_row"]
    pick = [p for p in spec(grid)["params"] if p["name"] == "query_row"][0]
    assert pick["select"]["fields"] in (["head"], ["head_index"])
    table = chart_data(grid)[0]
    cells = table[table["cell"]]
    assert {"query_text", "key_text", "text"} <= set(cells.columns) and len(cells) > 0
    assert chart_by_title(at, "Layer 2, row 1")


@pytest.mark.parametrize("page, title", [("pretrained", "3. Weights"), ("single_head", "3. Weights")])
def test_a_linked_query_outlines_that_row_on_first_load(page, title):
    at = open_page(page, {"query": "5"})
    assert_clean(at)
    assert at.slider(key="query").value == 5
    assert outlined_rows(chart_by_title(at, title)) == [5]
