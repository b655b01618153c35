"""The lab's two later sections: why √d_k (trained, both runs drawn live, and a sweep of
d_head), and generation with a real model (a section that reruns alone)."""

from __future__ import annotations

import secrets
from dataclasses import replace

import numpy as np
import streamlit as st

from attention.dashboard import lab_data
from attention.dashboard.control import PageControls
from attention.dashboard.display import show
from attention.dashboard.lab_live import LiveView
from attention.dashboard.lab_runner import (
    AlreadyTraining,
    fit_size,
    shared_gate,
    train_live,
    training_in_this_session,
)
from attention.dashboard.markdown import escape
from attention.lab import views as lv
from attention.lab.config import TrainConfig
from attention.lab.generation_view import generation_charts
from attention.lab.sweep import SWEEP_D_MODEL
from attention.settings import Limits

SCALING_KEY = "lab_scaling_live"
MAX_NEW_TOKENS = 16  # tokens one generation may add
SCALING_COLOURS = (("scaled", lv.SCALED_COLOUR), ("unscaled", lv.UNSCALED_COLOUR))
FRESH_SEEDS = 1_000_000  # a fresh seed is drawn from [0, this): short enough to read out
SCALING_FIELDS = ("loss", "accuracy", "logit_grad_median")


def fresh_seed() -> int:
    """A new seed for a training a learner starts (each press its own experiment)."""
    return secrets.randbelow(FRESH_SEEDS)


class PairLiveView(LiveView):
    """One run of the scaled/unscaled pair as it trains, drawn into the three comparison
    charts together with the run of the pair already trained (`done`)."""

    def __init__(self, container, cfg: TrainConfig, label: str, done: dict, slots: dict):
        super().__init__(container, cfg.steps, f"_lab_scaling_{label}", label=f"Training {label}",
                         charts=False)
        self.slots, self.done, self.name, self.x_max = slots, done, label, cfg.steps

    def _draw_charts(self) -> None:
        run = self.run
        if run is None or not run.history:
            return
        self._drawn = len(run.history)
        drawn = lv.scaling_charts({**self.done, self.name: run}, SCALING_COLOURS, self.x_max)
        for field, chart in drawn.items():
            self._draw(show, chart, key=f"live_scaling_{field}", container=self.slots[field],
                       width="stretch")


def _train_scaling(limits: Limits, configs: dict[str, TrainConfig], slots: dict) -> None:
    """Both runs of the experiment, live, one after the other (one training slot each),
    within one training's wall time together; each drawn into `slots` as it trains (the
    shipped runs are not drawn meanwhile)."""
    out, budget = {}, float(limits.max_train_seconds)
    progress = st.container()
    for label, cfg in configs.items():
        view = PairLiveView(progress, cfg, label, dict(out), slots)
        with training_in_this_session():
            try:
                run = train_live(shared_gate(limits.max_live_trainings), limits, cfg,
                                 on_log=view.on_log, should_stop=view.should_stop,
                                 on_wait=view.on_wait, max_seconds=budget)
            except AlreadyTraining as e:  # one place per visitor: say so, keep the page
                st.warning(f"Not started: {e}.", icon=":material/hourglass_top:")
                st.stop()
        if run is not None and run.history:
            budget -= run.history[-1].seconds
        run = run or st.session_state.get(f"_lab_scaling_{label}")
        if run is not None and run.history:
            out[label] = run
        if view.interrupted is not None or run is None or run.stopped_early or budget <= 0:
            break
    if len(out) == 2:
        st.session_state[SCALING_KEY] = out
    view.resume()
    st.rerun()


def scaling_configs(base: TrainConfig, limits: Limits, seed: int) -> dict[str, TrainConfig]:
    """The shipped experiment's config `base` with the page's seed, scaled and unscaled,
    inside the server's caps."""
    base = replace(base, steps=min(base.steps, limits.max_train_steps), seed=seed)
    return {label: fit_size(replace(base, scaled=label == "scaled"), limits)[0]
            for label in ("scaled", "unscaled")}


def scaling_section(limits: Limits) -> None:
    """The scaled and unscaled pair (shipped, or this session's, trained live with a fresh
    seed), their numbers at init, and the d_head sweep."""
    shipped = {label: lab_data.shipped(name) for label, name in lab_data.SCALING_RUNS.items()}
    base = shipped["scaled"].config
    d_head = base.d_model // base.heads
    live = st.session_state.get(SCALING_KEY)
    runs = live or shipped
    cfg = runs["scaled"].config
    std = {label: runs[label].history[0].logit_std for label in runs}
    pooled = "both layers" if cfg.layers == 2 else f"all {cfg.layers} layers"
    st.markdown(
        f"The same model twice, with one head of **d_head = {d_head}**: same seed, same data, "
        "and q and k start with entries of unit-order variance, as the maths assumes. The only "
        "difference is the **1/√d_k** before the softmax. Unscaled, the logits of "
        f"{pooled} at init, pooled, have a standard deviation of {std['unscaled']:.1f} against "
        f"{std['scaled']:.1f} scaled: the scale divides each layer's logits by √{d_head} = "
        f"{np.sqrt(d_head):.0f}, and the pooled figures are not exactly {np.sqrt(d_head):.0f} "
        "apart because layer 1 reads what layer 0 wrote, which differs between the two models. "
        "The softmax is almost one-hot from the first step, and the gradient that reaches a typical row of logits is tiny: the unscaled "
        "model barely learns. (The total gradient norm hides this: a few rows that are not "
        "saturated carry most of it.)")
    source = (f"Trained live, seed {cfg.seed}, {runs['scaled'].history[-1].step} steps."
              if live else f"Shipped runs (`make lab-runs`), seed {cfg.seed}.")
    left, right = st.columns([3, 1])
    left.caption(source)
    steps = min(base.steps, limits.max_train_steps)
    pressed = right.button("Train both live", key="scaling_train",
                           help=f"Trains the scaled and then the unscaled model here, with a "
                                f"fresh seed (d_model {base.d_model}, up to {steps} steps each); "
                                "the charts follow both as they train.")
    slots = {field: col.empty() for field, col in zip(SCALING_FIELDS, st.columns(3), strict=True)}
    if pressed:
        seed = fresh_seed()
        left.caption(f"Training live, seed {seed}: the shipped runs are not drawn meanwhile.")
        _train_scaling(limits, scaling_configs(base, limits, seed), slots)
    for field, chart in lv.scaling_charts(runs, SCALING_COLOURS).items():
        show(chart, key=f"scaling_{field}", container=slots[field], width="stretch")
    gone = [label for label, run in runs.items() if any(r.logit_grad_median <= 0 for r in run.history)]
    if gone:
        st.caption(f"Where the {' and '.join(gone)} gradient curve stops, the typical row's gradient "
                   "is exactly 0: its softmax has saturated completely (a log scale cannot show 0).")
    rows = [("largest softmax weight at init (1 = one-hot)", "max_weight", 0),
            (f"standard deviation of the logits at init ({pooled} pooled)", "logit_std", 0),
            ("gradient at the logits at init, typical row (median)", "logit_grad_median", 0),
            ("gradient at the logits at init, all rows (norm)", "logit_grad_norm", 0),
            ("final held-out accuracy", "accuracy", -1)]
    table = "| | scaled | unscaled |\n|---|---|---|\n" + "".join(
        f"| {what} | {getattr(runs['scaled'].history[i], f):.3g} | "
        f"{getattr(runs['unscaled'].history[i], f):.3g} |\n" for what, f, i in rows)
    st.markdown(table)
    sweep_section()


def sweep_section() -> None:
    """The same pair at d_head 16, 64 and 256 (shipped: `make lab-runs`)."""
    points = lab_data.sweep()
    st.subheader("Only at the extreme? The same pair at three head widths")
    if points is None:
        st.info("The d_head sweep is not shipped with this copy (`make lab-runs` writes it).")
        return
    by = {(p.d_head, p.scaled): p for p in points}
    widths = sorted({p.d_head for p in points})
    left, right = st.columns([1.2, 1])
    show(lv.sweep_chart(points, SCALING_COLOURS), key="scaling_sweep", container=left,
         width="stretch")
    table = ("| d_head | heads | largest weight at init, scaled / unscaled | final accuracy, "
             "scaled / unscaled |\n|---|---|---|---|\n" + "".join(
                 f"| {d} | {SWEEP_D_MODEL // d} | {by[d, True].max_weight:.2f} / {by[d, False].max_weight:.2f}"
                 f" | {by[d, True].final_accuracy:.2f} / {by[d, False].final_accuracy:.2f} |\n"
                 for d in widths))
    right.markdown(table)
    gaps = [by[d, True].final_accuracy - by[d, False].final_accuracy for d in widths]
    peaks = [by[d, False].max_weight for d in widths]
    right.caption(
        f"One width (d_model {SWEEP_D_MODEL}) cut into "
        + ", ".join(str(SWEEP_D_MODEL // d) for d in widths)
        + f" heads, each model trained {points[0].steps[-1]} steps from the same seed. Without the scale, accuracy trails by "
        + ", ".join(f"{g:.2f} at d_head {d}" for d, g in zip(widths, gaps, strict=True))
        + (": learning suffers at every width shown, not only the widest" if min(gaps) > 0.1
           else "")
        + ("; unscaled, the softmax's largest weight at init grows with d_head." if peaks == sorted(peaks)
           else "."))


@st.fragment(key="generate")
def generate_section(ctl: PageControls, run, name: str | None, seed: int) -> None:
    """`run` continues a prefix; `name` (a shipped run) lets the result be cached; `ctl`
    holds the page's validated controls (prefix, gen, gen_step). Its controls are drawn
    inside it: moving one reruns this section only."""
    if run.model is None:
        st.info("This run was saved without its weights, so it cannot generate.")
        return
    V, L = run.config.vocab_size, run.config.max_len
    st.markdown(
        f"The trained model continues a sequence one token at a time, greedily. Type token ids "
        f"(0–{V - 1}, up to {L}) with a repeat in them: after the repeat starts, an induction "
        "head predicts the next token by copying what followed it the first time.")
    default = " ".join(map(str, lv.repeat_prefix(seed, V)))

    def redraw() -> None:
        draws = st.session_state.get("_lab_prefix_draws", 0) + 1
        st.session_state["_lab_prefix_draws"] = draws
        st.session_state["prefix"] = " ".join(map(str, lv.repeat_prefix(seed + draws, V)))

    a, b, c = st.columns([4, 1.4, 1])
    text = ctl.draw("prefix", a, placeholder=default)
    b.button("New prefix", key="prefix_draw", on_click=redraw, icon=":material/casino:",
             help="A random prefix with a repeat in it.")
    prefix, notes = lv.parse_prefix(text or default, V, L)
    for note in notes:  # a note quotes what the link or the learner typed: plain text
        st.caption(f"Prefix: {escape(note)}.")
    if not prefix:
        st.info("Type at least one token id to generate from.")
        return
    room = max(1, min(MAX_NEW_TOKENS, L + 1 - len(prefix)))
    n_new = ctl.draw("gen", c, hi=room)
    view = lab_data.generation(run, name, prefix, n_new)
    st.markdown(view.strip)
    k = ctl.draw("gen_step", hi=n_new, default=n_new) if n_new > 1 else 1
    step = view.step(k)
    head, grid = generation_charts(view, k)
    # The induction head's map over half the width (its key labels apart), every head below it
    # at its own size: the grid of small maps never runs past the right edge at 1280 pixels.
    left, right = st.columns(2)
    show(head, key="gen_head", container=left, width="stretch")
    right.caption(f"Step {k} computed row {step.t - 1} (query = token {step.query}), which chose "
               f"token {step.chosen}. Largest change of any row already computed, over steps "
               f"1–{k}: **{step.change:.1e}**"
               + (" (float rounding: rows already computed do not change, which is what a KV "
                  "cache relies on)." if step.rounding_only else "."))
    show(grid, key="gen_maps", width="content")
