"""What a model's attention weights say, for any (layers, H, L, L) stack: attention
rollout, the maps with special tokens hidden, and per-head statistics as a frame.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor

from attention.core.rollout import attention_rollout
from attention.core.stats import head_statistics

STATS_COLUMNS = ["layer", "head", "entropy", "previous_token", "cls", "sep", "mean_distance",
                 "label"]
SEP_SHARE = 0.5  # the share of weight on [SEP] that earns a head the [SEP] label

# attention_rollout lives in attention.core (the lab uses it too); still offered here
__all__ = ["SEP_SHARE", "STATS_COLUMNS", "attention_rollout", "head_stats_frame", "hide_special"]


def hide_special(weights: Tensor, special: Tensor) -> Tensor:
    """Drop special-token rows and columns and renormalise each row over the tokens left.

    Args:
        weights: (..., L, L) attention weights.
        special: (L,) bool, True at positions to hide.
    Returns:
        (..., L', L') with L' = number of kept positions; a row with no mass left is all
        zeros, never NaN.
    """
    L = weights.shape[-1]
    if special.dtype != torch.bool or special.shape != (L,):
        raise ValueError(f"special must be a bool tensor of shape ({L},), got "
                         f"{special.dtype} {tuple(special.shape)}")
    keep = (~special).nonzero().flatten().to(weights.device)  # (L',)
    w = weights.index_select(-2, keep).index_select(-1, keep)  # (..., L', L')
    total = w.sum(dim=-1, keepdim=True)  # (..., L', 1)
    return torch.where(total > 0, w / total.clamp(min=torch.finfo(w.dtype).tiny), 0.0)


def head_stats_frame(weights: Tensor, sep: Tensor | None = None) -> pd.DataFrame:
    """One row per (layer, head) with the statistics of Clark et al. 2019 and a label.

    Columns: layer, head, entropy (nats, mean over rows), previous_token (mean w[i, i-1]),
    cls (mean w[i, 0]), sep (mean total weight on [SEP] positions), mean_distance
    (mean sum_j w[i, j] |i - j|), label: `HeadStatistics.labels` (previous-token, sink,
    self, global, local or mixed), or [SEP] for a head that puts at least SEP_SHARE of
    its weight on [SEP] and is neither previous-token nor sink.

    Args:
        weights: (layers, H, L, L) attention weights.
        sep: (L,) bool, True at [SEP] positions; None for no [SEP] column values (0).
    Returns:
        DataFrame with layers * H rows.
    """
    if weights.dim() != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights must be (layers, H, L, L), got {tuple(weights.shape)}")
    n_layers, H, L, _ = weights.shape
    sep = torch.zeros(L, dtype=torch.bool) if sep is None else sep.to(torch.bool).cpu()
    w = weights.float().cpu()
    sep_share = (w * sep).sum(dim=-1).mean(dim=-1)  # (layers, H, L, L) -> (layers, H)
    rows = []
    for layer in range(n_layers):
        s = head_statistics(w[layer])
        for head, label in enumerate(s.labels()):
            share = float(sep_share[layer, head])
            if share >= SEP_SHARE and label not in ("previous-token", "sink"):
                label = "[SEP]"
            rows.append((layer, head, float(s.entropy[head]), float(s.previous_token[head]),
                         float(s.first_token[head]), share, float(s.mean_distance[head]), label))
    return pd.DataFrame(rows, columns=STATS_COLUMNS)
