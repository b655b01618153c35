"""The outlined query row is data: the same spec for every row, the box on the row asked for."""

import re

import numpy as np
import pytest
import vl_convert as vlc

from attention import charts
from attention.charts.frames import sweep_frame
from attention.charts.raster import HIGHLIGHT_COLOR
from attention.dashboard import chart_cache as cc
from attention.dashboard.display import vega_args

TOKS8 = [f"t{i}" for i in range(8)]
TOKS40 = [f"t{i}" for i in range(40)]


def outline_boxes(chart) -> list[tuple[float, float]]:
    """(top, height) of every outline box the chart draws, read from its SVG."""
    svg = vlc.vegalite_to_svg(chart.to_dict())
    boxes = []
    for path in re.findall(r"<path[^>]*>", svg):
        if f'stroke="{HIGHLIGHT_COLOR}"'.lower() in path.lower():
            top, height = re.search(r'd="M[-\d.]+,([-\d.]+)h[-\d.]+v([-\d.]+)', path).groups()
            boxes.append((float(top), float(height)))
    return boxes


@pytest.mark.parametrize("toks", [TOKS8, TOKS40], ids=["rect marks", "image"])
def test_a_map_outlines_the_row_asked_for_with_one_spec_for_every_row(toks):
    w = np.random.default_rng(0).random((len(toks), len(toks)))
    made = {row: charts.heatmap(w, toks, toks, highlight_row=row, select=True)
            for row in (1, 5, None, len(toks))}
    assert made[1].spec == made[5].spec  # moving the outline sends data only
    (top1, h), = outline_boxes(made[1])
    (top5, h5), = outline_boxes(made[5])
    assert h == h5 > 0 and top1 == pytest.approx(h) and top5 == pytest.approx(5 * h)
    assert outline_boxes(made[None]) == []
    assert outline_boxes(made[len(toks)]) == []  # not a row of the map: no box


@pytest.mark.parametrize("n", [5, 40], ids=["rect marks", "image"])
def test_a_head_grid_outlines_the_row_in_every_panel(n):
    toks = TOKS40[:n]
    w = np.random.default_rng(1).random((3, n, n))
    grid = charts.head_grid(w, toks, toks, ["a", "b", "c"], highlight_row=3, select="query")
    boxes = outline_boxes(grid)
    assert len(boxes) == 3 and len(set(boxes)) == 1  # the same row in each head's panel
    top, h = boxes[0]
    assert top == pytest.approx(3 * h)
    assert charts.head_grid(w, toks, toks, ["a", "b", "c"], highlight_row=0,
                            select="query").spec == grid.spec


def test_a_kept_map_moves_its_outline_without_packing_its_data_again():
    cc.CACHE.clear()
    hits, misses = cc.CACHE.hits, cc.CACHE.misses
    w = np.random.default_rng(2).random((8, 8))
    first = cc.charts.heatmap(w, TOKS8, TOKS8, highlight_row=1, select=True)
    moved = cc.charts.heatmap(w, TOKS8, TOKS8, highlight_row=6, select=True)
    assert (cc.CACHE.misses - misses, cc.CACHE.hits - hits) == (1, 1)  # built once, then kept
    a, b = vega_args(first)["spec"], vega_args(moved)["spec"]
    assert a["datasets"]["table"] is b["datasets"]["table"]  # the same bytes, not packed again
    assert a["datasets"]["outline"] != b["datasets"]["outline"]
    assert {k: v for k, v in a.items() if k != "datasets"} == {
        k: v for k, v in b.items() if k != "datasets"}
    (top, h), = outline_boxes(moved)
    assert top == pytest.approx(6 * h)
    assert moved.frames()["outline"]["query_token"].tolist() == ["t6"]
    again = cc.charts.heatmap(w, TOKS8, TOKS8, highlight_row=1, select=True)
    assert outline_boxes(again) == outline_boxes(first)  # the kept chart was not changed


def test_an_exported_map_keeps_its_labels_and_its_outline():
    """The download of an image map carries its small datasets: token labels, the outline."""
    from attention import export

    w = np.random.default_rng(3).random((40, 40))
    chart = charts.heatmap(w, TOKS40, TOKS40, highlight_row=7)
    svg = export.svg(*export.chart_parts(chart)).decode()
    assert ">t7<" in svg and ">t39<" in svg  # the axes' token labels
    assert f'stroke="{HIGHLIGHT_COLOR}"'.lower() in svg.lower()


def test_a_kept_curve_moves_its_marker_without_packing_its_data_again():
    """The grey rule (`marker_x`, the d_k or step on screen) is placed like the outline."""
    cc.CACHE.clear()
    hits, misses = cc.CACHE.hits, cc.CACHE.misses
    frame = sweep_frame([1, 2, 4, 8], {"a": [1.0, 2.0, 3.0, 4.0]}, "d_k", "variance")
    first = cc.charts.lines(frame, x="d_k", y="variance", title="v", x_title="d_k",
                            y_title="v", marker_x=2.0)
    moved = cc.charts.lines(frame, x="d_k", y="variance", title="v", x_title="d_k",
                            y_title="v", marker_x=8.0)
    assert (cc.CACHE.misses - misses, cc.CACHE.hits - hits) == (1, 1)
    a, b = vega_args(first)["spec"], vega_args(moved)["spec"]
    assert a["datasets"]["table"] is b["datasets"]["table"]
    assert moved.frames()["marker"]["d_k"].tolist() == [8.0]
    assert first.frames()["marker"]["d_k"].tolist() == [2.0]  # the kept chart is unchanged
    assert {k: v for k, v in a.items() if k != "datasets"} == {
        k: v for k, v in b.items() if k != "datasets"}
