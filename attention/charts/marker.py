"""The grey rule at the x on screen (a training step, the d_k in use), carried as data.

Like the outlined row (`attention.charts.outline`): the rule reads a one-row dataset
"marker", so the spec is the same wherever it stands, and moving it swaps that dataset in
the browser's view instead of building the view again.

Part of `attention.charts`; lines and curves use it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MARKER = "marker"  # the dataset that places the rule


def marker_frame(x: float | None, field: str) -> pd.DataFrame:
    """The "marker" dataset: one row with `x` as the chart's x `field`, or none."""
    return pd.DataFrame({field: [] if x is None else [float(x)]}, dtype=float)


def marker_layer(x: alt.X) -> alt.Chart:
    """A grey vertical rule at the marker's x; `x` is the chart's own x channel (the same
    field, scale and title, so the layers share one axis)."""
    return alt.Chart(alt.Data(name=MARKER)).mark_rule(color="gray").encode(x=x)
