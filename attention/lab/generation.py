"""Greedy generation with a trained lab model, and what to compare it with.

    gen = generate(run, run.probe[:22], 8)  # tokens (30,), and the maps of each of 8 steps
    earlier_rows_changes(gen.steps)         # per step: float rounding at most, as
                                            # causal rows already computed never change
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from attention.lab.training import TrainingRun


@dataclass(frozen=True)
class Generation:
    """Greedy continuation: tokens (P + n_new,), and steps[i]: the maps (layers, heads,
    t, t), t = P + i, computed while producing token P + i."""

    tokens: Tensor
    steps: list[Tensor]


def generate(run: TrainingRun, prefix: Tensor, n_new: int) -> Generation:
    """Continue `prefix` (P,) greedily by n_new tokens, one new query row per step.

    Each step runs the model on the whole sequence so far; causal masking makes the
    earlier rows of every map come out the same as in the step before (what a KV cache
    relies on), and the returned maps let a caller check it.
    """
    if not isinstance(n_new, int) or isinstance(n_new, bool) or n_new < 0:
        raise ValueError(f"n_new must be an integer >= 0, got {n_new!r}")
    if run.model is None:
        raise ValueError("this run has no model weights (saved without them)")
    tokens = run.check_tokens(prefix)  # (P,)
    if len(tokens) + n_new - 1 > run.max_len:
        raise ValueError(f"prefix ({len(tokens)}) + n_new ({n_new}) exceeds the context: "
                         f"at most {run.max_len + 1} tokens in all")
    device = next(run.model.parameters()).device
    steps = []
    with torch.inference_mode():
        for _ in range(n_new):
            logits, results = run.model(tokens[None].to(device), need_weights=True)  # (1, t, V)
            steps.append(torch.stack([r.weights[0] for r in results]).float().cpu())  # (layers, H, t, t)
            nxt = logits[0, -1].argmax().cpu()  # the greedy next token
            tokens = torch.cat([tokens, nxt[None]])  # (t + 1,)
    return Generation(tokens=tokens, steps=steps)


def expected_continuation(prefix: Sequence[int], n_new: int) -> list[int | None]:
    """What copying the earlier occurrence would produce, token by token (None: no repeat)."""
    seq: list[int | None] = list(prefix)
    out: list[int | None] = []
    for _ in range(n_new):
        last = seq[-1]  # None: a position copying cannot predict, which matches nothing
        earlier = [i for i in range(len(seq) - 1) if last is not None and seq[i] == last]
        nxt = seq[earlier[-1] + 1] if earlier else None
        out.append(nxt)
        seq.append(nxt)
    return out


def earlier_rows_changes(steps: Sequence[np.ndarray]) -> list[float]:
    """For each step k (1-based, in order), the largest |change| of an already computed
    row between consecutive steps 1..k (0 at step 1).

    Args:
        steps: maps (layers, heads, t, t), t growing by one per step.
    """
    worst, out = 0.0, [0.0] if len(steps) else []
    for before, after in itertools.pairwise(steps):
        t = before.shape[-1]
        diff = np.abs(np.asarray(after)[..., :t, :t].astype(np.float64)  # (layers, H, t, t)
                      - np.asarray(before, np.float64))
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
        out.append(worst)
    return out
