"""Frames, charts and exports: the specs have the right fields, domains and panels."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from attention import charts, export
from attention.charts.frames import ZWSP, axis_labels, matrix_frame

TOKS = ["The", "cat", "sat", "on", "the", "mat", ".", "the"]
rng = np.random.default_rng(0)


def _weights(L=8, S=8):
    x = rng.normal(size=(L, S))
    return np.exp(x) / np.exp(x).sum(1, keepdims=True)


def test_axis_labels_are_unique_but_look_like_the_tokens():
    labels = axis_labels(TOKS)
    assert len(set(labels)) == len(labels)
    assert [t.replace(ZWSP, "") for t in labels] == TOKS


def test_matrix_frame_is_long_and_never_nan():
    v = _weights()
    v[0, 3] = -np.inf
    mask = np.zeros((8, 8), bool)
    mask[1, 2] = True
    f = matrix_frame(v, TOKS, TOKS, mask)
    assert len(f) == 64 and list(f.columns[:2]) == ["query", "key"]
    assert f["value"].notna().all() and np.isfinite(f["value"]).all()
    assert f.set_index(["query", "key"]).loc[(0, 3), "masked"]
    assert f.set_index(["query", "key"]).loc[(1, 2), "masked"]
    assert f.set_index(["query", "key"]).loc[(4, 5), "value"] == pytest.approx(v[4, 5])


def test_three_dimensional_frame_has_heads():
    f = matrix_frame(np.stack([_weights(), _weights()]), TOKS, TOKS, head=np.array(["a", "b"]))
    assert set(f["head"]) == {"a", "b"} and len(f) == 128


def test_weights_heatmap_is_rect_viridis_on_unit_domain():
    c = charts.heatmap(_weights(), TOKS, TOKS, title="w")
    rect = c.spec["layer"][0]
    assert rect["mark"]["type"] == "rect"
    scale = rect["encoding"]["color"]["scale"]
    assert scale == {"scheme": "viridis", "domain": [0.0, 1.0]}
    assert rect["encoding"]["x"]["field"] == "key_token" and rect["encoding"]["y"]["field"] == "query_token"
    assert c.spec["data"] == {"name": charts.TABLE} and len(c.data) == 64


def test_scores_heatmap_is_diverging_and_symmetric():
    v = rng.normal(size=(8, 8)) * 3.3
    scale = charts.heatmap(v, TOKS, TOKS, kind="scores").spec["layer"][0]["encoding"]["color"]["scale"]
    lo, hi = scale["domain"]
    assert scale["domainMid"] == 0 and lo == -hi and hi >= np.abs(v).max()


@pytest.mark.parametrize("m, nice", [(0.3, 0.5), (1.0, 1.0), (1.01, 2.0), (4.2, 5.0), (17, 20), (0, 1)])
def test_nice_domain(m, nice):
    assert charts.nice_domain(np.array([m, -m / 2])) == (-nice, nice)


def test_spec_is_the_same_when_only_the_numbers_change():
    a = charts.heatmap(_weights(), TOKS, TOKS, title="w")
    b = charts.heatmap(_weights(), TOKS, TOKS, title="w")
    assert a.spec == b.spec and not a.data.equals(b.data)


def test_big_maps_become_images_and_keep_one_spec_per_shape():
    labels = [str(i) for i in range(64)]
    a = charts.heatmap(_weights(64, 64), labels, labels)
    b = charts.heatmap(_weights(64, 64), labels, labels)
    assert '"image"' in json.dumps(a.spec) and a.spec == b.spec
    images = a.data[~a.data["cell"]]
    assert len(images) == 1 and images["url"][0].startswith("data:image/png;base64,")
    assert images["url"][0] != b.data["url"][0]
    assert a.data.notna().all().all()  # image rows and hit-grid rows: never NaN
    assert "data:image/png" in json.dumps(a.to_dict())  # exports carry the image


def test_masked_cells_are_grey_not_a_colour():
    colour = charts.heatmap(_weights(), TOKS, TOKS, masked=np.triu(np.ones((8, 8), bool), 1)
                            ).spec["layer"][0]["encoding"]["color"]
    assert colour["condition"]["test"] == "datum.masked"
    assert colour["condition"]["value"] == charts.MASK_COLOR


def test_head_grid_has_one_panel_per_head_on_a_shared_scale():
    w = np.stack([_weights() for _ in range(4)])
    c = charts.head_grid(w, TOKS, TOKS, [f"head {h}" for h in range(4)], columns=4)
    assert c.spec["columns"] == 4 and c.spec["facet"]["field"] == "head"
    assert c.data["head"].nunique() == 4
    assert c.spec["spec"]["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0.0, 1.0]


def test_chart_exports_to_png_and_svg():
    c = charts.heatmap(_weights(), TOKS, TOKS, title="w")
    assert export.png(*export.chart_parts(c), scale=1).startswith(b"\x89PNG")
    svg = export.svg(*export.chart_parts(c)).decode()
    assert svg.startswith("<svg") and "cat" in svg


def test_big_head_grid_is_one_image_per_head_with_its_title():
    w = np.stack([_weights(40, 40) for _ in range(3)])
    c = charts.head_grid(w, [str(i) for i in range(40)], [str(i) for i in range(40)], ["a", "b", "c"])
    images = c.data[~c.data["cell"]]
    assert list(images["head_title"]) == ["a", "b", "c"]
    assert images["url"].str.startswith("data:image/png;base64,").all()


def test_big_grid_exports_beyond_altairs_row_limit():
    w = np.stack([_weights(40, 40) for _ in range(4)])  # 6400 cells: more than Altair's 5000
    c = charts.head_grid(w, [str(i) for i in range(40)], [str(i) for i in range(40)],
                         [f"h{h}" for h in range(4)])
    assert export.png(*export.chart_parts(c), scale=1).startswith(b"\x89PNG")


def test_arrays_export_as_csv_and_npy_without_pickle():
    v = _weights()
    csv = export.csv(v, TOKS, TOKS).decode()
    assert csv.splitlines()[0].count(",") == 8 and csv.splitlines()[1].startswith("The,")
    back = np.load(io.BytesIO(export.npy(v)), allow_pickle=False)
    np.testing.assert_array_equal(back, v)
    long = export.csv(np.stack([v, v])).decode().splitlines()
    assert long[0] == "head,row,col,value" and len(long) == 129


# ---------------------------------------------------------------- rect marks or an image


def _is_image(chart: charts.Chart) -> bool:
    return '"image"' in json.dumps(chart.spec)


def test_draws_as_image_counts_every_cell_of_every_map():
    limit = charts.RECT_MAX_CELLS
    assert not charts.draws_as_image(32, 32) and limit == 1024
    assert charts.draws_as_image(32, 33) and charts.draws_as_image(33, 32)
    assert not charts.draws_as_image(8, 8, maps=16) and charts.draws_as_image(8, 8, maps=17)
    assert not charts.draws_as_image(1, limit) and charts.draws_as_image(1, limit + 1)


@pytest.mark.parametrize("L, S, H", [(32, 32, 1), (32, 33, 1), (8, 8, 16), (8, 8, 17),
                                     (16, 16, 4), (5, 41, 5), (12, 12, 1), (1, 1025, 1)])
def test_heatmap_and_head_grid_follow_the_one_rule(L, S, H):
    """The same number of cells is drawn the same way by a heatmap and by a head grid."""
    image = charts.draws_as_image(L, S, H)
    cells = L * S * H
    rows, cols = [str(i) for i in range(L)], [str(j) for j in range(S)]
    grid = charts.head_grid(_weights(L * H, S).reshape(H, L, S), rows, cols,
                            [f"h{h}" for h in range(H)])
    assert _is_image(grid) == image
    flat = charts.heatmap(_weights(cells // S, S), [str(i) for i in range(cells // S)], cols)
    assert _is_image(flat) == image
    mark = grid.spec["spec"]["layer"][0]["mark"]
    assert (mark["type"] if isinstance(mark, dict) else mark) == ("image" if image else "rect")


def test_stats_heat_table_colours_shares_on_unit_viridis_else_blues_to_top():
    frame = pd.DataFrame({"layer": [0, 0, 1, 1], "head": [0, 1, 0, 1],
                          "value": [0.1, 0.9, 2.3, 0.4], "tag": ["", "prev-token", "sink", ""],
                          "label": ["mixed", "previous-token", "sink", "local"]})
    share = charts.stats_heat_table(frame, 1.0, shares=True, title="Share", value_title="s")
    other = charts.stats_heat_table(frame, 5.0, shares=False, title="Entropy", value_title="e")
    scale = share.spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale == {"scheme": "viridis", "domain": [0, 1]}
    scale = other.spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale == {"scheme": "blues", "domain": [0, 5.0]}
    assert share.spec["data"] == {"name": charts.TABLE} and share.data is frame
    assert share.spec["title"] == "Share" and other.spec["title"] == "Entropy"
    texts = [layer["encoding"]["text"] for layer in other.spec["layer"][1:]]
    assert texts[0]["field"] == "value" and texts[1]["field"] == "tag"
    assert share.spec["width"] == 56 * 2 + 120  # one cell a head


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of an sRGB colour "#rrggbb"."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (_luminance(hex_colour) + 0.05)


def test_chart_text_is_readable_on_a_projector():
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#808495") < 4.5  # the kind of grey the default theme draws
    w = np.full((4, 4), 0.25)
    toks = list("abcd")
    frame = pd.DataFrame({"token": toks, "position": range(4), "value": np.arange(4.0)})
    specs = [charts.heatmap(w, toks, toks).spec,
             charts.head_grid(np.stack([w, w]), toks, toks, ["head 0", "head 1"]).spec,
             charts.bars(frame, y="value", title="t", y_title="v").spec]
    for spec in specs:
        config = spec["config"]
        for part, key in (("axis", "labelColor"), ("axis", "titleColor"),
                          ("legend", "labelColor"), ("title", "color")):
            assert contrast_on_white(config[part][key]) >= 4.5, (part, key, config[part][key])


# ---------------------------------------------------------------- charts in words, projector


def test_a_map_is_described_by_its_strongest_cell_and_the_words_follow_the_data():
    w = np.full((3, 3), 0.1)
    w[1, 2] = 0.8
    toks = ["the", "cat", "sat"]
    text = charts.describe(charts.heatmap(w, toks, toks, title="Attention weights"))
    assert text.startswith("Attention weights: 3 queries × 3 keys.")
    assert "query 'cat' → key 'sat', 0.8" in text
    w2 = w.copy()
    w2[1, 2], w2[2, 0] = 0.1, 0.9
    moved = charts.describe(charts.heatmap(w2, toks, toks, title="Attention weights"))
    assert "query 'sat' → key 'the', 0.9" in moved and moved != text
    # the same spec for both: only the words (and the data) change
    assert charts.heatmap(w2, toks, toks, title="Attention weights").spec == \
        charts.heatmap(w, toks, toks, title="Attention weights").spec


def test_an_image_map_and_a_grid_say_their_size_heads_and_masked_cells():
    L = 40
    w = np.tril(np.full((L, L), 0.01))
    w[L - 1, 3] = 0.95
    toks = [f"t{i}" for i in range(L)]
    mask = np.triu(np.ones((L, L), bool), 1)
    chart = charts.heatmap(w, toks, toks, masked=mask, title="Causal")
    assert charts.draws_as_image(L, L)  # no values in its data: the builder's words
    text = charts.describe(chart)
    assert "40 queries × 40 keys" in text and "'t39' → key 't3', 0.95" in text
    w0 = w.copy()
    w0[0, 0] = 1.0  # row 0 sees one key: all its weight, whatever the data, is no choice
    assert "'t39' → key 't3'" in charts.describe(charts.heatmap(w0, toks, toks, masked=mask))
    assert f"{int(mask.sum())} of {L * L} cells masked" in text
    grid = charts.head_grid(np.stack([w, w.T]), toks, toks, ["head A", "head B"])
    assert "2 maps of 40 queries × 40 keys" in charts.describe(grid)
    assert "head A, query 't39'" in charts.describe(grid)


def test_scores_give_highest_and_lowest_and_other_charts_are_read_from_their_data():
    s = np.array([[2.0, -3.0], [0.5, 1.0]])
    text = charts.describe(charts.heatmap(s, ["a", "b"], ["a", "b"], kind="scores", title="S"))
    assert "Highest: query 'a' → key 'a', 2" in text and "lowest: query 'a' → key 'b', -3" in text
    frame = pd.DataFrame({"position": [0, 1, 2], "token": ["x", "y", "z"],
                          "entropy": [0.2, 1.5, 0.7]})
    bars = charts.bars(frame, y="entropy", title="Entropy per query", y_title="entropy (nats)")
    words = charts.describe(bars)
    assert words.startswith("Entropy per query:") and "Highest 1.5 at query token 'y'" in words
    assert "lowest 0.2 at query token 'x'" in words
    frame.loc[0, "entropy"] = 3.0
    assert "Highest 3 at query token 'x'" in charts.describe(
        charts.bars(frame, y="entropy", title="Entropy per query", y_title="entropy (nats)"))


def test_curves_of_several_heads_differ_by_dash_as_well_as_hue():
    frame = pd.DataFrame({"step": [0, 1, 0, 1, 0, 1], "series": ["h0", "h0", "h1", "h1", "h2", "h2"],
                          "value": [0.1, 0.2, 0.3, 0.9, 0.0, 0.4]})
    colours = (("h0", "#111111"), ("h1", "#222222"), ("h2", "#333333"))
    for chart in (charts.curves(frame, title="Induction", y_title="score", colours=colours),
                  charts.lines(frame, x="step", y="value", title="t", x_title="s", y_title="v")):
        line = chart.spec["layer"][0]
        dash = line["encoding"]["strokeDash"]
        assert dash["field"] == "series" and dash["scale"]["domain"] == ["h0", "h1", "h2"]
        patterns = [tuple(p) for p in dash["scale"]["range"]]
        assert len(set(patterns)) == 3  # each head its own dash
        # one legend: colour and dash on the same field, drawn as short lines
        assert line["encoding"]["color"]["legend"] == dash["legend"]
        assert dash["legend"]["symbolType"] == "stroke"
    assert "Highest 0.9 at series 'h1', training step 1" in charts.describe(
        charts.curves(frame, title="Induction", y_title="score", colours=colours))


def test_projector_text_is_larger_and_leaves_the_cached_spec_alone():
    chart = charts.heatmap(_weights(), TOKS, TOKS, title="w")
    before = json.dumps(chart.spec, sort_keys=True)
    big = charts.for_projector(chart.spec)
    assert json.dumps(chart.spec, sort_keys=True) == before
    assert big["config"]["axis"]["labelFontSize"] >= 14 > 12  # Streamlit's theme: 12 px
    assert big["config"]["legend"]["labelFontSize"] > 14  # the theme's legend labels: 14 px
    assert big["config"]["axis"]["labelColor"] == chart.spec["config"]["axis"]["labelColor"]


def test_a_token_vega_cannot_hold_as_a_value_is_padded_like_a_repeat():
    """A bare "__proto__" on an axis made Vega log ~12 errors per page (its joins index
    objects by value); padded, it looks the same and stays unique."""
    labels = axis_labels(["__proto__", "a", "__proto__"])
    assert labels == ["__proto__" + ZWSP, "a", "__proto__" + ZWSP * 2]
    assert "__proto__" not in labels


def test_reference_lines_and_their_labels_are_drawn_once():
    """A label beside a rule is one mark, not one per data row (which overprints)."""
    from attention.export.worker import svg

    frame = pd.DataFrame({"step": np.tile(np.arange(20), 2), "value": np.linspace(0, 1, 40),
                          "series": ["a"] * 20 + ["b"] * 20})
    line = charts.lines(frame, x="step", y="value", title="t", x_title="x", y_title="y",
                        reference=0.5, reference_label="chance level")
    assert svg(line.spec, line.data).decode().count(">chance level<") == 1
    curve = charts.curves(frame, title="t", y_title="y", colours=(("a", "#4c78a8"), ("b", "#f58518")),
                          event_x=7, event_label="the jump")
    assert svg(curve.spec, curve.data).decode().count(">the jump<") == 1
