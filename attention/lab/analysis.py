"""What a trained lab model does on random tokens repeated twice: the loss at every
position (low on the second copy once an induction head has formed), its accuracy there,
and the same with one head knocked out (its output zeroed before W_O).

    rep = repeat_loss(run)                      # the model as trained
    rep = repeat_loss(run, knockout=((1, 0),))  # layer 1 head 0 zeroed
    rep.loss, rep.accuracy, rep.knocked_accuracy
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from attention.lab.tasks import MAX_SEGMENT
from attention.lab.training import TrainingRun

REPEAT_SEQUENCES = 256  # sequences the per-position loss is averaged over
REPEAT_SEED = 31_415  # fixed: every run is measured on the same sequences


@dataclass(frozen=True)
class RepeatLoss:
    """Per-position loss of a run on `n` random tokens followed by the same `n` again."""

    loss: np.ndarray  # (L - 1,) mean cross-entropy of token t + 1, read at position t
    knocked_loss: np.ndarray | None  # (L - 1,) the same with `knocked` zeroed
    repeat_start: int  # n: the first position of the second copy
    accuracy: float  # next-token accuracy at the predictable positions of the second copy
    knocked_accuracy: float | None
    knocked: tuple[tuple[int, int], ...]  # (layer, head) pairs knocked out
    chance: float  # ln(vocab): the loss of a uniform guess

    @property
    def positions(self) -> np.ndarray:
        """(L - 1,) the query positions the loss is read at."""
        return np.arange(len(self.loss))

    def mean_loss(self, half: str, knocked: bool = False) -> float:
        """Mean loss over the predictable positions of the "first" or "second" copy."""
        loss = self.knocked_loss if knocked else self.loss
        n = self.repeat_start
        part = loss[:n - 1] if half == "first" else loss[n:2 * n - 1]
        return float(part.mean())


def repeated_tokens(vocab_size: int, max_len: int, count: int = REPEAT_SEQUENCES,
                    seed: int = REPEAT_SEED) -> tuple[torch.Tensor, int]:
    """`count` sequences of n random tokens then the same n again, n = min(MAX_SEGMENT,
    max_len // 2) (the longest repeat training saw); random tokens fill any rest.

    Returns:
        tokens (count, max_len) long, and n.
    """
    n = min(MAX_SEGMENT, max_len // 2)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(vocab_size, (count, max_len), generator=g)  # (N, L)
    tokens[:, n:2 * n] = tokens[:, :n]
    return tokens, n


def induction_heads(run: TrainingRun, at_least: float | None = None) -> tuple[tuple[int, int], ...]:
    """(layer, head) pairs of the last layer by induction score at the run's last logged
    step, best first: the best head alone when `at_least` is None, else every head scoring
    `at_least` or more (possibly none)."""
    layer = run.config.layers - 1
    scores = np.nan_to_num(np.asarray(run.history[-1].induction_score[layer], dtype=float))
    order = [int(h) for h in np.argsort(-scores, kind="stable")]
    if at_least is None:
        return ((layer, order[0]),)
    return tuple((layer, h) for h in order if scores[h] >= at_least)


def _measure(model, tokens: torch.Tensor, n: int,
             knockout: frozenset) -> tuple[np.ndarray, float]:
    """(L - 1,) mean loss per position and the second copy's accuracy."""
    with torch.inference_mode():
        logits, _ = model(tokens, knockout=knockout)  # (N, L, V)
        target = tokens[:, 1:]  # (N, L - 1) the next tokens
        loss = F.cross_entropy(logits[:, :-1].transpose(1, 2), target, reduction="none")  # (N, L-1)
        right = logits[:, n:2 * n - 1].argmax(-1) == target[:, n:2 * n - 1]  # (N, n - 1)
    return loss.mean(0).float().cpu().numpy(), float(right.float().mean())


def repeat_loss(run: TrainingRun, knockout: tuple[tuple[int, int], ...] = ()) -> RepeatLoss:
    """The run's model on REPEAT_SEQUENCES repeated sequences; with `knockout`, (layer,
    head) pairs, also with those heads' outputs zeroed.

    Raises:
        ValueError: the run has no weights, or `knockout` names no head of the model.
    """
    if run.model is None:
        raise ValueError("this run has no model weights (saved without them)")
    c = run.config
    knocked = tuple(sorted({(int(layer), int(head)) for layer, head in knockout}))
    for layer, head in knocked:
        if not (0 <= layer < c.layers and 0 <= head < c.heads):
            raise ValueError(f"no head {head} in layer {layer} of a {c.layers}-layer, "
                             f"{c.heads}-head model")
    device = next(run.model.parameters()).device
    tokens, n = repeated_tokens(c.vocab_size, c.max_len)
    tokens = tokens.to(device)
    loss, accuracy = _measure(run.model, tokens, n, frozenset())
    knocked_loss = knocked_accuracy = None
    if knocked:
        knocked_loss, knocked_accuracy = _measure(run.model, tokens, n, frozenset(knocked))
    return RepeatLoss(loss=loss, knocked_loss=knocked_loss, repeat_start=n, accuracy=accuracy,
                      knocked_accuracy=knocked_accuracy, knocked=knocked,
                      chance=math.log(c.vocab_size))
