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
