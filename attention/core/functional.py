"""Scaled dot-product attention and attention masks, in plain torch.

Every stage a learner wants to see comes back from one call: the raw scores q @ k^T,
the logits (scaled, tempered and masked), the softmax weights and the output.
Masks are boolean with True = may attend, the meaning of torch's own SDPA `attn_mask`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class AttentionResult:
    """Every stage of one scaled dot-product attention call."""

    scores: Tensor  # (..., Lq, Lk) raw q @ k^T
    logits: Tensor  # (..., Lq, Lk) scores * scale / temperature, -inf where masked
    weights: Tensor  # (..., Lq, Lk) softmax over keys; all zeros on a row with no key
    output: Tensor  # (..., Lq, d_v) weights @ v


def causal_mask(L: int, S: int | None = None, device: torch.device | str | None = None) -> Tensor:
    """Lower-triangular mask: query i may attend to keys 0..i.

    Args:
        L: number of queries.
        S: number of keys (defaults to L).
    Returns:
        (L, S) bool tensor, True = may attend.
    """
    S = L if S is None else S
    if L < 0 or S < 0:
        raise ValueError(f"causal_mask: L and S must be >= 0, got L={L}, S={S}")
    return torch.ones(L, S, dtype=torch.bool, device=device).tril()


def padding_mask(lengths: Tensor | list[int], S: int | None = None,
                 device: torch.device | str | None = None) -> Tensor:
    """Key mask for a batch of sequences padded to a common length.

    Args:
        lengths: (B,) number of real tokens in each sequence.
        S: padded length (defaults to the largest length).
    Returns:
        (B, 1, S) bool tensor, True where the key is a real token; it broadcasts
        against (B, Lq, S) attention logits.
    """
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.dim() != 1:
        raise ValueError(f"padding_mask: lengths must be 1-D, got shape {tuple(lengths.shape)}")
    if lengths.is_floating_point() or (lengths < 0).any():
        raise ValueError("padding_mask: lengths must be non-negative integers")
    S = int(lengths.max()) if S is None and len(lengths) else (S or 0)
    if len(lengths) and int(lengths.max()) > S:
        raise ValueError(f"padding_mask: a length exceeds S={S}")
    positions = torch.arange(S, device=lengths.device)  # (S,)
    return (positions < lengths[:, None])[:, None, :]  # (B, 1, S)


def combine_masks(*masks: Tensor | None) -> Tensor | None:
    """Logical AND of boolean masks (broadcasting); None entries are skipped."""
    present = [m for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


def check_mask(mask: Tensor, shape: torch.Size | tuple[int, ...]) -> None:
    """Raise ValueError unless `mask` is a bool tensor broadcastable to `shape`."""
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend), "
                         f"got {getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        torch.broadcast_shapes(mask.shape, shape)
    except RuntimeError:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to "
                         f"the attention shape {tuple(shape)}") from None
    if torch.broadcast_shapes(mask.shape, shape) != torch.Size(shape):
        raise ValueError(f"mask of shape {tuple(mask.shape)} would enlarge the attention "
                         f"shape {tuple(shape)}")


def softmax_weights(logits: Tensor, mask: Tensor | None, out: Tensor | None = None) -> Tensor:
    """Softmax over keys; a row whose mask allows no key gets all-zero weights.

    Args:
        logits: (..., Lq, Lk), -inf where masked.
        mask: bool, broadcastable to logits, or None.
        out: where to write the weights; `out=logits` reuses the logits' buffer (what
            torch's own multi-head attention does), saving an (..., Lq, Lk) allocation.
    Returns:
        weights (..., Lq, Lk).
    """
    if out is None:
        weights = torch.softmax(logits, dim=-1)  # (..., Lq, Lk)
    else:
        weights = torch.softmax(logits, dim=-1, out=out)  # (..., Lq, Lk)
    if mask is not None:
        no_key = empty_rows(mask)  # (..., Lq or 1, 1)
        if no_key.any():
            weights = weights.masked_fill_(no_key, 0.0)
    return weights


def empty_rows(mask: Tensor) -> Tensor:
    """(..., Lq, 1) True where a query may attend no key: softmax would give NaN there."""
    return ~mask.any(dim=-1, keepdim=True)


def overflowed(output: Tensor, v: Tensor) -> bool:
    """True when `output` (weights @ v) is not finite although `v` is: logits overflowed
    (inf - inf in the softmax gives NaN rows). One cheap reduction in the usual case."""
    return not all_finite(output) and all_finite(v)


def finite_softmax_weights(logits: Tensor, mask: Tensor | None) -> Tensor:
    """softmax_weights of logits that overflowed: +-inf and NaN are first clamped to the
    dtype's finite range, so the largest logits share the weight instead of giving NaN."""
    finite = torch.finfo(logits.dtype)
    safe = logits.nan_to_num(nan=0.0, posinf=finite.max, neginf=finite.min)  # (..., Lq, Lk)
    if mask is not None:
        safe = safe.masked_fill_(~mask, float("-inf"))
    return softmax_weights(safe, mask, out=None if safe.requires_grad else safe)


def all_finite(t: Tensor) -> bool:
    """True when `t` holds no inf or NaN; one cheap reduction in the usual case."""
    return math.isfinite(t.sum().item()) or bool(torch.isfinite(t).all())


def softmax_and_output(logits: Tensor, v: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """Softmax over keys and the weighted sum of values, never NaN.

    A row whose mask allows no key gets all-zero weights (and so a zero output);
    logits that overflowed to +-inf or NaN are clamped to the dtype's finite range.

    Args:
        logits: (..., Lq, Lk), -inf where masked; left unchanged.
        v: (..., Lk, d_v).
        mask: bool, broadcastable to logits, or None.
    Returns:
        weights (..., Lq, Lk) and output (..., Lq, d_v).
    """
    weights = softmax_weights(logits, mask)  # (..., Lq, Lk)
    output = weights @ v  # (..., Lq, Lk) x (..., Lk, d_v) -> (..., Lq, d_v)
    if overflowed(output, v):
        weights = finite_softmax_weights(logits, mask)
        output = weights @ v
    return weights, output


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None,
                                 scale: float | None = None,
                                 temperature: float = 1.0) -> AttentionResult:
    """softmax(q k^T * scale / temperature, masked) v, with every stage returned.

    Args:
        q: (..., Lq, d_k) queries.
        k: (..., Lk, d_k) keys.
        v: (..., Lk, d_v) values.
        mask: bool, True = may attend, broadcastable to (..., Lq, Lk).
        scale: multiplier of the scores; defaults to 1 / sqrt(d_k).
        temperature: divides the logits; > 1 flattens, < 1 sharpens the softmax.
    Returns:
        AttentionResult with scores, logits, weights (..., Lq, Lk) and output (..., Lq, d_v).
    """
    check_qkv(q, k, v)
    d_k = q.shape[-1]
    scale = 1.0 / math.sqrt(d_k) if scale is None else scale
    if not isinstance(scale, (int, float)) or not math.isfinite(scale):
        raise ValueError(f"scale must be a finite number, got {scale!r}")
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) \
            or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    shape = (*torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), q.shape[-2], k.shape[-2])
    if mask is not None:
        check_mask(mask, shape)
        mask = mask.to(q.device)

    scores = q @ k.transpose(-2, -1)  # (..., Lq, d_k) x (..., d_k, Lk) -> (..., Lq, Lk)
    factor = scale / temperature
    if not math.isfinite(factor):  # a tiny temperature: stay finite, keep the ordering
        factor = torch.finfo(scores.dtype).max
    logits = scores * factor  # (..., Lq, Lk)
    if mask is not None:
        logits = logits.masked_fill_(~mask, float("-inf"))  # logits is a fresh tensor
    weights, output = softmax_and_output(logits, v, mask)
    return AttentionResult(scores=scores, logits=logits, weights=weights, output=output)


def check_qkv(q: Tensor, k: Tensor, v: Tensor) -> None:
    """Raise ValueError naming the argument when q, k, v cannot be attended."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"{name} must have shape (..., L, d), got {tuple(t.shape)}")
        if not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got {t.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share their last dimension d_k, got "
                         f"q {tuple(q.shape)} and k {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of keys, got "
                         f"k {tuple(k.shape)} and v {tuple(v.shape)}")
    if q.shape[-1] == 0:
        raise ValueError("q and k must have d_k >= 1")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the batch dimensions of q {tuple(q.shape)}, k {tuple(k.shape)} "
                         f"and v {tuple(v.shape)} do not broadcast") from None
    if not (q.dtype == k.dtype == v.dtype):
        raise ValueError(f"q, k, v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if not (q.device == k.device == v.device):
        raise ValueError(f"q, k, v must be on one device, got {q.device}, {k.device}, {v.device}")
