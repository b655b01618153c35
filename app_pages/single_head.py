"""Single head: scaled dot-product attention step by step, and why √d_k.

The flow is at the bottom: controls, the cached views, then a section per view.
"""

from dataclasses import replace

import numpy as np
import streamlit as st

from attention.charts.frames import series_frame, sweep_frame
from attention.dashboard import compute
from attention.dashboard.chart_cache import charts
from attention.dashboard.control import PageControls
from attention.dashboard.display import show, show_numbers
from attention.dashboard.downloads import Downloads
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, ran_on, shared
from attention.dashboard.selection import show_pickable
from attention.dashboard.zoom import zoom_window
from attention.toy import teaching

# One colour per meaning in both scaling charts: unscaled orange, scaled blue.
SCALING_COLORS = (("unscaled", charts.UNSCALED_COLOR), ("scaled by 1/√d_k", charts.SCALED_COLOR))


def pipeline_section(v, d_k: int, temperature: float, scaled: bool, causal: bool, query: int,
                     ctl: PageControls, downloads: Downloads) -> None:
    """Scores, logits, weights, output: the two middle maps pick the query on a click."""
    toks, masked = v.tokens, ~v.mask
    scale_txt = f"× 1/√{d_k} = {v.scale:.4f}" if scaled else "× 1 (unscaled)"
    # A click on a row of the weights or logits picks the query: the slider is drawn above
    # this section, so the page reruns.
    pick_query = ctl.setter("query", page=True)
    st.subheader("1–4. The pipeline")
    st.caption("Down the left column, then the right: scores, logits, weights, output.")
    left, right = st.columns(2)
    with left:
        show(chart=downloads.chart("scores", charts.heatmap(
            v.scores, toks, toks, kind="scores", title="1. Scores QKᵀ", value_title="q·k")),
            width="stretch", key="chart_scores")
        show_pickable(downloads.chart("logits", charts.heatmap(
            v.logits, toks, toks, kind="scores", masked=masked,
            title=f"2. Logits: scores {scale_txt} ÷ T={temperature:g}", value_title="logit",
            highlight_row=query, select=True)), "chart_logits", ("query",), pick_query,
            width="stretch")
    with right:
        show_pickable(downloads.chart("weights", charts.heatmap(
            v.weights, toks, toks, kind="weights", title="3. Weights: softmax of each row",
            masked=masked if causal else None, highlight_row=query, value_title="weight",
            select=True)), "chart_weights", ("query",), pick_query, width="stretch")
        dims = [str(i) for i in range(v.output.shape[1])]
        show(chart=downloads.chart("output", charts.heatmap(
            v.output, toks, dims, kind="scores", title="4. Output: weights × V",
            value_title="output", col_title="dimension")), width="stretch", key="chart_output")
    zoom_window(v.weights, toks, toks, masked=masked if causal else None, title="Weights", key="zoom")


def query_row_section(v, query: int, downloads: Downloads) -> None:
    toks = v.tokens
    st.subheader(f"Query {query}: “{toks[query]}”")
    row = series_frame(v.weights[query], toks, name="weight")
    # One title for every query (named in the heading above): a move sends new data only.
    show(chart=downloads.chart("query row", charts.bars(
        row, y="weight", title="Where the query looks: its row of the weights",
        y_title="weight", x_title="key token")), width="stretch", key="chart_query_row")
    st.caption(f"Row sum = {v.weights[query].sum():.4f}; entropy = {v.entropy[query]:.3f} nats "
               f"of at most {v.max_entropy[query]:.3f}.")


def worked_example_section(v, d_k: int, temperature: float, scaled: bool, query: int) -> None:
    scale_txt = f"× 1/√{d_k} = {v.scale:.4f}" if scaled else "× 1 (unscaled)"
    st.subheader(f"Worked example: query {query}, number by number")
    ex = teaching.worked_example(v, query)
    T_txt = f" ÷ T = {temperature:g}" if temperature != 1 else ""
    st.markdown(
        f"For each key j: **q·k_j** (chart 1), then **logit = q·k_j {scale_txt}{T_txt}** (chart 2), "
        f"then the softmax: **α_j = exp(logit_j − max) / Σ exp(logit − max)** (chart 3; subtracting "
        f"the row's largest logit changes nothing but keeps exp from overflowing). The output is "
        f"**Σ_j α_j v_j** (chart 4); the last columns show α_j v_j for the first {ex.dims} of "
        f"{v.v.shape[1]} value dimensions, and their sums are the output.")
    show_numbers(ex.table, {c_: 4 for c_ in ex.table.columns if c_ not in ("position", "key")},
                 "worked")
    sums = ", ".join(f"{x:.4f}" for x in ex.table.filter(like="α·v").sum().to_numpy())
    shown = ", ".join(f"{x:.4f}" for x in ex.output[:ex.dims])
    st.caption(f"Σ α = {ex.table['weight α'].sum():.4f}. Column sums of α·v: ({sums}); output row "
               f"{query} in chart 4: ({shown}); largest difference over all {v.v.shape[1]} dimensions "
               f"{np.abs(ex.output - ex.recomputed).max():.1e}."
               + (f" {ex.masked_keys} masked keys are left out: their weight is exactly 0."
                  if ex.masked_keys else ""))


def positions_section(positional: bool, seq, v, other, downloads: Downloads) -> None:
    """The positional encoding, and the same head with it switched the other way (`other`)."""
    toks = v.tokens
    st.subheader("Where is each token? The positional encoding")
    left, right = st.columns([3, 2])
    show(container=left, chart=downloads.chart("positional encoding", charts.heatmap(
        seq.positions, toks, [str(i) for i in range(seq.positions.shape[1])], kind="scores",
        title="Positional encoding: sin and cos of position, added to each embedding",
        value_title="PE", row_title="position", col_title="dimension")), width="stretch",
        key="chart_positions")
    here, there = teaching.repeated_rows(toks, v.weights), teaching.repeated_rows(toks, other.weights)
    with right:
        st.markdown("Attention itself has no idea of order: it compares every query with every key, "
                    "wherever they are. Shuffle the words without positions and the rows and "
                    "columns just shuffle with them. Position has to be **added to the input**: "
                    "each token gets its own pattern of sines and cosines (left), so two copies of "
                    "a word are no longer the same vector.")
        if not positional:
            st.caption("Positional encoding is **off** (sidebar): this map is all zeros.")
        if here:
            on, off = (here, there) if positional else (there, here)
            lines_ = [f"- “{toks[a.first]}” ({a.first}) and “{toks[a.second]}” ({a.second}): rows "
                      f"differ by up to "
                      f"**{a.gap:.4f}** with positions, **{b.gap:.4f}** without"
                      for a, b in zip(on, off, strict=True)]
            st.markdown("Repeated words in this input (the same embedding, case-folded):\n"
                        + "\n".join(lines_))
            if max(b.gap for b in off) == 0:
                st.caption("Without positions, their weight rows are identical: the head cannot "
                           "tell the two copies apart.")
        else:
            st.caption("No word repeats in this input: type a sentence with a repeated word "
                       "(“the dog saw the cat”) to see two copies get identical rows without positions.")


def scaling_section(exp, d_k: int, downloads: Downloads) -> None:
    """Why divide by √d_k: variance and saturation of random q·k (the same draws for all)."""
    st.subheader("Why √d_k?")
    a, b = st.columns(2)
    var = sweep_frame(exp.d_k, {"unscaled": exp.var_unscaled, "scaled by 1/√d_k": exp.var_scaled},
                      "d_k", "variance")
    show(container=a, chart=downloads.chart("variance vs d_k", charts.lines(
        var, x="d_k", y="variance", title="Variance of q·k for q, k ~ N(0, I) (log scale)",
        x_title="d_k", y_title="variance (log scale)", log_x=True, log_y=True, marker_x=float(d_k),
        colors=SCALING_COLORS)), width="stretch", key="chart_variance")
    sat = sweep_frame(exp.d_k, {"unscaled": exp.max_weight_unscaled, "scaled by 1/√d_k": exp.max_weight_scaled},
                      "d_k", "largest weight")
    show(container=b, chart=downloads.chart("saturation vs d_k", charts.lines(
        sat, x="d_k", y="largest weight", title="Softmax saturation over 8 keys: mean largest weight",
        x_title="d_k", y_title="largest weight", log_x=True, reference=1 / 8,
        reference_label="uniform 1/8", marker_x=float(d_k), colors=SCALING_COLORS)),
        width="stretch", key="chart_saturation")
    st.caption("Measured from 256 random draws of 8 queries and keys per d_k. Unscaled, the variance "
               "grows like d_k and the softmax turns one-hot; scaled, both stay put.")


def head_view(c, ctl: PageControls, positional: bool | None = None):
    """The cached single head for the controls as they are now (`positional`: the other
    way round, for the comparison in the positions section)."""
    c = c if positional is None else replace(c, pos=positional)
    return compute.single_head_of(c, LIMITS, d_k=ctl.current("dk"),
                                  temperature=ctl.current("temperature"),
                                  scaled=ctl.current("scaled"), causal=ctl.current("causal"))


# Sections that rerun alone: each reads the controls it shows with `ctl.current`, and a
# control that changes only some sections names them (`reruns=`); the others stay put.
@st.fragment(key="query")
def query_sections(c, ctl: PageControls, downloads: Downloads) -> None:
    v, query = head_view(c, ctl), ctl.current("query")
    d_k, temperature = ctl.current("dk"), ctl.current("temperature")
    scaled, causal = ctl.current("scaled"), ctl.current("causal")
    pipeline_section(v, d_k, temperature, scaled, causal, query, ctl, downloads)
    query_row_section(v, query, downloads)
    worked_example_section(v, d_k, temperature, scaled, query)


@st.fragment(key="positions")
def positions_fragment(c, seq, ctl: PageControls, downloads: Downloads) -> None:
    positions_section(c.pos, seq, head_view(c, ctl), head_view(c, ctl, not c.pos), downloads)


@st.fragment(key="scaling")
def scaling_fragment(ctl: PageControls, downloads: Downloads) -> None:
    scaling_section(compute.scaling_experiment(), ctl.current("dk"), downloads)


# The flow: controls -> cached compute -> sections.
c = shared()
seq = compute.input_of(c, LIMITS)
L = len(seq.tokens)
ctl = page_controls("single_head", hi={"query": L - 1})

st.title("Single head")
lesson("single_head")
if seq.truncated_from:
    st.warning(f"The sentence has {seq.truncated_from} tokens; showing the first {L} (the cap).")

maps = ("query", "positions")  # the sections drawn from the head's maps
cols = st.columns([1, 1.4, 1, 1, 2])
ctl.draw("dk", cols[0], reruns=(*maps, "scaling"))
ctl.draw("temperature", cols[1], reruns=maps)
ctl.draw("scaled", cols[2], reruns=maps)
ctl.draw("causal", cols[3], reruns=maps)
ctl.draw("query", cols[4], reruns=("query",),
         help="Highlights this query's row and shows its weights as bars (or click a row of the "
              "weights or logits).")

v = head_view(c, ctl)
ran_on(v.device)
downloads = Downloads("single_head")

query_sections(c, ctl, downloads)
positions_fragment(c, seq, ctl, downloads)
scaling_fragment(ctl, downloads)

question("single_head")
toks = v.tokens
for name, arr, rows, cols_ in [("scores", v.scores, toks, toks), ("logits", v.logits, toks, toks),
                               ("weights", v.weights, toks, toks), ("output", v.output, toks, None),
                               ("q", v.q, toks, None), ("k", v.k, toks, None), ("v", v.v, toks, None)]:
    downloads.array(name, arr, rows, cols_)
downloads.panel()
