"""The lab's tasks as batch generators, its probe sequence, and the per-head scores.

A task makes sequences of random tokens (B, L) and says at which query positions the next
token is predictable from the sequence so far; the model is scored only there.
"""

from __future__ import annotations

import torch
from torch import Tensor

MIN_SEGMENT, MAX_SEGMENT = 6, 16  # an induction segment: at most half the context too
TASKS: dict[str, str] = {
    "induction": f"a segment of {MIN_SEGMENT} to {MAX_SEGMENT} random tokens (at most half "
                 "the context) repeats at a random offset: continue the repeat (needs an "
                 "induction head, so two layers)",
    "copy": "the second half repeats the first half: continue the repeat "
            "(a fixed offset, solved by position alone, one layer suffices)",
}
MIN_LEN = {"induction": 2 * MIN_SEGMENT, "copy": 4}


def check_task(task: str, max_len: int) -> None:
    """Raise ValueError unless `task` is known and fits in `max_len` positions."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(TASKS)}")
    if max_len < MIN_LEN[task]:
        raise ValueError(f"task {task!r} needs max_len >= {MIN_LEN[task]}, got {max_len}")


def _repeat(tokens: Tensor, src_start: Tensor, dst_start: Tensor,
            n: Tensor) -> tuple[Tensor, Tensor]:
    """Copy tokens[b, src:src+n] over tokens[b, dst:dst+n] for every row b.

    Args:
        tokens: (B, L); src_start, dst_start, n: (B,) with src + n <= dst, dst + n <= L.
    Returns:
        tokens (B, L) and predictable (B, L): query positions dst .. dst+n-2, whose next
        token is the repeat's next token.
    """
    B, L = tokens.shape
    pos = torch.arange(L).expand(B, L)  # (B, L)
    offset = (pos - dst_start[:, None])  # (B, L) position inside the repeat
    inside = (offset >= 0) & (offset < n[:, None])  # (B, L)
    src = torch.where(inside, src_start[:, None] + offset, pos)  # (B, L)
    predictable = (offset >= 0) & (offset < n[:, None] - 1)  # (B, L)
    return tokens.gather(1, src), predictable


def make_batch(task: str, batch: int, max_len: int, vocab_size: int,
               generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """A batch of the task, drawn on the CPU from `generator` only.

    Returns:
        tokens (B, L) long and predictable (B, L) bool: True at query positions t whose
        next token tokens[t + 1] follows from tokens[:t + 1].
    """
    B, L = batch, max_len
    tokens = torch.randint(vocab_size, (B, L), generator=generator)  # (B, L)
    if task == "copy":
        h = L // 2
        full = torch.full((B,), h)
        return _repeat(tokens, torch.zeros(B, dtype=torch.long), full, full)
    u = torch.rand(3, B, generator=generator)  # (3, B) uniforms
    hi = min(MAX_SEGMENT, L // 2)
    n = MIN_SEGMENT + (u[0] * (hi - MIN_SEGMENT + 1)).long()  # (B,) in [MIN_SEGMENT, hi]
    src = (u[1] * (L - 2 * n + 1)).long()  # (B,) first copy in [0, L - 2n]
    dst = src + n + (u[2] * (L - src - 2 * n + 1)).long()  # (B,) in [src + n, L - n]
    return _repeat(tokens, src, dst, n)


def make_probe(task: str, max_len: int, vocab_size: int) -> tuple[Tensor, Tensor]:
    """The fixed probe the snapshots are taken on: one clear example of the task, its
    tokens all distinct when the vocabulary allows (so every score is unambiguous).

    Returns:
        tokens (L,) long and predictable (L,) bool.
    """
    L = max_len
    g = torch.Generator().manual_seed(20170612)  # fixed: every run shares its probe
    if vocab_size >= L:
        tokens = torch.randperm(vocab_size, generator=g)[:L]  # (L,)
    else:
        tokens = torch.randint(vocab_size, (L,), generator=g)
    if task == "copy":
        h = L // 2
        src, dst, n = 0, h, h
    else:
        n = min(12, L // 2)
        src = (L - 2 * n) // 4
        dst = L - n - (L - 2 * n) // 4
    one = torch.tensor([src]), torch.tensor([dst]), torch.tensor([n])
    tokens, predictable = _repeat(tokens[None], *one)
    return tokens[0], predictable[0]


def previous_token_score(weights: Tensor) -> Tensor:
    """Mean weight each query puts on the key just before it.

    Args:
        weights: (..., L, L) causal attention maps.
    Returns:
        (...,) scores in [0, 1]; 1 = a perfect previous-token head.
    """
    return weights.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=-1)  # (..., L-1) -> (...)


def induction_targets(tokens: Tensor) -> Tensor:
    """(L, L) bool: key j is an induction target of query t when j <= t and the token
    before j equals the token at t (attend to what followed the earlier occurrence)."""
    L = tokens.shape[0]
    same = tokens[:, None] == tokens[None, :]  # (L, L): tokens[t] == tokens[i]
    earlier = torch.ones(L, L, dtype=torch.bool).tril(-1)  # i < t
    hit = same & earlier  # (t, i): an earlier occurrence i of tokens[t]
    targets = torch.zeros(L, L, dtype=torch.bool)
    targets[:, 1:] = hit[:, :-1]  # key j = i + 1
    return targets


def induction_score(weights: Tensor, tokens: Tensor) -> Tensor:
    """Mean weight on induction targets, over queries whose token occurred before.

    Args:
        weights: (..., L, L) causal attention maps on `tokens` (L,).
    Returns:
        (...,) scores in [0, 1]; 0 when no query has an earlier occurrence.
    """
    targets = induction_targets(tokens.cpu()).to(weights.device)  # (L, L)
    rows = targets.any(dim=-1)  # (L,) queries with a target
    if not rows.any():
        return weights.new_zeros(weights.shape[:-2])
    on_target = (weights * targets).sum(dim=-1)  # (..., L)
    return on_target[..., rows].mean(dim=-1)  # (...)
