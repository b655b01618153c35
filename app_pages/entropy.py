"""Entropy: how focused or spread each query's attention is, against the maximum ln n."""

import numpy as np
import streamlit as st

from attention.charts.frames import series_frame, sweep_frame
from attention.dashboard import compute
from attention.dashboard.chart_cache import charts
from attention.dashboard.control import PageControls
from attention.dashboard.control_catalog import PRESETS, TEMPERATURE
from attention.dashboard.display import show
from attention.dashboard.downloads import Downloads
from attention.dashboard.page_parts import LIMITS, lesson, page_controls, question, ran_on, shared
from attention.toy import teaching

SWEEP = tuple(float(t) for t in np.geomspace(TEMPERATURE.lo, TEMPERATURE.hi, 25))  # its whole range



@st.fragment(key="heads")
def heads_section(c, temperature: float, causal: bool, top: float, top_label: str,
                  ctl: PageControls, downloads: Downloads):
    """The sidebar's heads at this temperature; their preset reruns only this section.
    Returns the view (on the page's run, for the downloads)."""
    preset = ctl.draw("preset", label="Heads in the chart below")
    mh = compute.multi_head_of(c, LIMITS, preset=PRESETS[preset], causal=causal,
                              temperature=temperature)
    per_head = series_frame(mh.entropy.mean(1),
                            [f"head {h} · {k}" for h, k in enumerate(mh.kinds)], name="entropy")
    show(chart=downloads.chart("entropy per head", charts.bars(
        per_head, y="entropy",
        title=f"Mean entropy per head ({c.heads} heads, temperature {temperature:g})",
        y_title="entropy (nats)", x_title="head", reference=top, reference_label=f"max {top_label}")),
        width="stretch", key="chart_heads")
    st.caption(f"The multi-head layer of the sidebar: {c.heads} heads of d_head = {mh.d_head} "
               f"(d_model {c.d_model} / {c.heads}), so the d_k control does not apply here; the "
               "temperature and the mask do.")
    return mh


c = shared()
ctl = page_controls("entropy")

st.title("Entropy")
lesson("entropy")

cols = st.columns([2, 1, 1])
temperature = ctl.draw("temperature", cols[0], help="Divides every logit, in all four charts.")
causal = ctl.draw("causal", cols[1])
d_k = ctl.draw("dk", cols[2], help="Width of the single head's queries and keys (the first "
                                   "three charts). The heads below have d_head = d_model / heads.")
v = compute.single_head_of(c, LIMITS, d_k=d_k, temperature=temperature, causal=causal)
ran_on(v.device)
toks, L = v.tokens, len(v.tokens)
downloads = Downloads("entropy")

top = float(v.max_entropy.mean())  # the largest mean entropy: ln L, or mean ln(i + 1)
top_label = f"mean ln(i + 1) = {top:.3f}" if causal else f"ln {L} = {top:.3f}"
ln_n = float(v.max_entropy[-1])  # ln L: the last row sees all L keys, masked or not
m1, m2, m3 = st.columns(3)
if causal:
    m1.metric("Largest possible mean entropy", f"{top:.3f} nats",
              help=f"Mean over the rows of ln(i + 1): row i sees i + 1 keys (ln {L} = "
                   f"{ln_n:.3f} only for the last row).")
else:
    m1.metric("Maximum entropy ln n", f"{ln_n:.3f} nats", help=f"n = {L} tokens")
mean = float(v.entropy.mean())
m2.metric("Mean entropy (single head)", f"{mean:.3f} nats")
norm = v.normalized_entropy
m3.metric("Normalised: mean over rows of H / max", f"{norm:.0%}",
          help="Each row's entropy over its own maximum, then the mean over the rows that have a "
               "choice: a row with one key (row 0 under the mask) has nothing to spread over and "
               "is left out.")
if causal:  # the two ways to normalise differ once rows have different maxima
    st.caption(f"Two ways to normalise, two numbers: the mean entropy over the largest possible "
               f"mean, {mean:.3f} / {top:.3f} = **{mean / top:.0%}** (a ratio of means), and, on "
               f"the right, **{norm:.0%}**, the mean over the rows of each row's H_i / ln(i + 1) "
               "(a mean of ratios, row 0 left out). Without the mask every row's maximum is "
               f"ln {L}, and the two agree.")

per_query = series_frame(v.entropy, toks, name="entropy")
per_query["maximum"] = v.max_entropy
title = "Entropy per query token" + (" (tick = ln(i + 1), the most row i can reach)" if causal else "")
show(chart=downloads.chart("entropy per query", charts.bars(
    per_query, y="entropy", title=title, y_title="entropy (nats)",
    reference=None if causal else ln_n, reference_label=f"ln {L} = {ln_n:.3f}",
    per_row_max="maximum" if causal else None)), width="stretch", key="chart_entropy")

left, right = st.columns(2)
sweep = compute.temperature_sweep_of(c, LIMITS, d_k=d_k, causal=causal,
                                     temperatures=SWEEP)  # (n, L)
curves = sweep_frame(np.array(SWEEP), teaching.sweep_curves(sweep, v.max_entropy),
                     "temperature", "entropy")
show(container=left, chart=downloads.chart("entropy vs temperature", charts.lines(
    curves, x="temperature", y="entropy", title="Entropy against temperature (this input)",
    x_title="temperature", y_title="entropy (nats)", log_x=True, reference=top,
    reference_label=f"max {top_label}", marker_x=float(temperature))),
    width="stretch", key="chart_sweep")
left.caption("The dashed line is the largest the mean can reach. Most focused and most spread "
             "are the extreme rows among those with at least two keys"
             + (": row 0, with one key, is 0 at every temperature." if causal else "."))

with right:
    mh = heads_section(c, temperature, causal, top, top_label, ctl, downloads)

question("entropy")
downloads.array("entropy per query", v.entropy, toks)
downloads.array("entropy vs temperature", sweep, [f"{t:.3g}" for t in SWEEP], toks)
downloads.array("entropy per head and query", mh.entropy, [f"head {h}" for h in range(c.heads)], toks)
downloads.panel()
