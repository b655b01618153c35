"""The sections of /gpt, one per view: each takes plain values, calls `gpt_models` and draws."""

from __future__ import annotations

import numpy as np
import streamlit as st

from attention.charts.frames import series_frame, sweep_frame
from attention.dashboard import gpt_models as gm
from attention.dashboard.chart_cache import charts
from attention.dashboard.control import PageControls
from attention.dashboard.display import show, show_numbers
from attention.dashboard.downloads import Downloads
from attention.dashboard.markdown import escape
from attention.pretrained import decoder_views as dv

SINK = 0.5  # the share of a head's weight on the first token that makes it a sink here


def layer_head(ctl: PageControls) -> tuple[int, int]:
    left, right = st.columns(2)
    return ctl.draw("layer", left), ctl.draw("head", right)


MAP_HEIGHT = 210  # the generation map's plot height: the whole map above a 720-pixel fold


def generate_section(ctl: PageControls, model: str, prompt: str, max_prompt: int,
                     downloads: Downloads, left=None, right=None) -> None:
    """The generation view: the map in `left`, its controls in `right` (under the prompt)."""
    left = left if left is not None else st.container()
    right = right if right is not None else st.container()
    step_box = right.container()
    view_cols, gen_cols, sample_cols = right.columns(2), right.columns(2), right.columns(2)
    new_tokens = ctl.draw("new_tokens", gen_cols[0])
    sample = ctl.draw("sample", gen_cols[1], label="Sample")
    temperature = ctl.draw("temperature", sample_cols[0], disabled=not sample,
                           help="Divides the logits before the softmax, as on the Entropy page: "
                                "< 1 sharpens the next-token distribution, > 1 flattens it.")
    seed = ctl.draw("gpt_seed", sample_cols[1], disabled=not sample)
    with st.spinner("Generating…"):
        g = gm.generation(model, prompt, new_tokens, max_prompt,
                          temperature if sample else 1.0,
                          seed if sample else 0, sample)
    ctl.narrow("gpt_step", g.new_tokens)
    step = ctl.draw("gpt_step", step_box)
    layer, head = ctl.draw("layer", view_cols[0]), ctl.draw("head", view_cols[1])
    n = g.prompt_length + step  # the map shows the first n tokens
    shown = g.tokens[:n]
    text = "".join(shown[:-1]).replace("␣", " ")  # the visitor's text: shown as plain text
    right.markdown(f"Step **{step}** of {g.new_tokens} · **{n}** query rows · newest token "
                   f"**{escape(shown[-1])}**")
    T = len(g.tokens)
    w = np.array(g.weights[layer, head])  # (T, T)
    show(container=left, chart=downloads.chart("generation map", charts.heatmap(
        w[:n, :n], shown, shown, kind="weights", masked=np.triu(np.ones((n, n), bool), 1),
        title=f"Layer {layer}, head {head}: {n} rows after step {step}", value_title="weight",
        highlight_row=n - 1, height=min(MAP_HEIGHT, max(30 * n, 180)))), width="stretch",
        key="chart_generation")
    left.markdown(f"{escape(text)} **{escape(shown[-1])}**")
    right, rows_box = st.columns([2, 3], gap="medium")
    top = dv.top_frame(g, step)
    right.markdown(f"**What comes after “{escape(shown[-1])}”**: the five likeliest next tokens"
                   + (f" at temperature {g.temperature:g}" if g.sample else "") + ".")
    show_numbers(top.rename(columns={"picked": "taken next"}), {"probability": 3}, "top5",
                 bars=("probability",), container=right)
    how = (f"sampled at temperature {g.temperature:g}, seed {seed}" if g.sample
           else "greedy: always the likeliest")
    right.caption(f"{g.new_tokens} tokens, {how}"
                  + (" (stopped at the end-of-text token)" if g.stopped_at_eos else "")
                  + f"; {g.new_tokens / max(g.seconds, 1e-9):.1f} tokens/s with every head's "
                    f"weights kept.")
    rows_box.markdown(f"**Rows already computed never change.** Each step fed only the new "
                      f"token through the model, reusing the keys and values of the earlier ones "
                      f"(the KV cache), so it computed one new row per head. Recomputing all {T} "
                      f"rows in one pass over the whole text gives the same weights: the largest "
                      f"difference over {g.weights.shape[0]} × {g.weights.shape[1]} maps is "
                      f"**{g.row_drift:.1e}** (float rounding). "
                      f"The causal mask is why: no row can see a later token.")
    row = g.weights[layer, :, n - 1, :n]  # (H, n) the newest row of every head
    H = row.shape[0]
    show(chart=downloads.chart("newest row", charts.heatmap(
        row, [f"head {h}" for h in range(H)], shown, kind="weights", value_title="weight",
        title=f"The newest row in every head of layer {layer}",
        row_title="head", col_title="key token")), width="stretch", key="chart_newest_row")
    downloads.array("generation weights", g.weights[layer, head], g.tokens, g.tokens)
    if step == 0:
        st.caption("Step 0 is the prompt alone: every row was computed in one pass.")


def induction_section(ctl: PageControls, model: str, downloads: Downloads) -> None:
    cols = st.columns(2)
    n = ctl.draw("copy_tokens", cols[0])
    seed = ctl.draw("gpt_seed", cols[1], help="Seeds the random tokens.")
    with st.spinner("Running the repeated sequences…"):
        ind = gm.induction(model, n, seed)
    first, second = (float(x) for x in ind.copy_loss)
    a, b, c = st.columns(3)
    a.metric("Loss on the first copy", f"{first:.2f} nats")
    b.metric("Loss on the second copy", f"{second:.2f} nats", f"{second - first:.2f}",
             delta_color="inverse")
    layer, head, score = ind.best[0]
    c.metric("Best induction head", f"L{layer} H{head}", f"{score:.2f}", delta_color="off")
    st.caption(f"{gm.INDUCTION_BATCH} sequences of {n} random tokens, each repeated once. The first "
               f"copy is unpredictable (about ln 49152 ≈ 10.8 nats would be a uniform guess; the "
               f"model is more surprised than that). On the second copy a head can find the "
               f"earlier copy of the current token and read what followed it.")
    layers, H = ind.induction.shape
    rows, heads = [f"layer {i}" for i in range(layers)], [f"head {h}" for h in range(H)]
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("induction scores", charts.heatmap(
        ind.induction, rows, heads, kind="weights", value_title="score",
        title="Induction score: weight on the token after the earlier copy", row_title="layer",
        col_title="head", height=540)), width="stretch", key="chart_induction_scores")
    show(container=right, chart=downloads.chart("previous-token scores", charts.heatmap(
        ind.previous_token, rows, heads, kind="weights", value_title="score",
        title="Previous-token score: weight on the token just before", row_title="layer",
        col_title="head", height=540)), width="stretch", key="chart_previous_scores")
    best = ind.best
    grid = np.stack([ind.weights[lay, h] for lay, h, _ in best])  # (k, 2n, 2n)
    titles = [f"L{lay} H{h}: {s:.2f}" for lay, h, s in best]
    show(chart=downloads.chart("best induction heads", charts.head_grid(
        grid, ind.tokens, ind.tokens, titles, columns=len(best), axis_labels=False)),
        width="stretch", key="chart_best_heads")
    st.caption("The best heads' maps on the first sequence: in the second half a stripe one "
               "step right of the diagonal of the earlier copy. Each token looks at the token "
               "that came after its earlier occurrence.")
    loss = ind.position_loss
    show(chart=downloads.chart("loss per position", charts.bars(
        series_frame(loss, [f"{i}" for i in range(len(loss))], name="loss"), y="loss",
        title="Loss predicting token i + 1 (mean over the sequences)", y_title="nats",
        x_title="position i")), width="stretch", key="chart_position_loss")
    st.page_link("app_pages/lab.py", label="The same pattern you can watch form in ~300 steps: "
                 "the learning lab", icon=":material/school:")


def sinks_section(ctl: PageControls, model: str, prompt: str, max_prompt: int,
                  downloads: Downloads) -> None:
    share = gm.sinks(model, prompt, max_prompt)  # (layers, H)
    layers, H = share.shape
    tokens, _ = gm.prompt_tokens(model, prompt, max_prompt)
    st.metric(f"Heads with more than {SINK:.0%} of their weight on “{escape(tokens[0])}”",
              f"{int((share > SINK).sum())} of {layers * H}")
    show(chart=downloads.chart("sink share", charts.heatmap(
        share, [f"layer {i}" for i in range(layers)], [f"head {h}" for h in range(H)],
        kind="weights", value_title="share", row_title="layer", col_title="head", height=540,
        title="Share of each head's weight on the first token (rows 1 on)")),
        width="stretch", key="chart_sink_share")
    layer, head = layer_head(ctl)
    d = gm.head_detail(model, prompt, max_prompt, layer, head)
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("value norms", charts.bars(
        series_frame(d.value_norms, d.tokens, name="norm"), y="norm",
        title=f"Value lengths ‖v_j‖, layer {layer} head {head}", y_title="‖v‖",
        x_title="key token")), width="stretch", key="chart_sink_values")
    first = float(d.weights[1:, 0].mean())
    others = float(d.value_norms[1:].mean())
    right.markdown(f"Layer {layer}, head {head} puts **{first:.0%}** of its weight on "
                   f"“{escape(d.tokens[0])}” (rows 1 on). Its value there has length "
                   f"**{d.value_norms[0]:.2f}**, against **{others:.2f}** on average for the "
                   f"others. Removing that weight (and renormalising the rest) changes the "
                   f"head's output by **{d.output_change:.0%}** on average.")
    right.caption("A softmax must put its weight somewhere. A head with nothing to read parks "
                  "it on the first token, whatever that token is, often on a short value "
                  "vector: an attention sink (Xiao et al. 2023). The encoder page shows the "
                  "same with [CLS].")


def gqa_section(ctl: PageControls, model: str, prompt: str, max_prompt: int,
                downloads: Downloads) -> None:
    lm = gm.decoder(model).model
    st.markdown(f"**Grouped-query attention.** {lm.num_heads} query heads share "
                f"{lm.num_kv_heads} key/value heads: each key and value is computed once and "
                f"read by {lm.group} query heads, which shrinks the KV cache {lm.group}-fold.")
    st.dataframe(dv.gqa_frame(lm), hide_index=True)
    layer, head = layer_head(ctl)
    d = gm.head_detail(model, prompt, max_prompt, layer, head)
    n, dims = len(d.tokens), [str(i) for i in range(d.d_head)]
    st.subheader(f"Layer {layer}, head {head} (key/value head {d.kv_head}), step by step")
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("q", charts.heatmap(
        d.q, d.tokens, dims, kind="scores", title=f"Queries q after RoPE: {n} × {d.d_head}",
        value_title="q", row_title="token", col_title="dimension")), width="stretch", key="chart_q")
    show(container=right, chart=downloads.chart("k", charts.heatmap(
        d.k, d.tokens, dims, kind="scores", title=f"Keys k after RoPE: {n} × {d.d_head}",
        value_title="k", row_title="token", col_title="dimension")), width="stretch", key="chart_k")
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("logits", charts.heatmap(
        d.logits, d.tokens, d.tokens, kind="scores", masked=d.masked,
        title=f"Logits: q·kᵀ × 1/√{d.d_head}, causal mask", value_title="logit")),
        width="stretch", key="chart_logits")
    show(container=right, chart=downloads.chart("weights", charts.heatmap(
        d.weights, d.tokens, d.tokens, kind="weights", masked=d.masked,
        title="Weights: softmax of each row", value_title="weight")), width="stretch",
        key="chart_weights")
    st.caption(f"RoPE rotates each pair of q and k dimensions by an angle proportional to the "
               f"position, so q·k depends on how far apart two tokens are. Recomputed here from "
               f"the layer's input: RMSNorm, the q and k projections, the rotation, ÷√{d.d_head}, "
               f"the causal mask, the softmax. Largest difference from the model's own weights: "
               f"**{d.gap:.1e}**.")
    by_distance = dv.weight_by_distance(d.weights)  # (L,)
    show(chart=downloads.chart("weight by distance", charts.bars(
        series_frame(by_distance, [str(i) for i in range(n)], name="weight"), y="weight",
        title="Mean weight on the key d positions back", y_title="weight",
        x_title="distance d")), width="stretch", key="chart_distance")


def model_view_section(ctl: PageControls, model: str, prompt: str, max_prompt: int,
                       downloads: Downloads) -> None:
    show(chart=downloads.chart("model view", gm.model_view_chart(model, prompt, max_prompt)),
         key="chart_model_view")
    stats = gm.head_stats(model, prompt, max_prompt)
    layers, heads = stats["layer"].nunique(), stats["head"].nunique()
    st.caption(f"All {layers * heads} maps of the prompt, one row of {heads} heads per layer, "
               "layer 0 at the top: queries down, keys across, weights on one [0, 1] scale. The "
               "bright left column of most maps is the first-token sink.")
    number = st.column_config.NumberColumn
    st.dataframe(stats, hide_index=True, height=280, column_config={
        "entropy": number("entropy (nats)", format="%.3f"),
        "previous_token": number("previous token", format="%.3f"),
        "first_token": number("first token", format="%.3f"),
        "mean_distance": number("mean distance", format="%.2f")})
    st.caption("Per-head statistics of the prompt (click a header to sort). Labels: "
               "previous-token, sink (≥ half on the first token), self, global, local; "
               "unlabelled heads are mixed.")


def entropy_section(ctl: PageControls, model: str, prompt: str, max_prompt: int,
                    downloads: Downloads) -> None:
    layer = ctl.draw("layer")
    mean, low, top = gm.entropy_rows(model, prompt, max_prompt, layer)  # (L,) each
    x = np.arange(len(mean))
    show(chart=downloads.chart("entropy", charts.lines(
        sweep_frame(x, {"mean over heads": mean, "most focused head": low, "ln(i + 1)": top},
                    "position", "entropy"), x="position", y="entropy",
        title=f"Row entropy in layer {layer} against its maximum ln(i + 1)",
        x_title="query position i", y_title="nats")), width="stretch", key="chart_entropy")
    st.caption("Under the causal mask row i sees i + 1 keys, so its entropy is at most "
               "ln(i + 1), reached only by a uniform row. Heads parked on the first token sit "
               "near 0, whatever the position.")
