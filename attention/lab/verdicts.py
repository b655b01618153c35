"""What /lab says of a run, computed from its numbers: whether accuracy jumped (and when),
which heads formed, judged against a reference run (the shipped 2-layer run) and chance.
No Streamlit, no charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PHASE_MIN_GAIN = 0.25  # with no reference run: the least rise in accuracy that is a jump
JUMP_SHARE = 0.5  # a jump: accuracy rises by at least this share of the reference run's rise
FORMED = 0.3  # a head's score from which it may have formed (a uniform causal head: ~0.1)
NO_JUMP = "no big jump"
PREDICT_CHOICES = ("before step 150", "step 150–500", "step 500–1000", "after step 1000", NO_JUMP)
PREDICT_BINS = ((0, 150), (150, 500), (500, 1000), (1000, math.inf))


@dataclass(frozen=True)
class Reference:
    """What the reference run measured: its rise in accuracy, and its final accuracy."""

    gain: float
    final: float

    @classmethod
    def of(cls, history) -> Reference:
        return cls(gain=accuracy_rise(history), final=float(history[-1].accuracy))


def accuracy_rise(history) -> float:
    """Last minus first logged accuracy (0 for fewer than two records or a non-finite one)."""
    if len(history) < 2:
        return 0.0
    rise = history[-1].accuracy - history[0].accuracy
    return float(rise) if math.isfinite(rise) else 0.0


def jump_threshold(reference: Reference | None) -> float:
    """The least rise in accuracy that counts as a jump: JUMP_SHARE of the reference's rise."""
    return PHASE_MIN_GAIN if reference is None else JUMP_SHARE * reference.gain


def phase_change(history, reference: Reference | None = None) -> int | None:
    """The first logged step where accuracy passes halfway from its first to its last value,
    or None when it rose by less than `jump_threshold(reference)` (no jump to speak of)."""
    if len(history) < 2 or accuracy_rise(history) < jump_threshold(reference):
        return None
    half = (history[0].accuracy + history[-1].accuracy) / 2
    return next((r.step for r in history if r.accuracy >= half), None)


def predicted_right(choice: str, phase: int | None) -> bool:
    """Whether a PREDICT_CHOICES answer contains the measured phase change."""
    if phase is None:
        return choice == NO_JUMP
    lo, hi = PREDICT_BINS[PREDICT_CHOICES.index(choice)] if choice in PREDICT_CHOICES[:-1] else (-1, -1)
    return lo <= phase < hi


def jump_summary(history, phase: int | None, reference: Reference | None) -> str:
    """The measured answer to "when does the jump happen?" (markdown), with its numbers."""
    first, last = history[0].accuracy, history[-1].accuracy
    if phase is not None:
        return (f"the jump happens at step **{phase}** (the first logged step where accuracy "
                f"passes halfway from its start, {first:.2f}, to its end, {last:.2f})")
    rise = accuracy_rise(history)
    against = (f"less than half the 2-layer run's rise ({reference.gain:.2f})" if reference
               else f"less than {PHASE_MIN_GAIN}")
    return (f"accuracy goes from {first:.2f} to {last:.2f}, a rise of {rise:.2f}: {against}, "
            "so there is no phase change like it in this run")


@dataclass(frozen=True)
class FormedHead:
    layer: int
    head: int
    score: float
    state: str  # "formed", "forming" (its score is there, held-out accuracy not yet) or "not formed"

    @property
    def formed(self) -> bool:
        return self.state == "formed"

    def says(self) -> str:
        return {"formed": "it has formed", "forming": "it is forming: held-out accuracy has not "
                "yet reached half the reference run's",
                "not formed": "it has not formed"}[self.state]


def best_heads(record, layers: int,
               reference: Reference | None = None) -> tuple[FormedHead, FormedHead]:
    """(the layer-0 head with the highest previous-token score, the last layer's head with
    the highest induction score) at one logged step.

    A previous-token head has formed at a score of FORMED or more. An induction head needs
    two layers, a score of FORMED or more, and (with a reference run) held-out accuracy at
    least JUMP_SHARE of the reference's final accuracy: the score is measured on one probe,
    accuracy on sequences whose repeat sits anywhere.
    """
    prev = np.nan_to_num(np.asarray(record.prev_token_score[0], dtype=float))
    ind = np.nan_to_num(np.asarray(record.induction_score[layers - 1], dtype=float))
    p, i = int(prev.argmax()), int(ind.argmax())
    if layers < 2 or ind[i] < FORMED:
        state = "not formed"
    elif reference is not None and record.accuracy < JUMP_SHARE * reference.final:
        state = "forming"
    else:
        state = "formed"
    return (FormedHead(0, p, float(prev[p]), "formed" if prev[p] >= FORMED else "not formed"),
            FormedHead(layers - 1, i, float(ind[i]), state))


def heads_summary(record, prev: FormedHead, ind: FormedHead, layers: int,
                  reference: Reference | None = None) -> str:
    """What the probe maps show at `record`'s step (markdown): the best previous-token head
    and the best induction head, each with the number its verdict rests on."""
    text = (f"The probe is one sequence with a repeat. At step {record.step}, the strongest "
            f"previous-token head is **layer 0 head {prev.head}** (score {prev.score:.2f}: "
            f"{prev.says()}), a stripe just below the diagonal. ")
    measure = ("A score is the mean weight a head puts on the position that role looks at "
               "(for induction: in the rows of the repeat, the token just after each token's "
               f"earlier copy, outlined on the map above); {FORMED} or more counts.")
    accuracy = f"held-out accuracy at this step is {record.accuracy:.2f}" + (
        f", against {reference.final:.2f} for the 2-layer run at its end" if reference else "")
    if layers < 2:
        return text + (
            "**In a 1-layer model no head can be an induction head**: to find the token after "
            "the current token's earlier copy, a key must carry which token came before it, and "
            "only a previous-token head in an earlier layer can write that. The highest "
            f"induction score here, layer 0 head {ind.head} at {ind.score:.2f}, is weight on "
            "those positions of this one probe, not the copying rule: on sequences whose "
            f"repeat sits elsewhere, {accuracy}. " + measure)
    return text + (
        f"The strongest induction head is **layer {ind.layer} head {ind.head}** (score "
        f"{ind.score:.2f}: {ind.says()}; {accuracy}): in the rows of the repeat, a line "
        "parallel to the diagonal, on the token just after each token's earlier copy. " + measure)
