"""Causal: masked attention for autoregressive models, padding, and generation step by step."""

import numpy as np
import streamlit as st

from attention.dashboard import compute
from attention.dashboard.chart_cache import charts
from attention.dashboard.control import PageControls
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


@st.fragment(key="generation")
def generation_section(masked, toks: list[str], ctl: PageControls, downloads: Downloads) -> None:
    """The map as generation reaches step `step` (the Generation step slider reruns only this)."""
    step = ctl.current("step")
    show(chart=downloads.chart("generation", charts.heatmap(
        masked.weights, toks, toks, title=f"Generation step {step}: rows 0..{step - 1} computed",
        masked=~masked.mask, highlight_row=step - 1, pending_from=step, value_title="weight")),
        width="stretch", key="chart_generation")
    st.caption(f"The outlined row {step - 1} (“{toks[step - 1]}”) is the newest: it attends over "
               f"{int(masked.mask[step - 1].sum())} keys. Pale rows are not computed yet; grey "
               "cells are masked."
               + (" Rows above the newest are unchanged by every later step: a model can cache "
                  "their keys and values." if answered("causal") else
                  " Do the rows above it change as the step moves? Predict below first."))


c = shared()
seq = compute.input_of(c, LIMITS)
L = len(seq.tokens)
ctl = page_controls("causal", hi={"step": L, "pad": L - 1})

st.title("Causal attention")
lesson("causal")

cols = st.columns([2, 1, 1])
ctl.draw("step", cols[0], reruns=("generation",))
pad = ctl.draw("pad", cols[1])
d_k = ctl.draw("dk", cols[2])

full = compute.single_head_of(c, LIMITS, d_k=d_k, pad=pad)
masked = compute.single_head_of(c, LIMITS, d_k=d_k, causal=True, pad=pad)
ran_on(masked.device)
toks = masked.tokens  # the sentence, then `pad` appended [PAD] positions
downloads = Downloads("causal")

left, right = st.columns(2)
title_full = ("Without the causal mask: every query sees every key" if not pad else
              "Without the causal mask: every key but [PAD]")
show(container=left, chart=downloads.chart("without mask", charts.heatmap(
    full.weights, toks, toks, title=title_full,
    masked=~full.mask if pad else None, value_title="weight")), width="stretch", key="chart_full")
show(container=right, chart=downloads.chart("with causal mask", charts.heatmap(
    masked.weights, toks, toks, title="With the causal mask: query i sees keys 0..i",
    masked=~masked.mask, value_title="weight")), width="stretch", key="chart_causal")

left, right = st.columns(2)
show(container=left, chart=downloads.chart("masked logits", charts.heatmap(
    masked.logits, toks, toks, kind="scores", masked=~masked.mask,
    title="Masked logits: grey = −∞ (weight exactly 0)", value_title="logit")), width="stretch", key="chart_logits")
with right:
    generation_section(masked, toks, ctl, downloads)

if pad:
    st.info(f"{pad} padding position{'s' if pad > 1 else ''} appended after the {L} tokens, "
            "labelled [PAD], as a batch pads a shorter sequence to the length of the longest: "
            "their keys are masked for every query (a column mask), combined with the causal "
            "triangle on the right, so the real rows are exactly what they were unpadded. The "
            "[PAD] rows (the [PAD] token's embedding at those positions) are still computed, but "
            "a model discards their outputs.")

question("causal")
downloads.array("weights (no mask)", full.weights, toks, toks)
downloads.array("weights (causal)", masked.weights, toks, toks)
downloads.array("mask", masked.mask.astype(np.uint8), toks, toks)
downloads.panel()
