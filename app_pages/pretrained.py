"""Pretrained model: the real attention of all-MiniLM-L6-v2, every layer and head.

The flow is at the bottom: the model and the page's controls, one cached run of the
sentence, then a section per view. Each section takes the run's `Src` (model name, text,
token cap: the key of every cached wrapper in `models`) and what it shows.
"""

from typing import NamedTuple

import streamlit as st

from attention.charts.frames import series_frame
from attention.dashboard import models, workshop
from attention.dashboard.chart_cache import charts
from attention.dashboard.control import PageControls, rerun_page
from attention.dashboard.display import show
from attention.dashboard.downloads import Downloads
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
from attention.pretrained import views as pv
from attention.pretrained.encoder import DEFAULT_NAME
from attention.toy.views import DEFAULT_TEXT

Maps = pv.ModelView | pv.WithoutSpecial  # the maps as drawn (`.tokens`, `.weights`, `.rollout`)


class Src(NamedTuple):
    """What a run is cached on: `models.run(*src)`."""

    name: str
    text: str
    max_tokens: int


def loaded_model() -> tuple[str, models.Loaded]:
    """The packaged model, or one the user names where the profile allows it."""
    name = DEFAULT_NAME
    if LIMITS.allow_model_choice:
        chosen = st.text_input("Model: a local directory or a Hugging Face name",
                               key="pretrained_model", max_chars=300,
                               placeholder=f"{DEFAULT_NAME} (packaged, offline)",
                               help="A BERT-style encoder, e.g. a folder saved with "
                                    "save_pretrained(). A hub name needs a network unless it is "
                                    "already in the cache.")
        name = chosen.strip() or DEFAULT_NAME
    try:
        with st.spinner(f"Loading {name} (once per server)…"):
            return name, models.model(name)
    except ValueError as e:
        st.error(f"{e}\n\nCheck the path or name, or clear the field to use the packaged "
                 f"{DEFAULT_NAME}; showing {DEFAULT_NAME} meanwhile.", icon=":material/error:")
    with st.spinner(f"Loading {DEFAULT_NAME} (once per server)…"):
        return DEFAULT_NAME, models.model(DEFAULT_NAME)


def view_controls(ctl: PageControls, view: pv.ModelView) -> tuple[int, int, bool]:
    """The head to detail, and whether special tokens are hidden (never all of them)."""
    cols = st.columns([2, 2, 1.5])  # "Hide special tokens" whole at 1280 pixels
    layer = ctl.draw("layer", cols[0], reruns=("detail",))
    head = ctl.draw("head", cols[1], reruns=("detail",))
    hide = ctl.draw("hide_special", cols[2])
    if hide and view.special.all():
        st.caption("This text has only special tokens: nothing is left to show once they are "
                   "hidden.")
    hide = bool(hide) and not view.special.all()
    if hide:
        st.caption("Special tokens hidden: their rows and columns are dropped and every row is "
                   "renormalised to sum to 1 over the tokens left, so the maps show how the rest "
                   "is shared. The statistics below still describe the full maps.")
    return layer, head, hide


def model_view_section(src: Src, maps: Maps, hide: bool, layer: int, head: int, ctl: PageControls,
                       downloads: Downloads) -> None:
    st.subheader("Model view: every layer and head")
    layers, H, L, _ = maps.weights.shape
    model_view, per_row = models.model_view_chart(*src, hide)

    def open_head(i: int) -> None:
        """A click on thumbnail i (layer by layer) opens that head in the head detail."""
        layer_, head_ = divmod(min(max(i, 0), layers * H - 1), H)
        ctl.set("layer", layer_)
        ctl.set("head", head_)

    show_pickable(downloads.chart("model view", model_view), "chart_model_view",
                  ("head", "head_index"), open_head)
    toks = maps.tokens
    st.caption(f"{layers * H} maps of {L} × {L}, layer by layer ({per_row} heads a row): queries "
               f"down from “{toks[0]}” to “{toks[-1]}”, keys across, weights on one [0, 1] scale. "
               "The head in the detail below is the one Layer and Head pick; its token labels are "
               "there. Click a map to open it there.")


@st.fragment(key="stats")
def statistics_section(src: Src, view: pv.ModelView, ctl: PageControls,
                       downloads: Downloads) -> None:
    st.subheader("Per-head statistics")
    stat = ctl.draw("stat")
    show(chart=downloads.chart("head statistics", models.stats_chart(*src, stat)),
         width="stretch", key="chart_head_stats")
    st.caption("Labels where the numbers say so: **previous-token** (≥ half the weight on the "
               "token before), **sink** (≥ half on [CLS]), **[SEP]** (≥ half on [SEP]), **self** "
               "(≥ half on itself), **global** (entropy ≥ 0.8 of its maximum), **local** (low "
               "entropy, mean distance ≤ 2); unlabelled heads are mixed. Statistics of the full "
               "maps, special tokens included.")
    number = st.column_config.NumberColumn
    with workshop.more("every statistic of every head, as a sortable table"):
        st.dataframe(view.stats, hide_index=True, height=280, column_config={
            "entropy": number("entropy (nats)", format="%.3f"),
            "previous_token": number("previous token", format="%.3f"),
            "cls": number("[CLS]", format="%.3f"),
            "sep": number("[SEP]", format="%.3f"),
            "mean_distance": number("mean distance", format="%.2f"),
            "label": st.column_config.TextColumn("label", width="medium")})
        st.caption("Click a column header to sort: the most focused heads, the strongest "
                   "previous-token heads, the biggest sinks.")


def head_detail_section(src: Src, maps: Maps, view: pv.ModelView, hide: bool, layer: int, head: int,
                        ctl: PageControls, downloads: Downloads) -> pv.HeadDetail | None:
    """One head from q and k to its weights; None where the model's layout has no plain q, k."""
    st.subheader(f"Head detail: layer {layer}, head {head}")
    try:
        d = models.head_detail(*src, layer, head, hide)
    except ValueError as e:
        st.warning(f"{e}. The model view above still shows its real weights.")
        return None
    n, dims = len(d.tokens), [str(i) for i in range(d.d_head)]
    with workshop.more(f"this head's queries q and keys k, {n} × {d.d_head} each"):
        left, right = st.columns(2)
        show(container=left, chart=downloads.chart("q", charts.heatmap(
            d.q, d.tokens, dims, kind="scores", title=f"Queries q: {n} × {d.d_head}",
            value_title="q", row_title="token", col_title="dimension")), width="stretch",
            key="chart_q")
        show(container=right, chart=downloads.chart("k", charts.heatmap(
            d.k, d.tokens, dims, kind="scores", title=f"Keys k: {n} × {d.d_head}",
            value_title="k", row_title="token", col_title="dimension")), width="stretch",
            key="chart_k")
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("scores", charts.heatmap(
        d.scores, d.tokens, d.tokens, kind="scores", title="1. Scores q·kᵀ",
        value_title="q·k")), width="stretch", key="chart_scores")
    show(container=right, chart=downloads.chart("logits", charts.heatmap(
        d.logits, d.tokens, d.tokens, kind="scores",
        title=f"2. Logits: scores × 1/√{d.d_head} = {d.scale:.4f}", value_title="logit")),
        width="stretch", key="chart_logits")
    ctl.narrow("query", n - 1)  # the rows of this head's maps, special tokens hidden or not
    query = ctl.current("query")
    show_pickable(downloads.chart("weights", charts.heatmap(
        d.weights, d.tokens, d.tokens, kind="weights", title="3. Weights: softmax of each row",
        value_title="weight", highlight_row=query, select=True)), "chart_weights", ("query",),
        ctl.setter("query"), container=left, width="stretch")
    right.markdown(f"**From q and k to the weights**\n\n"
                   f"1. every query meets every key: **q·kᵀ**, {n} × {n};\n"
                   f"2. the scores are scaled by **1/√d_head = 1/√{d.d_head} = {d.scale:.4f}**;\n"
                   f"3. a softmax turns each row into weights that sum to 1.")
    show(container=right, chart=downloads.chart("value norms", charts.bars(
        series_frame(d.value_norms, d.tokens, name="norm"), y="norm",
        title="4. Value lengths ‖v_j‖", y_title="‖v‖", x_title="key token")), width="stretch",
        key="chart_value_norms")
    if not hide and view.special[0] and not answered("pretrained"):
        right.caption(f"How much does the weight on {d.tokens[0]} bring into the output? "
                      "Predict below first: the answer shows here once you have.")
    elif not hide and view.special[0]:
        sink = pv.sink_summary(d)
        right.markdown(
            f"**What the weight brings.** This head puts **{sink.weight:.0%}** of its weight on "
            f"{d.tokens[0]} on average; ‖v‖ of {d.tokens[0]} is **{sink.norm_first:.2f}** "
            f"against **{sink.norm_others:.2f}** for the other tokens, so {d.tokens[0]} brings "
            f"**{sink.contribution:.0%}** of $\\sum_j \\alpha_{{ij}} \\lVert v_j \\rVert$, what "
            f"flows into the output."
            + (" A head parked on a short value vector changes its output little: an attention "
               "sink." if sink.weight >= 0.5 and sink.norm_first < sink.norm_others else ""))
    gap = float(abs(d.weights - maps.weights[layer, head]).max())
    right.caption(f"q and k are this layer's input through head {head}'s slice of the model's own "
                  f"query and key projections. Largest difference between these weights and the "
                  f"model's own (output_attentions{', renormalised' if hide else ''}): {gap:.1e}.")
    return d


@st.fragment(key="detail")
def detail_sections(src: Src, maps: Maps, view: pv.ModelView, hide: bool, ctl: PageControls,
                    downloads: Downloads) -> pv.HeadDetail | None:
    """The head that Layer and Head pick, and one query across its layer: those sliders, the
    query slider and a click on the weights rerun only this."""
    layer, head = ctl.current("layer"), ctl.current("head")
    detail = head_detail_section(src, maps, view, hide, layer, head, ctl, downloads)
    if detail is not None:
        query_heads_section(maps, layer, ctl, downloads)
    return detail


def query_heads_section(maps: Maps, layer: int, ctl: PageControls, downloads: Downloads) -> None:
    st.subheader(f"Where one token looks in every head of layer {layer}")
    query = ctl.draw("query", help="Or click a row of the weights above.")
    toks, H = maps.tokens, maps.weights.shape[1]
    show(chart=downloads.chart("query across heads", charts.heatmap(
        maps.weights[layer, :, query, :], [f"head {h}" for h in range(H)], toks,
        value_title="weight", title=f"Layer {layer}, row {query} (“{toks[query]}”) of every head",
        row_title="head", col_title="key token")), width="stretch", key="chart_query_heads")


@st.fragment(key="rollout")
def rollout_section(src: Src, view: pv.ModelView, hide: bool, ctl: PageControls,
                    downloads: Downloads):
    """Rollout through every layer; returns the (L, L) map shown and its tokens."""
    st.subheader("Attention rollout across layers")
    only_special = bool(view.special.all())
    plain = bool(ctl.draw("rollout_plain", disabled=only_special)) and not only_special
    left, right = st.columns(2)
    show(container=left, chart=downloads.chart("rollout", models.rollout_chart(*src, hide, plain)),
         width="stretch", key="chart_rollout")
    right.markdown("A single head shows one step. **Attention rollout** (Abnar and Zuidema, 2020) "
                   "follows the flow through every layer: average each layer's heads into A, add "
                   "the residual path as ½A + ½I, and multiply the layers from the first up. Row "
                   "i says how much of each input token has reached position i by the last layer.")
    if plain:
        right.caption("Special tokens dropped from every layer before rolling out: each layer's "
                      "rows are renormalised over the ordinary tokens, so the flow the [CLS] sink "
                      "soaked up is shared among the words.")
    else:
        right.caption("Rollout of the full maps" + (", then special tokens hidden and rows "
                                                    "renormalised." if hide else "; each row sums to 1.")
                      + " Many heads park their weight on [CLS] (a sink, see the head detail), and "
                      "rollout multiplies that through the layers: most rows end up on [CLS]. "
                      "Switch on **Rollout without special tokens** to see the rest.")
    return models.rollout(*src, hide, plain)


@st.fragment(key="links")
def links_section(view: pv.ModelView, ctl: PageControls) -> None:
    """From a query word to the heads that link it to a key word, and a button to open one."""
    st.subheader("Where does one token look?")
    ordinary = [i for i, s_ in enumerate(view.special) if not s_]
    if not ordinary:
        return
    qcol, kcol = st.columns(2)
    labels = [f"{i}: {t}" for i, t in enumerate(view.tokens)]
    q_default = pv.default_query(view.tokens, view.special)
    query = qcol.selectbox("Query token", ordinary, index=ordinary.index(q_default),
                           format_func=lambda i: labels[i], key="link_query")
    links = pv.strongest_links(view.weights, view.tokens, view.special, query, top=12)
    keys = [i for i in ordinary if i != query] or ordinary
    # Default key: the strongest link beyond the neighbours, earlier in the sentence if any
    # (where a pronoun's noun usually is).
    far = links[(links["position"] - query).abs() > 1]
    before = far[far["position"] < query]
    pick = before if len(before) else far if len(far) else links
    first = int(pick["position"].iloc[0]) if len(pick) else keys[0]
    key = kcol.selectbox("Key token", keys, index=keys.index(first) if first in keys else 0,
                         format_func=lambda i: labels[i], key="link_key")
    weight = {"weight": st.column_config.NumberColumn(format="%.3f")}
    left, right = st.columns(2)
    left.markdown(f"**The heads' strongest links from “{view.tokens[query]}”** to another word "
                  f"(not itself, not a special token):")
    left.dataframe(links.head(6).drop(columns="position"), hide_index=True, column_config=weight)
    pair = pv.link_heads(view.weights, query, key)
    right.markdown(f"**Heads that link “{view.tokens[query]}” to “{view.tokens[key]}”**, "
                   f"strongest first:")
    right.dataframe(pair, hide_index=True, column_config=weight)
    top_layer, top_head = int(pair["layer"].iloc[0]), int(pair["head"].iloc[0])

    def open_top() -> None:
        """Point the head detail (and the URL) at this head: its sliders are drawn outside
        this section, so the page reruns."""
        ctl.set("layer", top_layer)
        ctl.set("head", top_head)
        rerun_page()

    right.button(f"Open layer {top_layer} · head {top_head} in the head detail",
                 key="open_link", on_click=open_top)
    st.caption("Computed from every head's weights for this sentence, one head at a time: a "
               "head's own link shows even when the rollout is all [CLS]. A strong link says "
               "where a head reads from, not which word a pronoun refers to: change “tired” to "
               "“wide” (now “it” is the street) and the same heads still link “it” to "
               "“animal”.")


# The flow: model and controls -> one cached run -> sections.
c = shared()
st.title("Pretrained model")
lesson("pretrained")
name, loaded = loaded_model()
model = loaded.model
layers, H = model.num_layers, model.num_heads
max_tokens = min(LIMITS.max_pretrained_tokens, model.max_length)
ctl = page_controls("pretrained", hi={"layer": layers - 1, "head": H - 1, "query": max_tokens - 1})
st.caption(f"**{model.name}**: {layers} layers × {H} heads, d_model {model.d_model}, d_head "
           f"{model.d_head}; at most {max_tokens} tokens here. Loaded in {loaded.seconds:.1f} s, "
           f"once per server.")
st.page_link("app_pages/gpt.py", label="An encoder reads every token both ways; a GPT-style "
             "decoder reads only the tokens before, one new row per generated token: the "
             "GPT-style model", icon=":material/auto_stories:")
if c.tokens:
    st.info(f"The real model needs words, not random vectors: the sidebar's random sequence of "
            f"{c.tokens} positions is ignored here and its Sentence is used.")

src = Src(name, c.text if c.text.strip() else DEFAULT_TEXT, max_tokens)
_, view = models.run(*src)
ran_on(str(model.device))
if view.truncated:
    st.warning(f"The sentence has {view.n_input_tokens} tokens with [CLS] and [SEP]; the model "
               f"sees the first {len(view.tokens)} (the limit here is {max_tokens}).")
layer, head, hide = view_controls(ctl, view)
maps = models.shown(*src, hide)  # the maps as drawn: special tokens hidden or not
downloads = Downloads("pretrained")

model_view_section(src, maps, hide, layer, head, ctl, downloads)
statistics_section(src, view, ctl, downloads)
detail = detail_sections(src, maps, view, hide, ctl, downloads)
with workshop.more("attention rollout across layers, and which heads link two words"):
    rollout, rollout_tokens = rollout_section(src, view, hide, ctl, downloads)
    links_section(view, ctl)

question("pretrained")
downloads.array("weights", maps.weights.reshape(layers * H, *maps.weights.shape[-2:]))
downloads.array("rollout", rollout, rollout_tokens, rollout_tokens)
if detail is not None:
    downloads.array("q", detail.q, detail.tokens, None)
    downloads.array("k", detail.k, detail.tokens, None)
    downloads.array("head weights", detail.weights, detail.tokens, detail.tokens)
downloads.panel()
