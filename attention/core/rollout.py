"""Attention rollout (Abnar & Zuidema 2020): attention composed over layers."""

from __future__ import annotations

import torch
from torch import Tensor


def attention_rollout(weights: Tensor) -> Tensor:
    """Attention rollout (Abnar & Zuidema 2020): how much each input token flows to each position.

    Per layer the heads are averaged, the residual path added as 0.5 A + 0.5 I, rows
    renormalised, and the layers multiplied from the first up: R = A_n ... A_2 A_1.

    Args:
        weights: (layers, H, L, L) attention weights.
    Returns:
        (L, L) rollout; row i is position i's mix of input tokens and sums to 1.
    """
    if weights.dim() != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights must be (layers, H, L, L), got {tuple(weights.shape)}")
    n_layers, _, L, _ = weights.shape
    A = weights.float().mean(dim=1)  # (layers, L, L)
    eye = torch.eye(L, dtype=A.dtype, device=A.device)  # (L, L)
    A = 0.5 * A + 0.5 * eye  # the residual connection
    A = A / A.sum(dim=-1, keepdim=True).clamp(min=1e-12)  # rows sum to 1
    rollout = eye
    for layer in range(n_layers):
        rollout = A[layer] @ rollout  # (L, L) x (L, L) -> (L, L)
    return rollout.to(weights.dtype)
