"""Statistics of attention maps: entropy, local vs global heads, head similarity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


def entropy(weights: Tensor, dim: int = -1) -> Tensor:
    """Shannon entropy in nats, with 0 * log 0 = 0 (so masked keys and rows give no NaN).

    Args:
        weights: (..., Lk) probabilities along `dim`.
    Returns:
        (...) entropy of each distribution.
    """
    return -torch.special.xlogy(weights, weights).sum(dim=dim)


def max_entropy(mask: Tensor | None = None, L: int | None = None) -> Tensor:
    """The largest entropy each query row can reach: ln(number of keys it may attend).

    ln L without a mask (L queries over L keys); ln(i + 1) for row i under a causal mask;
    0 for a row with one key or none.

    Args:
        mask: bool (..., Lq, Lk), True = may attend; or None with L.
    Returns:
        (..., Lq) in nats.
    """
    if mask is None:
        if L is None:
            raise ValueError("max_entropy needs a mask or the number of rows L")
        return torch.full((L,), math.log(L) if L > 0 else 0.0)
    allowed = mask.sum(dim=-1).to(torch.float64)  # (..., Lq)
    return torch.where(allowed > 0, allowed.clamp(min=1).log(), 0.0).float()


def has_choice(row_max: Tensor) -> Tensor:
    """True for rows with at least two keys (ln n > 0): rows whose entropy says something.

    Args:
        row_max: (..., L) `max_entropy`, a tensor or a numpy array.
    """
    return row_max > 0  # ln 1 = 0 exactly; ln 2 = 0.69 is the next value


def normalized_entropy(row_entropy: Tensor, row_max: Tensor) -> Tensor:
    """Mean of entropy / maximum over the rows that have a choice (at least two keys).

    A row with one allowed key has entropy 0 and maximum 0: it is neither focused nor
    spread, so it is left out rather than counted as 0 %.

    Args:
        row_entropy: (..., L) nats; row_max: (..., L) ln(allowed keys).
    Returns:
        (...) in [0, 1]; 0 when no row has a choice.
    """
    choice = has_choice(row_max)
    share = torch.where(choice, row_entropy / torch.where(choice, row_max, 1.0), 0.0)
    n = choice.sum(-1)
    return torch.where(n > 0, share.sum(-1) / n.clamp(min=1), 0.0)


def head_similarity(weights: Tensor) -> Tensor:
    """How alike every pair of heads attends: 1 - mean JS divergence over query rows.

    Uses JSD(p, q) = H((p + q) / 2) - (H(p) + H(q)) / 2, so each head's own entropy is
    computed once and each pair costs one mixture, for the upper triangle only.

    Args:
        weights: (H, Lq, Lk) one map per head.
    Returns:
        (H, H) similarity in [0, 1], 1 on the diagonal, symmetric.
    """
    H = weights.shape[0]
    w = weights if weights.is_floating_point() else weights.float()
    plogp = torch.special.xlogy(w, w).sum(-1)  # (H, Lq): -H(p) per row
    sim = torch.eye(H, dtype=w.dtype)
    for a in range(H - 1):
        m = 0.5 * (w[a] + w[a + 1:])  # (H-a-1, Lq, Lk) mixtures with every later head
        mlogm = torch.special.xlogy(m, m).sum(-1)  # (H-a-1, Lq): -H(m)
        jsd = (0.5 * (plogp[a] + plogp[a + 1:]) - mlogm) / math.log(2)  # bits, (H-a-1, Lq)
        row = 1.0 - jsd.clamp(0.0, 1.0).mean(-1).cpu()  # (H-a-1,)
        sim[a, a + 1:] = row
        sim[a + 1:, a] = row
    return sim


@dataclass(frozen=True)
class HeadStatistics:
    """Per-head summaries that tell local from global heads; each (H,), averaged over queries."""

    entropy: Tensor  # mean row entropy, nats
    normalized_entropy: Tensor  # entropy / max entropy, over rows with >= 2 keys, in [0, 1]
    mean_distance: Tensor  # sum_j w_ij |i - j|, in positions
    previous_token: Tensor  # mean w_{i, i-1}
    first_token: Tensor  # mean w_{i, 0}: the "sink"
    self_score: Tensor  # mean w_{i, i}: the diagonal

    def labels(self) -> list[str]:
        """One word per head, where the numbers say so: previous-token, sink, local, global."""
        out = []
        for h in range(len(self.entropy)):
            if self.previous_token[h] >= 0.5:
                out.append("previous-token")
            elif self.first_token[h] >= 0.5:
                out.append("sink")
            elif self.self_score[h] >= 0.5:
                out.append("self")
            elif self.normalized_entropy[h] >= 0.8:
                out.append("global")
            elif self.normalized_entropy[h] <= 0.6 and self.mean_distance[h] <= 2.0:
                out.append("local")
            else:
                out.append("mixed")
        return out


def head_statistics(weights: Tensor, mask: Tensor | None = None) -> HeadStatistics:
    """Summaries of each head's map (Clark et al. 2019, "What does BERT look at?").

    Args:
        weights: (H, L, L) self-attention maps, rows summing to 1 (or 0 where masked).
        mask: bool (L, L) or (H, L, L), True = may attend, for the per-row maximum entropy.
    Returns:
        HeadStatistics with (H,) tensors.
    """
    if weights.dim() != 3 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights must be (H, L, L) self-attention maps, got {tuple(weights.shape)}")
    H, L, _ = weights.shape
    w = weights.float()
    pos = torch.arange(L, device=w.device)
    distance = (pos[:, None] - pos[None, :]).abs().float()  # (L, L) |i - j|
    row_entropy = entropy(w)  # (H, L)
    row_max = max_entropy(None if mask is None else mask.to(w.device), L=L)  # (L,) or (H, L)
    row_max = row_max.to(w.device).expand(H, L)  # (H, L)
    previous = torch.diagonal(w, offset=-1, dim1=-2, dim2=-1)  # (H, L-1): w[i, i-1]
    return HeadStatistics(
        entropy=row_entropy.mean(-1),
        normalized_entropy=normalized_entropy(row_entropy, row_max),
        mean_distance=(w * distance).sum(-1).mean(-1),
        previous_token=previous.mean(-1) if L > 1 else torch.zeros(H),
        first_token=w[..., 0].mean(-1),
        self_score=torch.diagonal(w, dim1=-2, dim2=-1).mean(-1),
    )
