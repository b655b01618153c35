"""The room's answers to one question: a bar per option, counts of learners.

Part of `attention.charts` (which re-exports the public names); see its docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import altair as alt
import pandas as pd

from attention.charts.base import TEMPLATES, Chart, named_data, vega_spec

VOTE_COLOR, RIGHT_COLOR = "#4c78a8", "#54a24b"


def class_votes(options: Sequence[str], counts: Sequence[int], *, title: str,
                right: int | None = None) -> Chart:
    """Horizontal bars: how many learners chose each option, in the question's own order;
    `right` (the answer's index, once revealed) is drawn green."""
    frame = pd.DataFrame({"option": list(options), "order": range(len(options)),
                          "learners": [int(n) for n in counts],
                          "right": [i == right for i in range(len(options))]})
    return Chart(_votes_template(title, len(options), right is not None), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _votes_template(title: str, n: int, revealed: bool) -> dict:
    colour = (alt.when("datum.right").then(alt.value(RIGHT_COLOR)).otherwise(alt.value(VOTE_COLOR))
              if revealed else alt.value(VOTE_COLOR))
    y = alt.Y("option:N", sort=alt.EncodingSortField("order", op="min"), title=None,
              axis=alt.Axis(labelLimit=360))
    base = alt.Chart(named_data())
    bars = base.mark_bar().encode(
        y=y, x=alt.X("learners:Q", title="learners", axis=alt.Axis(tickMinStep=1)), color=colour,
        tooltip=[alt.Tooltip("option:N", title="option"), alt.Tooltip("learners:Q", title="learners")])
    text = base.mark_text(align="left", dx=4).encode(y=y, x="learners:Q", text="learners:Q")
    return vega_spec(alt.layer(bars, text).properties(title=title, height=40 * n + 20))
