"""Attention of already-projected heads, the fast way.

`attend_heads` gives, head by head, the weights and output of the readable
`scaled_dot_product_attention(q, k, v, mask, scale)` (tests/test_modules_parity.py holds
it to that): the same masks, zero weights on a row with no key, finite answers when the
logits overflow. It is faster because it reuses one logits buffer for the softmax (as
torch's own multi-head attention does) and, when no map is wanted, runs torch's fused
kernel, which never materialises the weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from attention.core.functional import (
    causal_mask,
    check_mask,
    combine_masks,
    empty_rows,
    finite_softmax_weights,
    overflowed,
    softmax_weights,
)


def head_logits(q: Tensor, k: Tensor, scale: float) -> Tensor:
    """q k^T * scale for a stack of heads.

    Args:
        q: (N, Lq, d_head); k: (N, Lk, d_head), N = batch x heads.
    Returns:
        (N, Lq, Lk) logits.
    """
    N, Lq, d_head = q.shape
    # beta=0: baddbmm_ ignores the buffer's (uninitialised) contents; alpha applies the scale
    # inside the matmul, so there is no scaled copy of q and no extra pass over the logits.
    logits = q.new_empty(N, Lq, k.shape[1])
    # (N, Lq, d) x (N, d, Lk) -> (N, Lq, Lk)
    return logits.baddbmm_(q, k.transpose(1, 2), beta=0.0, alpha=scale)


def attend_heads(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, scale: float,
                 need_weights: bool = True,
                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """softmax(q k^T * scale, masked) v for every head at once.

    Args:
        q: (..., H, Lq, d_head); k, v: (..., H, Lk, d_head), the same leading dimensions.
        mask: bool, True = may attend, broadcastable to (..., Lq, Lk): every head.
        scale: multiplier of q k^T.
        need_weights: False runs torch's fused kernel where it gives the same answer,
            and returns no weights.
        is_causal: also apply causal_mask(Lq, Lk) (query i sees keys 0..i).
    Returns:
        heads (..., H, Lq, d_head) and weights (..., H, Lq, Lk), or None without
        need_weights.
    """
    *batch, H, Lq, d_head = q.shape
    Lk = k.shape[-2]
    if mask is not None:
        check_mask(mask, (*batch, Lq, Lk))
        mask = mask.to(q.device)
    plain_causal = is_causal and mask is None
    if is_causal and (need_weights or not plain_causal):
        mask = combine_masks(mask, causal_mask(Lq, Lk, device=q.device))
    if not need_weights and Lq and Lk:
        heads = _fused_heads(q, k, v, mask, scale, plain_causal)
        if heads is not None:
            return heads, None
    if plain_causal and mask is None:
        mask = causal_mask(Lq, Lk, device=q.device)
    return _weights_path(q, k, v, mask, scale)


def _fused_heads(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, scale: float,
                 plain_causal: bool) -> Tensor | None:
    """(..., H, Lq, d_v) heads from torch's fused SDPA, or None where its answer would
    differ from the weights path (a row with no key, overflowed logits)."""
    if plain_causal:  # SDPA's is_causal is causal_mask(Lq, Lk): top-left aligned
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    elif mask is not None and bool(empty_rows(mask).any()):
        return None  # rows with no key: the weights path gives them zero weights
    else:
        attn_mask = None if mask is None else mask.unsqueeze(-3)  # (..., 1, Lq, Lk)
        heads = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=scale)
    return None if overflowed(heads, v) else heads


def _weights_path(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None,
                  scale: float) -> tuple[Tensor, Tensor]:
    """Every head's map materialised: logits, softmax, weights @ v."""
    *batch, H, Lq, d_head = q.shape
    Lk, d_v = v.shape[-2:]
    if mask is not None:
        mask = mask.unsqueeze(-3)  # (..., 1, Lq, Lk): every head
    # bmm takes one batch dimension: (..., H, L, d) -> (N, L, d), N = ... x H; views when
    # the heads are contiguous, as MultiHeadAttention.project makes them.
    N = math.prod(batch) * H
    q3, k3, v3 = q.reshape(N, Lq, d_head), k.reshape(N, Lk, d_head), v.reshape(N, Lk, d_v)
    logits = head_logits(q3, k3, scale).view(*batch, H, Lq, Lk)  # (..., H, Lq, Lk)
    if mask is not None:
        logits = logits.masked_fill_(~mask, float("-inf"))
    # The softmax overwrites the logits (as torch does): one (..., H, Lq, Lk) buffer.
    weights = softmax_weights(logits, mask, out=None if logits.requires_grad else logits)
    heads = torch.bmm(weights.view(N, Lq, Lk), v3)  # (N, Lq, Lk) x (N, Lk, d_v) -> (N, Lq, d_v)
    if overflowed(heads, v3):  # the logits were overwritten: compute them again
        logits = head_logits(q3, k3, scale).view(*batch, H, Lq, Lk)
        weights = finite_softmax_weights(logits, mask)  # clamps, then masks
        heads = torch.bmm(weights.view(N, Lq, Lk), v3)
    return heads.view(*batch, H, Lq, d_v), weights
