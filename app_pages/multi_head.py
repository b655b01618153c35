"""Multi head: one map per head, local vs global heads, values, concatenation and W^O.

The flow is at the bottom: controls, the cached view, then a section per view.
"""


import numpy as np
import streamlit as st

from attention.charts.frames import series_frame
from attention.dashboard import compute, workshop
from attention.dashboard.chart_cache import build_once, charts, lesson_charts
from attention.dashboard.control import PageControls
from attention.dashboard.control_catalog import PRESETS
from attention.dashboard.display import show
from attention.dashboard.downloads import Downloads
from attention.dashboard.markdown import escape
from attention.dashboard.page_parts import (
    LIMITS,
    answered,
    lesson,
    page_controls,
    question,
    ran_on,
    shared,
)
from attention.dashboard.selection import show_pickable
from attention.dashboard.zoom import zoom_window
from attention.toy import teaching


def heads_section(c, mh, preset: str, masked, top_label: str, ctl: PageControls,
                  downloads: Downloads) -> None:
    """One map per head; a click on a row picks the query."""
    H, toks = c.heads, mh.tokens
    mean_entropy = mh.entropy.mean(axis=1)  # (H,)
    titles = [f"head {h} · {mh.kinds[h]} · H̄={mean_entropy[h]:.2f}" for h in range(H)]
    st.caption(f"d_model = {c.d_model}, H = {H} heads of d_head = {mh.d_head}. W_Q, W_K, W_V: "
               f"{c.d_model} × {c.d_model} each, split into {H} blocks of {mh.d_head} columns; "
               f"$W^O$: {c.d_model} × {c.d_model}. Mean entropy H̄ in nats, at most {top_label}.")
    query = ctl.current("query")
    relative = ctl.draw("relative")
    show_pickable(downloads.chart("heads", charts.head_grid(
        mh.weights, toks, toks, titles, masked=masked, select="query",
        relative=relative, highlight_row=query)), "chart_heads", ("query",),
        ctl.setter("query"))
    st.caption(("Colour: weight × n, n the keys a row may see, on [0, 4]: 1 is what a uniform row "
                "gives, brighter is more than uniform, 4 or more is the brightest. " if relative else "")
               + "Click a row of any map to see where that token looks in every head.")
    if preset == "Designed heads":
        st.caption("The designed local, previous-token and first-token heads find their keys **by "
                   "position alone**: their queries and keys are read from one sine–cosine pair of "
                   "the positional encoding, so q_i·k_j/√d_head = g·cos((j − c_i)ω) peaks at the key "
                   "c_i they want (i, i − 1 or 0). "
                   + ("Positional encoding is **off**: that pair is zero, every logit is 0, and each "
                      "of these heads spreads uniformly, like the global head. Nothing in the words "
                      "says where they are." if not c.pos else
                      "Turn **Positional encoding** off in the sidebar and they fall apart."))


def query_heads_section(mh, causal: bool, masked, ctl: PageControls,
                        downloads: Downloads) -> None:
    toks = mh.tokens
    H, L = mh.weights.shape[:2]
    st.subheader("Where one token looks, in every head")
    query = ctl.draw("query", help="Or click a row of a map above.")
    # One title for every query (named in the caption below): a move sends new data only.
    show(chart=downloads.chart("query across heads", charts.heatmap(
        mh.weights[:, query, :], [f"head {h} · {mh.kinds[h]}" for h in range(H)], toks,
        title="The query's row in every head: where it looks", value_title="weight",
        row_title="head", col_title="key token",
        masked=np.broadcast_to(masked[query], (H, L)) if causal else None)),
        width="stretch", key="chart_query_heads")
    st.caption(f"Row {query}, “{escape(toks[query])}”, of each head's map above.")


def focus_section(mh, top: float, top_label: str, downloads: Downloads) -> None:
    """Each head's mean entropy against how far it looks."""
    H, L = mh.weights.shape[:2]
    mean_entropy = mh.entropy.mean(axis=1)  # (H,)
    st.subheader("Focused or spread: entropy and distance per head")

    def per_head():  # the frame both charts read: built only when they are not kept
        frame = series_frame(mean_entropy, [f"head {h}" for h in range(H)], name="entropy")
        frame["distance"] = mh.mean_distance
        frame["head"] = [f"head {h}" for h in range(H)]
        frame["kind"] = mh.kinds
        frame["label"] = [f"{h} · {k}" for h, k in enumerate(mh.kinds)]
        return frame

    # Everything the two charts read: the per-head numbers, the kinds, the bounds.
    parts = (mean_entropy, mh.mean_distance, list(mh.kinds), top, top_label, L)
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("entropy vs distance", build_once(
        "multi_head.scatter", parts, lambda: lesson_charts.head_scatter(
            per_head(), title="Each head: how far it looks, how spread it is", y_max=top,
            y_max_label=f"max {top_label}", x_max=float(max(L - 1, 1))))),
        width="stretch", key="chart_scatter")
    show(container=right, chart=downloads.chart("entropy per head", build_once(
        "multi_head.entropy_bars", parts, lambda: charts.bars(
            per_head(), y="entropy", title="Mean entropy per head (low = focused, high = global)",
            y_title="entropy (nats)", x_title="head", reference=top,
            reference_label=f"max {top_label}"))), width="stretch", key="chart_head_entropy")
    st.caption("Local heads sit bottom-left (near keys, low entropy), global heads top-right (far "
               "keys, high entropy). Mean distance is Σ_j α_ij |i − j| averaged over queries.")


def values_section(c, mh, preset: str, causal: bool, downloads: Downloads) -> None:
    """Values, each head's output, their concatenation and W^O."""
    H, L, toks = c.heads, len(mh.tokens), mh.tokens
    st.subheader("Values, each head's output, Concat · $W^O$")
    blocks = [f"h{h}·{i}" for h in range(H) for i in range(mh.d_head)]  # head h, dimension i
    left, right = st.columns(2)
    V = teaching.values_side_by_side(mh)  # (L, d_model), head blocks as in Concat
    starts = [f"h{h}·0" for h in range(1, H)]  # a line before every head's block
    show(container=left, chart=downloads.chart("values", lesson_charts.with_blocks(charts.heatmap(
        V, toks, blocks, kind="scores", title=f"Values V, head by head: {L} × {c.d_model}",
        value_title="v", col_title=f"head h, dimension (blocks of {mh.d_head})"), starts)),
        width="stretch", key="chart_values")
    show(container=right, chart=downloads.chart("concatenation", lesson_charts.with_blocks(
        charts.heatmap(mh.concat, toks, blocks, kind="scores",
                       title=f"Concat(head_0 … head_{H - 1}) = Σ α v per head: {L} × {c.d_model}",
                       value_title="head output",
                       col_title=f"head h, dimension (blocks of {mh.d_head})"), starts)),
        width="stretch", key="chart_concat")
    left, right = st.columns(2)
    dims = [str(i) for i in range(mh.output.shape[1])]
    show(container=left, chart=downloads.chart("output", charts.heatmap(
        mh.output, toks, dims, kind="scores", title=f"Output = Concat · W^O: {L} × {c.d_model}",
        value_title="output", col_title="dimension")), width="stretch", key="chart_output")
    table = compute.head_table_of(c, LIMITS, preset=PRESETS[preset], causal=causal)  # Arrow
    # Narrow columns, the gap first: the whole table fits half the page at 1280 pixels.
    right.dataframe(table, hide_index=True, column_config={
        "head": st.column_config.TextColumn("head", width="small"),
        "kind": st.column_config.TextColumn("kind", width="small"),
        **{k: st.column_config.NumberColumn(k, format="%.3f", width="small")
           for k in table.column_names[2:]},
        "output − mean of v": st.column_config.NumberColumn(format="%.3f", width="medium")})
    right.caption("Each head's block of the Concat map is its weights times its own values, "
                  "Σ_j α_ij v_j. **output − mean of v** is the largest gap between a head's output "
                  "and the plain mean of the values it may see"
                  + ((": 0 for a head that spreads uniformly, which outputs the same average for "
                      "every query" + (" (the running mean of v_0..v_i under the mask)."
                                       if causal else "."))
                     if answered("multi_head") else
                     " (what it is for a uniform head: predict below first).")
                  + " $W^O$ then mixes the heads' blocks into every output dimension; torch stores it "
                  "transposed (out_proj.weight) and computes concat @ out_proj.weight.T.")


@st.fragment(key="heads")
def heads_sections(c, mh, preset: str, causal: bool, masked, top_label: str, ctl: PageControls,
                   downloads: Downloads) -> None:
    """The maps and one query across them: their own controls (Relative colours, the query
    slider, a click on a row) rerun only this."""
    heads_section(c, mh, preset, masked, top_label, ctl, downloads)
    query_heads_section(mh, causal, masked, ctl, downloads)


@st.fragment(key="compare")
def compare_section(mh, masked, ctl: PageControls, downloads: Downloads) -> None:
    """Two heads (the Compare head and with head controls, which rerun only this)."""
    a, b = ctl.current("head_a"), ctl.current("head_b")
    toks = mh.tokens
    H = mh.weights.shape[0]
    st.subheader("Two heads compared, and how alike all heads are")
    zoom_window(mh.weights[a], toks, toks, masked=masked, title=f"head {a}",
                key="zoom")
    left, right = st.columns(2)
    diff = mh.weights[a] - mh.weights[b]
    show(container=left, chart=downloads.chart("difference", charts.heatmap(
        diff, toks, toks, kind="scores", title=f"head {a} − head {b} (weights)",
        value_title="difference", masked=masked)), width="stretch", key="chart_difference")
    names = [f"head {h}" for h in range(H)]
    show(container=right, chart=downloads.chart("similarity", charts.heatmap(
        mh.similarity, names, names, kind="weights",
        title="Head similarity: 1 − mean JS divergence (bits)",
        value_title="similarity", row_title="head", col_title="head")), width="stretch", key="chart_similarity")
    right.caption("Similarity = 1 − the Jensen–Shannon divergence between two heads' rows, in "
                  "bits (log base 2, so it lies in [0, 1]), averaged over the queries: 1 = the "
                  "same weights, 0 = rows on disjoint keys.")


# The flow: controls -> cached compute -> sections.
c = shared()
H = c.heads
L = len(compute.input_of(c, LIMITS).tokens)
ctl = page_controls("multi_head", hi={"head_a": H - 1, "head_b": H - 1, "query": L - 1})

st.title("Multi head")
lesson("multi_head")

cols = st.columns([2, 1, 1, 1])
# A workshop opens on the designed heads: the local/global lesson needs no click.
preset = ctl.draw("preset", cols[0], default="Designed heads" if workshop.is_on() else None)
causal = ctl.draw("causal", cols[1])
ctl.draw("head_a", cols[2], reruns=("compare",))
ctl.draw("head_b", cols[3], reruns=("compare",))

mh = compute.multi_head_of(c, LIMITS, preset=PRESETS[preset], causal=causal)
ran_on(mh.device)
masked = ~mh.mask if causal else None  # (L, L) True = masked
top = float(mh.max_entropy.mean())  # the largest mean entropy: ln L, or mean ln(i + 1) when causal
top_label = f"mean ln(i + 1) = {top:.3f}" if causal else f"ln {L} = {top:.3f}"
downloads = Downloads("multi_head")

heads_sections(c, mh, preset, causal, masked, top_label, ctl, downloads)
focus_section(mh, top, top_label, downloads)
with workshop.more("values and $W^O$, two heads compared, head similarity"):
    values_section(c, mh, preset, causal, downloads)
    compare_section(mh, masked, ctl, downloads)

question("multi_head")
downloads.array("weights", mh.weights)
downloads.array("concat", mh.concat, mh.tokens, None)
downloads.array("output", mh.output, mh.tokens, None)
names = [f"head {h}" for h in range(H)]
downloads.array("similarity", mh.similarity, names, names)
downloads.panel()
