"""What /lab shows of a training run: curves as long frames, the heads that formed, the
phase change, snapshots, prefixes for generation, as arrays and frames. No Streamlit.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from attention import charts
from attention.core.functional import causal_mask
from attention.lab.analysis import induction_heads
from attention.lab.tasks import induction_targets
from attention.lab.verdicts import (  # noqa: F401 (what /lab says of a run, offered here too)
    FORMED,
    PREDICT_CHOICES,
    FormedHead,
    Reference,
    best_heads,
    heads_summary,
    jump_summary,
    phase_change,
    predicted_right,
)

# A fixed colour per meaning on every chart of the lab, from the app's palette
# (attention/charts/base.py): the reference red marks a phase change, never a series.
LOSS_COLOUR, ACCURACY_COLOUR = charts.SERIES_COLORS[0], charts.SERIES_COLORS[2]
SCALED_COLOUR, UNSCALED_COLOUR = charts.SCALED_COLOR, charts.UNSCALED_COLOR
HEAD_COLOURS = charts.SERIES_COLORS  # head h: HEAD_COLOURS[h % len], cycling past the last


def head_label(h: int) -> str:
    return f"head {h}"


def head_colours(heads: int) -> tuple[tuple[str, str], ...]:
    """(("head 0", colour), ...) for `heads` heads, the series colours in turn."""
    return tuple((head_label(h), HEAD_COLOURS[h % len(HEAD_COLOURS)]) for h in range(heads))


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else 0.0


def metric_frame(history, metrics: dict[str, str]) -> pd.DataFrame:
    """Columns step, series, value: one series per {label: LogRecord field}."""
    rows = [(r.step, label, _finite(getattr(r, field)))
            for label, field in metrics.items() for r in history]
    return pd.DataFrame(rows, columns=["step", "series", "value"])


def head_score_frame(history, score: str, layer: int) -> pd.DataFrame:
    """Columns step, series ("head h"), value: `score` ("prev_token_score" or
    "induction_score") of every head of `layer` at each logged step."""
    rows = [(r.step, head_label(h), _finite(v))
            for r in history for h, v in enumerate(getattr(r, score)[layer])]
    return pd.DataFrame(rows, columns=["step", "series", "value"])


def compare_frame(runs: dict[str, object], field: str) -> pd.DataFrame:
    """One series per run (label -> run) of one LogRecord field."""
    rows = [(r.step, label, _finite(getattr(r, field)))
            for label, run in runs.items() for r in run.history]
    return pd.DataFrame(rows, columns=["step", "series", "value"])


def snapshot_index(steps: list[int], step: int) -> int:
    """Index of the last snapshot taken at or before `step` (0 if none)."""
    idx = int(np.searchsorted(np.asarray(steps), step, side="right")) - 1
    return max(idx, 0)


def head_maps(weights: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(layers, heads, L, L) -> (layers*heads, L, L) with titles "L0 H0", ..."""
    n_layers, H, L, S = weights.shape
    titles = [f"L{layer} H{h}" for layer in range(n_layers) for h in range(H)]
    return np.asarray(weights, dtype=np.float32).reshape(n_layers * H, L, S), titles


def causal_masked(L: int) -> np.ndarray:
    """(L, L) bool, True above the diagonal: keys a causal query never sees."""
    return ~causal_mask(L).numpy()


def token_labels(tokens) -> list[str]:
    return [str(int(t)) for t in np.asarray(tokens).tolist()]


_SEP = re.compile(r"[\s,;]+")
_TOKEN_ID = re.compile(r"[0-9]{1,6}")  # ASCII digits: "²".isdigit() is true, int("²") raises


def parse_prefix(text: str, vocab_size: int, max_tokens: int) -> tuple[list[int], list[str]]:
    """Token ids typed as "3 17 42, 3 17": (ids kept, notes on what was dropped or cut)."""
    ids, notes, bad = [], [], []
    for part in _SEP.split(text.strip()):
        if not part:
            continue
        if _TOKEN_ID.fullmatch(part) and int(part) < vocab_size:
            ids.append(int(part))
        else:
            bad.append(part[:12])
    if bad:
        notes.append(f"ignored {', '.join(bad[:5])}{' …' if len(bad) > 5 else ''} "
                     f"(token ids are whole numbers 0–{vocab_size - 1})")
    if len(ids) > max_tokens:
        notes.append(f"kept the first {max_tokens} ids")
        ids = ids[:max_tokens]
    return ids, notes


def repeat_prefix(seed: int, vocab_size: int) -> list[int]:
    """A random segment of 8 distinct tokens, then its first 3 again: an induction model
    should continue the repeat with the segment's next tokens."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(vocab_size, size=min(8, vocab_size), replace=False).tolist()
    return seg + seg[:3]


# ---------------------------------------------------------------- charts of one run


def curve_charts(run, *, marker: int | None = None, phase: int | None = None) -> dict:
    """Loss, accuracy, and per-head score curves of `run` (its history so far).

    Args:
        marker: the step on screen (grey rule); phase: the phase change (red dashed rule).
    """
    history, cfg = run.history, run.config
    last = cfg.layers - 1
    event = dict(event_x=None if phase is None else float(phase), event_label="phase change",
                 x_domain=(0.0, float(max(cfg.steps, 1))))
    mark = None if marker is None else float(marker)
    heads = head_colours(cfg.heads)
    return {
        "loss": charts.curves(metric_frame(history, {"held-out loss": "loss"}), title="Loss",
                              y_title="cross-entropy (nats)", colours=(("held-out loss", LOSS_COLOUR),),
                              marker_x=mark, **event),
        "accuracy": charts.curves(metric_frame(history, {"held-out accuracy": "accuracy"}),
                                  title="Accuracy on the predictable positions", y_title="accuracy",
                                  colours=(("held-out accuracy", ACCURACY_COLOUR),),
                                  y_domain=(0.0, 1.0), marker_x=mark, **event),
        "prev": charts.curves(head_score_frame(history, "prev_token_score", 0),
                              title="Layer 0: previous-token score per head", y_title="score",
                              colours=heads, y_domain=(0.0, 1.0), marker_x=mark,
                              x_domain=event["x_domain"]),
        "induction": charts.curves(head_score_frame(history, "induction_score", last),
                                   title=f"Layer {last}: induction score per head", y_title="score",
                                   colours=heads, y_domain=(0.0, 1.0), marker_x=mark,
                                   x_domain=event["x_domain"]),
    }


def maps_chart(run, index: int):
    """Every head's map on the probe at snapshot `index`: one panel per layer and head."""
    snap = run.snapshots[index]
    weights, titles = head_maps(np.asarray(snap.weights))
    L = weights.shape[-1]
    labels = token_labels(run.probe[:L])
    return charts.head_grid(weights, labels, labels, titles, masked=causal_masked(L),
                            columns=run.config.heads, axis_labels=False)


# ---------------------------------------------------------------- induction, measured


def repeat_start(run) -> int:
    """The probe's first position inside its repeat (its first predictable position)."""
    hits = np.flatnonzero(np.asarray(run.probe_predictable))
    return int(hits[0]) if hits.size else 0


def induction_chart(run, index: int, head: FormedHead):
    """`head`'s map on the probe at snapshot `index`, the ideal induction pattern (each
    query of the repeat on the token after its earlier copy) outlined, the repeat's start
    marked."""
    weights = np.asarray(run.snapshots[index].weights[head.layer, head.head], dtype=np.float32)
    L = weights.shape[-1]  # (L, L)
    probe = run.probe[:L]
    targets = induction_targets(probe.cpu()).numpy()  # (L, L) bool
    return charts.induction_map(
        weights, token_labels(probe), targets=targets, masked=causal_masked(L),
        repeat_start=repeat_start(run),
        title=f"L{head.layer} H{head.head} at step {run.snapshots[index].step} (outlined: ideal)")


KNOCKOUTS = ("none", "best", "all")  # the Knock out control's choices


def knockout_heads(run, choice: str) -> tuple[tuple[int, int], ...]:
    """The (layer, head) pairs a KNOCKOUTS choice zeroes: "best", the best induction head of
    the last layer; "all", every one of its heads scoring FORMED or more (possibly none)."""
    if choice not in KNOCKOUTS[1:]:
        return ()
    return induction_heads(run, None if choice == "best" else FORMED)


def repeat_loss_chart(rep) -> charts.Chart:
    """The loss at each position of a sequence repeated twice (and with heads knocked out)."""
    knocked = ", ".join(f"L{layer} H{h}" for layer, h in rep.knocked)
    return charts.position_loss(
        rep.loss, rep.knocked_loss, repeat_start=rep.repeat_start, chance=rep.chance,
        knocked_label=f"{knocked} knocked out" if knocked else "knocked out",
        title=f"Per-position loss: {rep.repeat_start} random tokens, then the same again")


# ---------------------------------------------------------------- √d_k, trained


def scaling_charts(runs: dict, colours, x_max: int | None = None) -> dict:
    """Loss, accuracy and the typical row's logit gradient of the scaled and unscaled runs
    (label -> run, possibly still training; `x_max`: the planned steps, fixing the x axis)."""
    specs = [("loss", "Loss", "cross-entropy (nats)", None, False),
             ("accuracy", "Accuracy", "accuracy", (0.0, 1.0), False),
             ("logit_grad_median", "Logit gradient, typical row", "median row norm (log)",
              None, True)]
    x_domain = None if x_max is None else (0.0, float(max(x_max, 1)))
    out = {}
    for field, title, y_title, domain, log_y in specs:
        frame = compare_frame(runs, field)
        if log_y:
            frame = frame[frame["value"] > 0]
        out[field] = charts.curves(frame, title=title, y_title=y_title, colours=colours,
                                   y_domain=domain, log_y=log_y, x_domain=x_domain)
    return out


def sweep_chart(points, colours) -> charts.Chart:
    """Final held-out accuracy against d_head, scaled and unscaled (SweepPoint list)."""
    frame = pd.DataFrame([(p.d_head, "scaled" if p.scaled else "unscaled", p.final_accuracy)
                          for p in points], columns=["d_head", "series", "value"])
    steps = max(p.steps[-1] for p in points)
    return charts.lines(frame, x="d_head", y="value", title=f"Accuracy after {steps} steps, by "
                        "d_head", x_title="d_head (log scale)", y_title="held-out accuracy",
                        log_x=True, colors=tuple(colours))
