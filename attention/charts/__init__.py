"""Arrays and DataFrames -> Vega-Lite charts: heatmaps, head grids, bars and lines.

Weights use viridis on a fixed [0, 1] domain so maps compare; scores and logits a
diverging scheme centred at 0 on a symmetric "nice" domain; masked cells are grey,
never a colour of a huge negative number. Small maps are rect marks with exact
tooltips; large ones are images (see `attention.charts.raster`), which the browser paints in
a fraction of the time. One function decides which: `draws_as_image(rows, cols, maps)`.

A chart is a `Chart`: a Vega-Lite spec that names its data "table", plus the DataFrame.
Specs are built once per shape (title, sizes, scale) and cached, so a rerun that only
changes the numbers sends the same spec with new data, and builds no Altair objects.

This module is the chart layer's front door; the builders live in
  chart_base   the `Chart` type, spec helpers, colours and domains, `draws_as_image`
  heatmaps     `heatmap`: one (L, S) map
  grids        `head_grid`: small multiples, one map per head
  plots        `bars`, `lines`, `curves`
  stats_table  `stats_heat_table`: layers x heads coloured by one statistic
  classroom    `class_votes`: the room's answers to one question
  induction    `induction_map`, `position_loss`: the lab's induction head against the ideal
  summary      `describe`: a chart in words for a screen reader (its accessible name)
  image_maps   the image path's specs and data (used by heatmaps and grids)
"""

from __future__ import annotations

from attention.charts.base import (
    MARGIN_H,
    MARGIN_W,
    PENDING_COLOR,
    RECT_MAX_CELLS,
    REFERENCE_COLOR,
    SCALED_COLOR,
    SELECTION,
    SERIES_COLORS,
    TABLE,
    UNSCALED_COLOR,
    Chart,
    colour_domain,
    draws_as_image,
    for_projector,
    nice_domain,
    side_px,
)
from attention.charts.classroom import class_votes
from attention.charts.grids import RELATIVE_MAX, head_grid, relative_weights
from attention.charts.heatmaps import TEXT_MAX_SIDE, heatmap
from attention.charts.induction import induction_map, position_loss
from attention.charts.plots import bars, curves, lines
from attention.charts.raster import HIGHLIGHT_COLOR, MASK_COLOR
from attention.charts.stats_table import stats_heat_table
from attention.charts.summary import describe, map_summary

__all__ = [
    "HIGHLIGHT_COLOR", "MARGIN_H", "MARGIN_W", "MASK_COLOR", "PENDING_COLOR", "RECT_MAX_CELLS",
    "REFERENCE_COLOR", "RELATIVE_MAX", "SCALED_COLOR", "SELECTION", "SERIES_COLORS", "TABLE",
    "TEXT_MAX_SIDE", "UNSCALED_COLOR", "Chart", "bars", "class_votes", "colour_domain",
    "curves", "describe", "draws_as_image", "for_projector", "head_grid", "heatmap",
    "induction_map", "lines", "map_summary", "nice_domain", "position_loss", "relative_weights",
    "side_px", "stats_heat_table",
]
