"""What /lab shows of a training run: curves as long frames, the heads that formed, the
phase change, snapshots, prefixes for generation, as arrays and frames. No Streamlit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attention import charts
from attention.core.functional import causal_mask

# A fixed colour per meaning on every chart of the lab, from the app's palette
# (attention/charts/base.py): the reference red marks a phase change, never a series.
LOSS_COLOUR, ACCURACY_COLOUR = charts.SERIES_COLORS[0], charts.SERIES_COLORS[2]
SCALED_COLOUR, UNSCALED_COLOUR = charts.SCALED_COLOR, charts.UNSCALED_COLOR
HEAD_COLOURS = charts.SERIES_COLORS  # head h: HEAD_COLOURS[h % len], cycling past the last
PHASE_MIN_GAIN = 0.25  # accuracy must rise at least this much for a phase change to be named
FORMED = 0.3  # a head "has formed" once its score passes this (a uniform causal head scores ~0.1)
PREDICT_CHOICES = ("before step 150", "step 150–500", "step 500–1000", "after step 1000",
                   "it never jumps")
PREDICT_BINS = ((0, 150), (150, 500), (500, 1000), (1000, math.inf))


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


def phase_change(history) -> int | None:
    """The first logged step where accuracy passes halfway from its first to its last value,
    or None when it rose by less than PHASE_MIN_GAIN (no jump to speak of)."""
    if len(history) < 2:
        return None
    first, last = history[0].accuracy, history[-1].accuracy
    if not (math.isfinite(first) and math.isfinite(last)) or last - first < PHASE_MIN_GAIN:
        return None
    half = (first + last) / 2
    return next((r.step for r in history if r.accuracy >= half), None)


def predicted_right(choice: str, phase: int | None) -> bool:
    """Whether a PREDICT_CHOICES answer contains the measured phase change."""
    if phase is None:
        return choice == PREDICT_CHOICES[-1]
    lo, hi = PREDICT_BINS[PREDICT_CHOICES.index(choice)] if choice in PREDICT_CHOICES[:-1] else (-1, -1)
    return lo <= phase < hi


@dataclass(frozen=True)
class FormedHead:
    layer: int
    head: int
    score: float
    formed: bool  # score passed FORMED


def best_heads(record, layers: int) -> tuple[FormedHead, FormedHead]:
    """(the layer-0 head with the highest previous-token score, the last layer's head with
    the highest induction score) at one logged step."""
    prev = np.nan_to_num(np.asarray(record.prev_token_score[0], dtype=float))
    ind = np.nan_to_num(np.asarray(record.induction_score[layers - 1], dtype=float))
    p, i = int(prev.argmax()), int(ind.argmax())
    return (FormedHead(0, p, float(prev[p]), bool(prev[p] >= FORMED)),
            FormedHead(layers - 1, i, float(ind[i]), bool(ind[i] >= FORMED)))


def heads_summary(step: int, prev: FormedHead, ind: FormedHead, layers: int) -> str:
    """What the probe maps show at `step` (markdown): the best previous-token head and, with
    two layers or more, the best induction head; what a score measures."""
    def formed(head: FormedHead) -> str:
        return "has formed" if head.formed else "has not formed (yet)"

    text = (f"The probe is one sequence with a repeat. At step {step}, the strongest "
            f"previous-token head is **layer 0 head {prev.head}** (score {prev.score:.2f}: it "
            f"{formed(prev)}), a stripe just below the diagonal. ")
    measure = ("A score is the mean weight a head puts on the position that role looks at "
               "(for induction: in the rows of the repeat, the token just after each token's "
               f"earlier copy); {FORMED} or more counts as formed here.")
    if layers < 2:
        return text + (
            "**In a 1-layer model no head can be an induction head**: to find the token after "
            "the current token's earlier copy, a key must carry which token came before it, and "
            "only a previous-token head in an earlier layer can write that. The highest "
            f"induction score here, layer 0 head {ind.head} at {ind.score:.2f}, is weight on "
            "those positions of this one probe, not the copying rule: the held-out accuracy, "
            "on sequences whose repeat sits elsewhere, is what tests that. " + measure)
    return text + (
        f"The strongest induction head is **layer {ind.layer} head {ind.head}** (score "
        f"{ind.score:.2f}: it {formed(ind)}): in the rows of the repeat, a line parallel to the "
        "diagonal, on the token just after each token's earlier copy. " + measure)


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
