"""The workshop path on paper: one printable HTML page, a section per step with its formula,
its key chart at the current settings, its question with blank options (never the answer)
and its link.

`handout_html` is a pure function of what it is given (tested without a server);
`key_charts` draws each step's key chart from the sidebar's inputs and the page controls'
defaults (the pages' own cached computations); `offer` is the download button, whose file is
made only when pressed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import streamlit as st

from attention import charts
from attention.dashboard import control_catalog as cc
from attention.dashboard.lessons import LESSONS
from attention.dashboard.page_registry import INPUTS, PATH
from attention.dashboard.predict import option_order

# Each step's formula, as plain text with Unicode (prints anywhere, no maths renderer).
FORMULAS = {
    "overview": "Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V",
    "single_head": "scoresᵢⱼ = qᵢ · kⱼ;  logits = scores / √d_k / T;  weights = softmax(logits) "
                   "per row;  outputᵢ = Σⱼ weightsᵢⱼ vⱼ",
    "multi_head": "headₕ = Attention(X W_Qʰ, X W_Kʰ, X W_Vʰ);  "
                  "MultiHead(X) = Concat(head₁, …, head_H) Wᴼ",
    "causal": "softmax(Q Kᵀ / √d_k + M),  Mᵢⱼ = 0 if j ≤ i, −∞ if j > i",
    "entropy": "H(αᵢ) = −Σⱼ αᵢⱼ ln αᵢⱼ,  0 ≤ H ≤ ln m  (m keys the query may see)",
    "pretrained": "per layer and head: A = softmax(Q Kᵀ / √d_head);  "
                  "rollout R = Â_L ⋯ Â_1 with Â = (A + I) / 2",
    "lab": "induction score of a head: its mean weight from a repeated token to the token "
           "that followed its earlier copy",
}
HANDOUT_ORDER = "handout"  # the options' order on paper: one fixed shuffle, the same for all

_CSS = """
body { font-family: system-ui, sans-serif; color: #111; max-width: 48rem; margin: 2rem auto; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-bottom: 0.2rem; }
section { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid #999;
          padding: 0.6rem 0 1rem; }
.formula { font-family: "DejaVu Serif", Georgia, serif; font-size: 1.05rem; background: #f3f3f3;
           padding: 0.3rem 0.5rem; }
.chart svg, .chart img { max-width: 100%; height: auto; max-height: 9cm; }
ul.options { list-style: none; padding-left: 0.5rem; } ul.options li::before { content: "☐  "; }
.lines { border-bottom: 1px solid #999; height: 1.6rem; }
a { color: #0645ad; word-break: break-all; }
@media print { body { margin: 0; } a { color: #111; } }
"""


def step_link(base: str, url_path: str, params: Mapping[str, str]) -> str:
    """The step's address in workshop mode, with the sidebar inputs that differ from their
    defaults (the same link the page itself would show)."""
    query = urlencode({"workshop": "true", **params})
    return f"{base.rstrip('/')}/{url_path}?{query}"


def handout_html(base_url: str, params: Mapping[str, str],
                 chart_svgs: Mapping[str, str]) -> str:
    """The printable page of the whole path.

    Args:
        base_url: the server's address ("http://host:8501"), for the links.
        params: the sidebar inputs of the links (URL name -> value).
        chart_svgs: step name -> its key chart as SVG markup (a step without one prints none).
    """
    total = sum(p.minutes for p in PATH)
    parts = [f"<h1>Attention Explorer: the workshop path</h1><p>{len(PATH)} steps, about "
             f"{total} minutes. Before each chart, circle your prediction; the page shows the "
             "answer once you choose.</p>"]
    for n, p in enumerate(PATH, 1):
        link = step_link(base_url, p.url_path, params)
        body = [f"<h2>{n}. {html.escape(p.title)} <small>(about {p.minutes} min)</small></h2>",
                f"<p>{html.escape(_plain(p.goal))}</p>"]
        if p.name in FORMULAS:
            body.append(f'<p class="formula">{html.escape(FORMULAS[p.name])}</p>')
        if p.name in chart_svgs:
            body.append(f'<div class="chart">{chart_svgs[p.name]}</div>')
        body.append(_question_html(p.name))
        body.append(f'<p>Link: <a href="{html.escape(link)}">{html.escape(link)}</a></p>')
        parts.append(f'<section id="step-{n}">{"".join(body)}</section>')
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Attention Explorer workshop handout</title><style>{_CSS}</style></head>"
            f"<body>{''.join(parts)}</body></html>")


def _plain(text: str) -> str:
    """A registry line without its maths markup ("$W^O$" prints as "Wᴼ")."""
    return text.replace("$W^O$", "Wᴼ").replace("$", "")


def _question_html(page: str) -> str:
    text = LESSONS.get(page, {})
    if "question" not in text:
        return ""
    out = f"<p><strong>Predict first:</strong> {html.escape(text['question'])}</p>"
    choices = text.get("choices")
    if not choices:
        return out + '<div class="lines"></div>' * 2
    order = option_order(HANDOUT_ORDER, page, len(choices))
    items = "".join(f"<li>{html.escape(choices[i])}</li>" for i in order)
    return out + f'<ul class="options">{items}</ul>'


def link_params(c) -> dict[str, str]:
    """The sidebar inputs of `c` that differ from their defaults, as URL values."""
    out = {}
    for control in INPUTS:
        value = getattr(c, control.key, None)
        if value is None or value == control.default:
            continue
        out[control.key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def key_charts(c, limits) -> dict[str, charts.Chart]:
    """Each toy step's key chart from the sidebar's inputs, the page controls at their
    defaults (and /multi_head on its workshop preset, the designed heads)."""
    from attention.dashboard import compute

    d_k = int(cc.D_K.default)
    v = compute.single_head_of(c, limits, d_k=d_k)
    toks = v.tokens
    causal = compute.single_head_of(c, limits, d_k=d_k, causal=True)
    mh = compute.multi_head_of(c, limits, preset=cc.PRESETS["Designed heads"])
    out = {
        "single_head": charts.heatmap(v.weights, toks, toks, title="Attention weights"),
        "multi_head": charts.head_grid(mh.weights, mh.tokens, mh.tokens,
                                       [f"head {h} · {mh.kinds[h]}" for h in range(len(mh.kinds))]),
        "causal": charts.heatmap(causal.weights, toks, toks, masked=~causal.mask,
                                 title="With the causal mask"),
        "entropy": charts.bars(_entropy_frame(v), y="entropy", title="Entropy per query",
                               y_title="entropy (nats)", reference=float(v.max_entropy.max()),
                               reference_label="maximum, ln n"),
    }
    out.update(_real_model_charts(c, limits))
    return out


def _real_model_charts(c, limits) -> dict[str, charts.Chart]:
    """/pretrained's layer 0 head 0 on the sidebar's sentence, and /lab's shipped run's
    induction scores (the model loads once per server; the run is on disk)."""
    from attention.dashboard import lab_data, models
    from attention.lab import views as lab_views
    from attention.pretrained.encoder import DEFAULT_NAME

    out = {}
    loaded = models.model(DEFAULT_NAME)
    max_tokens = min(limits.max_pretrained_tokens, loaded.model.max_length)
    _, view = models.run(DEFAULT_NAME, c.text, max_tokens)
    layer, head = int(cc.LAYER.default), int(cc.HEAD.default)
    out["pretrained"] = charts.heatmap(view.weights[layer, head], view.tokens, view.tokens,
                                       title=f"Layer {layer}, head {head}")
    run = lab_data.shipped(lab_data.DEFAULT_RUN)
    out["lab"] = lab_views.curve_charts(run)["induction"]
    return out


def _entropy_frame(v):
    from attention.charts.frames import series_frame

    return series_frame(v.entropy, v.tokens, name="entropy")


def offer(c, limits, container=None) -> None:
    """A download button for the handout; the file is made only when pressed (its charts
    drawn as SVG by the export pool, off the server's lock)."""
    base = _base_url()

    def make() -> str:
        svgs = {}
        for name, chart in key_charts(c, limits).items():
            try:
                svgs[name] = svg_of(chart, limits)
            except Exception:  # noqa: BLE001 - a chart that fails to draw is left out
                continue
        return handout_html(base, link_params(c), svgs)

    (container or st).download_button(
        "Printable handout of the path", data=make,
        file_name="attention-workshop-handout.html", mime="text/html", on_click="ignore",
        icon=":material/print:", key="workshop_handout",
        help="An HTML page, a section per step: its formula, its key chart at the sidebar's "
             "settings, its question with blank options and its link. Open it in a browser "
             "and print it (or save it as PDF).")


def svg_of(chart: charts.Chart, limits) -> str:
    """`chart` as SVG markup, its description (`charts.describe`) as the SVG's label."""
    from attention.dashboard.downloads import service
    from attention.export.pool import Job

    spec = {**chart.to_dict(), "description": charts.describe(chart)}
    pool = service(limits.export_workers, limits.export_cache_mb)
    return pool.build(f"handout-{id(chart)}", Job("SVG", (spec, None))).decode("utf-8")


def _base_url() -> str:
    url = st.context.url or "http://localhost:8501"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
