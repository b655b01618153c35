"""Image maps: Vega's colours, masks, PNGs, and the image layers' specs (through the
standalone charts of tests/image_charts.py)."""

import base64
import io
import json

import altair as alt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from attention.charts.raster import MASK_COLOR, color_indices, palette, png_data_url, scheme_stops
from tests.image_charts import raster_head_grid, raster_heatmap

vlc = pytest.importorskip("vl_convert")


def rgb(hex_color: str) -> list[int]:
    return list(bytes.fromhex(hex_color.lstrip("#")))


def decode(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    return np.asarray(img.convert("RGB"))


def render(chart) -> np.ndarray:
    png = vlc.vegalite_to_png(chart.to_dict(), scale=1)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


# ------------------------------------------------------------------------- colours

def colours(values, scheme, domain, masked=None) -> np.ndarray:
    """What an image map paints: each value's palette entry, as (..., 3) RGB."""
    return palette(scheme)[color_indices(values, scheme, domain, masked)]


def test_scheme_ends_are_vegas():
    # Vega's scheme stops (vega-scale schemes.js): viridis 440154 .. fde725,
    # redblue 8c0d25 (low) .. f2efee (middle) .. 134b85 (high).
    v = colours([[0.0, 1.0]], "viridis", (0, 1))
    assert v[0].tolist() == [rgb("440154"), rgb("fde725")]
    d = colours([[-3.0, 0.0, 3.0]], "redblue", (-3, 3))
    assert d[0].tolist() == [rgb("8c0d25"), rgb("f2efee"), rgb("134b85")]
    for scheme in ("viridis", "redblue"):
        stops = scheme_stops(scheme)
        assert palette(scheme)[[0, 254]].tolist() == [stops[0].tolist(), stops[-1].tolist()]


def test_values_outside_domain_are_clamped():
    v = colours([[-5.0, 7.0, 0.5]], "viridis", (0, 1))
    assert v[0, :2].tolist() == [rgb("440154"), rgb("fde725")]
    assert v[0, 2].tolist() not in (rgb("440154"), rgb("fde725"))
    assert color_indices([[-5.0, 7.0]], "viridis", (0, 1)).tolist() == [[0, 254]]


def test_diverging_centre_is_zero_for_an_asymmetric_domain():
    d = colours([[-1.0, 0.0, 4.0]], "redblue", (-1, 4))
    assert d[0].tolist() == [rgb("8c0d25"), rgb("f2efee"), rgb("134b85")]


def test_masked_and_non_finite_cells_are_grey_never_nan():
    values = np.array([[0.2, np.nan], [-np.inf, 0.7]])
    masked = np.array([[True, False], [False, False]])
    idx = color_indices(values, "viridis", (0, 1), masked=masked)
    assert idx.dtype == np.uint8 and idx.shape == (2, 2)
    out = palette("viridis")[idx]
    grey = rgb(MASK_COLOR)
    assert out[0, 0].tolist() == grey  # masked
    assert out[0, 1].tolist() == grey  # NaN
    assert out[1, 0].tolist() == grey  # -inf (a masked logit)
    assert out[1, 1].tolist() != grey
    assert idx[1, 1] == round(0.7 * 254)  # the unmasked cell keeps its own colour


@pytest.mark.parametrize("scheme, domain", [("viridis", (0, 1)), ("redblue", (-3, 3)),
                                            ("redblue", (-1, 4))])
def test_colours_equal_vegas_own_rect_rendering(scheme, domain):
    """Vega renders a rect heatmap of the same values; its cell colours match ours."""
    n, cell = 12, 10
    rng = np.random.default_rng(1)
    values = rng.uniform(domain[0] - 0.3, domain[1] + 0.3, size=(n, n))
    df = pd.DataFrame([(i, j, values[i, j]) for i in range(n) for j in range(n)],
                      columns=["query", "key", "value"])
    scale = (alt.Scale(scheme=scheme, domain=list(domain), domainMid=0, clamp=True)
             if scheme == "redblue" else alt.Scale(scheme=scheme, domain=list(domain),
                                                   clamp=True))
    chart = alt.Chart(df).mark_rect().encode(
        x=alt.X("key:O", axis=None), y=alt.Y("query:O", axis=None),
        color=alt.Color("value:Q", scale=scale, legend=None),
    ).properties(width=n * cell, height=n * cell)
    img = render(chart)
    pad = 5  # Vega's default padding
    centres = pad + cell * np.arange(n) + cell // 2
    drawn = img[centres[:, None], centres[None, :]].astype(int)
    ours = colours(values, scheme, domain).astype(int)
    # 255 palette colours stand in for Vega's exact interpolation: within 2 levels, and
    # nearly every cell within 1
    assert np.abs(drawn - ours).max() <= 2
    assert (np.abs(drawn - ours).max(axis=-1) <= 1).mean() > 0.95


def test_colours_accept_lists_and_reject_bad_input():
    assert color_indices([[0.5]], "VIRIDIS", (0, 1)).shape == (1, 1)
    with pytest.raises(ValueError, match="unknown scheme"):
        color_indices([[0.5]], "jet", (0, 1))
    for domain in [(1, 1), (2, 1), (0, float("inf")), (float("nan"), 1)]:
        with pytest.raises(ValueError, match="domain"):
            color_indices([[0.5]], "viridis", domain)


# ------------------------------------------------------------------------- PNGs

def test_png_data_url_round_trips_rgb_rgba_and_palette_images():
    idx = color_indices(np.linspace(0, 1, 12).reshape(3, 4), "viridis", (0, 1))
    rgb_image = palette("viridis")[idx]
    assert np.array_equal(decode(png_data_url(idx, palette("viridis"))), rgb_image)
    assert np.array_equal(decode(png_data_url(rgb_image)), rgb_image)
    rgba = np.concatenate([rgb_image, np.full((3, 4, 1), 255, np.uint8)], axis=-1)
    assert np.array_equal(decode(png_data_url(rgba)), rgb_image)
    with pytest.raises(ValueError):
        png_data_url(idx)


# ------------------------------------------------------------------------- charts

def _table(chart) -> list[dict]:
    return chart.to_dict()["datasets"]["table"]


def _layer_image_url(chart) -> str:
    return next(r["url"] for r in _table(chart) if not r["cell"])


def _layers(spec: dict) -> dict:
    """The layers of an image map by role: image, keys, queries, legend, cells, outline."""
    out = {}
    for layer in spec["layer"]:
        mark = layer["mark"]["type"]
        name = (layer.get("data") or {}).get("name")
        if mark == "image":
            out["image"] = layer
        elif mark == "tick":
            out[name] = layer
        elif mark == "point":
            out["legend"] = layer
        elif mark == "rect" and layer["mark"].get("fill", "") is None:
            out["outline"] = layer
        elif mark == "rect":
            out["cells"] = layer
    return out


RESERVED = ["if", "constructor", "toString", "valueOf", "__proto__", 'say "hi"', "back\\slash",
            "</script>", "😀", "'", "}", "datum.value"]


def test_raster_heatmap_png_is_one_pixel_per_cell_row_0_on_top():
    values = np.zeros((3, 5))
    values[0, 4] = 1.0  # query 0, key 4: the top-right pixel
    img = decode(_layer_image_url(raster_heatmap(values)))
    assert img.shape == (3, 5, 3)
    assert img[0, 4].tolist() == rgb("fde725")
    assert (img.reshape(-1, 3) == rgb("fde725")).all(axis=1).sum() == 1


def test_rendered_hot_cell_lands_at_its_query_row_and_key_column():
    L, S, cell = 4, 6, 10
    values = np.zeros((L, S))
    values[1, 4] = 1.0
    chart = raster_heatmap(values, [f"q{i}" for i in range(L)], [f"k{j}" for j in range(S)],
                           size=(S * cell, L * cell))
    img = render(chart)
    low = np.all(img == rgb("440154"), axis=-1)
    hot = np.all(img == rgb("fde725"), axis=-1)
    plot = low | hot
    rows, cols = np.nonzero(plot)
    # the legend gradient also holds these colours: keep the plot's component (left)
    left = cols < cols.min() + S * cell
    top, x0 = rows[left].min(), cols[left].min()
    assert rows[left].max() - top + 1 == L * cell
    hr, hc = np.nonzero(hot[:, : x0 + S * cell])
    assert hr.size == cell * cell
    assert ((hr.min() - top) // cell, (hc.min() - x0) // cell) == (1, 4)


def test_raster_heatmap_spec():
    toks = ["the", "cat", 'say "hi"']
    chart = raster_heatmap(np.eye(3), toks, toks, title="weights")
    spec = chart.to_dict()
    parts = _layers(spec)
    image = parts["image"]
    assert image["mark"]["aspect"] is False
    assert image["mark"]["smooth"] is False  # pixelated when enlarged
    assert image["mark"]["tooltip"] is None  # never the raw mark (url, data:image...)
    assert image["encoding"]["url"]["field"] == "url"
    x, y = parts["keys"]["encoding"]["x"], parts["queries"]["encoding"]["y"]
    assert x["axis"]["title"] == "key" and y["axis"]["title"] == "query"
    assert x["field"] == "key_token" and x["sort"] == {"field": "key", "op": "min"}
    assert spec["datasets"]["keys"] == [{"key": i, "key_token": t} for i, t in enumerate(toks)]
    color = parts["legend"]["encoding"]["color"]
    assert color["scale"]["scheme"] == "viridis" and color["scale"]["domain"] == [0.0, 1.0]
    assert color["title"] == "weight"
    assert spec["title"] == "weights"


@pytest.mark.parametrize("grid", [False, True])
def test_labels_are_data_never_code(grid):
    """Tokens such as `if` or `constructor` once broke a label expression (a blank chart):
    no token may appear in the spec itself, and each must be drawn."""
    toks = RESERVED + [f"w{i}" for i in range(33 - len(RESERVED))]
    L = len(toks)
    values = np.full((L, L), 1.0 / L)
    chart = (raster_head_grid(values[None].repeat(2, 0), toks, toks) if grid
             else raster_heatmap(values, toks, toks))
    spec = chart.to_dict()
    code = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, ensure_ascii=False)
    for t in ["constructor", "toString", "valueOf", "__proto__", "</script>", "😀", "hi"]:
        assert t not in code
    assert "labelExpr" not in code
    # A label may carry invisible padding (a repeat, or `__proto__`, which Vega cannot key).
    svg = vlc.vegalite_to_svg(spec).replace("\u200b", "")
    for t in ["constructor", "toString", "valueOf", "__proto__", toks[-1]]:
        assert f">{t}<" in svg, t  # every label drawn, the chart not blank
    assert "<image" in svg


def test_small_image_maps_have_a_hit_grid_with_query_key_and_value():
    toks = [f"t{i}" for i in range(40)]
    values = np.zeros((40, 40))
    values[7, 3] = 0.25
    chart = raster_heatmap(values, toks, toks, masked=np.triu(np.ones((40, 40), bool), 1))
    parts = _layers(chart.to_dict())
    tips = parts["cells"]["encoding"]["tooltip"]
    assert [t["field"] for t in tips] == ["query_text", "key_text", "text"]
    assert parts["cells"]["mark"]["opacity"] == 0
    cells = [r for r in _table(chart) if r["cell"]]
    assert len(cells) == 40 * 40
    hot = next(r for r in cells if (r["query"], r["key"]) == (7, 3))
    assert hot["query_text"] == "t7" and hot["key_text"] == "t3" and hot["text"] == "0.2500"
    assert next(r for r in cells if (r["query"], r["key"]) == (0, 5))["text"] == "masked (−∞)"
    big = raster_heatmap(np.zeros((200, 200)), None, None)
    assert "cells" not in _layers(big.to_dict())  # too many cells: no tooltip at all
    assert _layers(big.to_dict())["image"]["mark"]["tooltip"] is None


def test_diverging_spec_and_index_labels_for_long_sequences():
    n = 100
    chart = raster_heatmap(np.zeros((n, n)), [str(i) for i in range(n)], [str(i) for i in range(n)],
                           scheme="redblue", domain=(-2, 2), value_title="score")
    spec = chart.to_dict()
    parts = _layers(spec)
    axis = parts["keys"]["encoding"]["x"]["axis"]
    assert 2 <= len(axis["values"]) <= 20 and axis["values"][:2] == ["0", "10"]
    assert [r["key_token"] for r in spec["datasets"]["keys"]] == [str(i) for i in range(n)]
    scale = parts["legend"]["encoding"]["color"]["scale"]
    assert (scale["scheme"], scale["domain"], scale["domainMid"]) == ("redblue", [-2.0, 2.0], 0)
    assert parts["legend"]["encoding"]["color"]["title"] == "score"


def test_specs_are_deterministic_and_convert():
    rng = np.random.default_rng(0)
    values = rng.random((3, 6, 6))
    toks = [f"t{i}" for i in range(6)]
    a = raster_head_grid(values, toks, toks, title="heads").to_json()
    b = raster_head_grid(values.copy(), toks, toks, title="heads").to_json()
    assert a == b
    assert vlc.vegalite_to_svg(json.loads(a)).startswith("<svg")


def test_head_grid_spec_and_images():
    H, L, S = 5, 4, 4
    values = np.zeros((H, L, S))
    for h in range(H):
        values[h, h % L, 0] = 1.0
    mask = ~np.tril(np.ones((L, S), dtype=bool))
    chart = raster_head_grid(values, None, None, masked=mask, columns=3, select="head")
    spec = chart.to_dict()
    assert spec["columns"] == 3
    assert spec["facet"]["field"] == "head_title"
    parts = _layers(spec["spec"])
    assert parts["image"]["mark"]["type"] == "image"
    assert parts["legend"]["encoding"]["color"]["scale"]["domain"] == [0.0, 1.0]
    assert spec["resolve"]["scale"]["color"] == "shared"
    (pick,) = [p for p in spec["params"] if p["name"] == "query_row"]
    assert pick["select"]["fields"] == ["head"] and pick["select"]["on"] == "click"  # picks a head
    rows = [r for r in _table(chart) if not r["cell"]]
    assert [r["head"] for r in rows] == list(range(H))
    assert [r["head_title"] for r in rows] == [f"head {h}" for h in range(H)]
    for h in range(H):
        img = decode(rows[h]["url"])
        assert img[h % L, 0].tolist() == rgb("fde725")
        assert img[0, 1].tolist() == rgb(MASK_COLOR)  # above the diagonal: masked
    render(chart)  # converts and draws


def test_label_count_must_match():
    with pytest.raises(ValueError):
        raster_heatmap(np.zeros((3, 3)), ["a", "b"], ["a", "b", "c"]).to_dict()


def test_axis_titles_and_highlighted_row():
    chart = raster_heatmap(np.zeros((4, 6)), None, None, row_title="token", col_title="dimension",
                           highlight_row=2)
    parts = _layers(chart.to_dict())
    assert parts["keys"]["encoding"]["x"]["axis"]["title"] == "dimension"
    assert parts["queries"]["encoding"]["y"]["axis"]["title"] == "token"
    box = parts["outline"]  # the outlined row is data: the spec is the same for every row
    assert chart.to_dict()["datasets"]["outline"] == [{"query": 2, "query_token": "2"}]
    assert box["encoding"]["y"] == parts["queries"]["encoding"]["y"]  # one shared set of axes
    assert "transform" not in box
    far = raster_heatmap(np.zeros((4, 6)), highlight_row=9).to_dict()
    assert far["datasets"]["outline"] == []  # not a row of the map: nothing outlined
