"""8x8 digit maps: a value per pixel (one per patch, spread over its pixels) drawn over
the digit's ink, in small multiples. Rect marks (at most a few hundred cells), a dot per
inked pixel sized by its ink, so "where the model looks" sits on "what is written"."""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

from attention.charts.base import TEMPLATES, Chart, named_data, vega_spec

SIDE = 8
INK_MAX = 16


def digit_frame(values: np.ndarray, image: np.ndarray, titles: list[str],
                patch_of: np.ndarray) -> pd.DataFrame:
    """Long frame of panels over one digit.

    Args:
        values: (M, 8, 8) one map per panel; image: (8, 8) ink 0-16; titles: M panel titles;
        patch_of: (8, 8) int, the patch index of each pixel.
    Returns:
        columns panel, order, row, col, value, ink, patch.
    """
    M = values.shape[0]
    rows, cols = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")  # (8, 8)
    frames = [pd.DataFrame({"panel": titles[m], "order": m, "row": rows.ravel(),
                            "col": cols.ravel(), "value": values[m].ravel().astype(float),
                            "ink": image.ravel().astype(float),
                            "patch": patch_of.ravel()}) for m in range(M)]
    return pd.concat(frames, ignore_index=True)


def digit_maps(values: np.ndarray, image: np.ndarray, titles: list[str], patch_of: np.ndarray,
               *, kind: str = "weights", title: str = "", value_title: str = "weight",
               columns: int = 4, size: int = 130,
               domain: tuple[float, float] | None = None) -> Chart:
    """Small multiples of 8x8 maps over the digit's ink.

    Args:
        values: (M, 8, 8); kind: "weights" (viridis, values above the top brightest) or
            "signed" (red-blue around 0, e.g. a drop in probability).
        domain: the colour domain, fixed so that the spec stays the same when only the
            digit changes; default (0, 1) for weights, (-1, 1) for signed values.
    """
    v = np.nan_to_num(np.asarray(values, dtype=float))
    if domain is None:
        domain = (0.0, 1.0) if kind == "weights" else (-1.0, 1.0)
    domain = (float(domain[0]), float(domain[1]))
    spec = _template(kind, domain, title, value_title, min(columns, len(titles)), size)
    return Chart(spec, digit_frame(v, image, titles, patch_of))


def ink_map(image: np.ndarray, patch_of: np.ndarray, title: str, size: int = 220) -> Chart:
    """The digit itself, pixel by pixel (grey ink), each pixel's patch in its tooltip."""
    frame = digit_frame(np.asarray(image, dtype=float)[None], image, [title], patch_of)
    return Chart(_ink_template(title, size), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _template(kind: str, domain: tuple[float, float], title: str, value_title: str,
              columns: int, size: int) -> dict:
    scale = (alt.Scale(scheme="viridis", domain=list(domain), clamp=True) if kind == "weights"
             else alt.Scale(scheme="redblue", domain=list(domain), domainMid=0, reverse=True))
    x = alt.X("col:O", axis=None)
    y = alt.Y("row:O", axis=None)
    tip = [alt.Tooltip("panel:N", title="map"), alt.Tooltip("patch:Q", title="patch"),
           alt.Tooltip("row:Q"), alt.Tooltip("col:Q"),
           alt.Tooltip("value:Q", format=".4f", title=value_title),
           alt.Tooltip("ink:Q", title="ink (0-16)")]
    base = alt.Chart(named_data()).properties(width=size, height=size)
    cells = base.mark_rect().encode(x=x, y=y, color=alt.Color(
        "value:Q", scale=scale, title=value_title), tooltip=tip)
    ink = base.transform_filter("datum.ink > 0").mark_circle(
        color="white", stroke="black", strokeWidth=0.5, opacity=0.85).encode(
        x=x, y=y, size=alt.Size("ink:Q", scale=alt.Scale(domain=[0, INK_MAX], range=[0, 160]),
                                legend=None), tooltip=tip)
    # faceted even with one panel: Streamlit sizes a facet by its panels, not by "fit"
    layered = alt.layer(cells, ink).facet(
        facet=alt.Facet("panel:N", title=None, sort=alt.SortField("order")), columns=columns)
    return vega_spec(layered.properties(title=title))


@functools.lru_cache(maxsize=TEMPLATES)
def _ink_template(title: str, size: int) -> dict:
    tip = [alt.Tooltip("patch:Q", title="patch"), alt.Tooltip("row:Q"), alt.Tooltip("col:Q"),
           alt.Tooltip("ink:Q", title="ink (0-16)")]
    chart = alt.Chart(named_data()).mark_rect(stroke="#dddddd", strokeWidth=0.5).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("ink:Q", scale=alt.Scale(scheme="greys", domain=[0, INK_MAX]),
                        title="ink"), tooltip=tip)
    return vega_spec(chart.properties(width=size, height=size, title=title))


def patches_chart(image: np.ndarray, patch: int, width: int = 170) -> Chart:
    """The digit cut into its patches, each drawn apart and named by its token (1 to n),
    row by row: what the model reads as a sequence.

    Args:
        image: (8, 8) ink 0-16; patch: the side of a patch (1, 2 or 4).
    """
    g = SIDE // patch
    rows, cols = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")  # (8, 8)
    index = (rows // patch) * g + cols // patch  # (8, 8) patch of each pixel
    frame = pd.DataFrame({"token": index.ravel() + 1, "row": (rows % patch).ravel(),
                          "col": (cols % patch).ravel(),
                          "ink": np.asarray(image, dtype=float).ravel()})
    panel = max(12, width // g)  # the pieces side by side span about `width` pixels
    return Chart(_patches_template(g, panel), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _patches_template(columns: int, size: int) -> dict:
    chart = alt.Chart(named_data()).mark_rect(stroke="#dddddd", strokeWidth=0.5).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("ink:Q", scale=alt.Scale(scheme="greys", domain=[0, INK_MAX]),
                        legend=None),
        tooltip=[alt.Tooltip("token:Q"), alt.Tooltip("ink:Q", title="ink (0-16)")],
    ).properties(width=size, height=size)
    return vega_spec(chart.facet(facet=alt.Facet("token:O", title=None,
                                                 header=alt.Header(labelFontSize=9)),
                                 columns=columns, spacing=6)
                     .properties(title="…cut into patches: tokens 1, 2, …"))
