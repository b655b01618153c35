"""Multi-head attention as an nn.Module, with every head's map kept for viewing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attention.core.heads import attend_heads


def check_heads(d_model: int, num_heads: int) -> None:
    """Raise ValueError unless d_model splits evenly into num_heads positive heads."""
    if not isinstance(d_model, int) or d_model < 1:
        raise ValueError(f"d_model must be a positive integer, got {d_model!r}")
    if not isinstance(num_heads, int) or num_heads < 1:
        raise ValueError(f"num_heads must be a positive integer, got {num_heads!r}")
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")


@dataclass(frozen=True)
class MultiHeadResult:
    """What one multi-head attention call computed, head by head."""

    output: Tensor  # (..., Lq, d_model) after W_O
    weights: Tensor | None  # (..., H, Lq, Lk) one map per head; None if need_weights=False
    q: Tensor  # (..., H, Lq, d_head) projected queries
    k: Tensor  # (..., H, Lk, d_head) projected keys
    v: Tensor  # (..., H, Lk, d_head) projected values
    heads: Tensor  # (..., H, Lq, d_head) each head's output, before concatenation and W_O

    @property
    def concat(self) -> Tensor:
        """(..., Lq, H * d_head) the heads side by side, the input of W_O."""
        *batch, H, Lq, d_head = self.heads.shape
        return self.heads.transpose(-3, -2).reshape(*batch, Lq, H * d_head)


class MultiHeadAttention(nn.Module):
    """Multi-head attention (Vaswani et al. 2017) returning per-head weights.

    Parameters use the layout of `torch.nn.MultiheadAttention`: a packed
    `in_proj_weight` (3 * d_model, d_model) holding W_Q, W_K, W_V as rows, and an
    `out_proj` Linear holding W_O. Inputs are batch-first: (..., L, d_model). Each head
    gives what `scaled_dot_product_attention` gives on its q, k, v (see `forward`).

    Args:
        d_model: model width.
        num_heads: number of heads H; d_model must be divisible by H.
        bias: add biases to the four projections.
        scale: multiplier of q k^T; None = 1 / sqrt(d_head), 1.0 = unscaled.
    """

    def __init__(self, d_model: int, num_heads: int, bias: bool = True,
                 device: torch.device | str | None = None, dtype: torch.dtype | None = None,
                 scale: float | None = None):
        super().__init__()
        check_heads(d_model, num_heads)
        self.d_model, self.num_heads = d_model, num_heads
        self.d_head = d_model // num_heads
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                                  or not math.isfinite(scale) or scale <= 0):
            raise ValueError(f"scale must be a finite number > 0 or None, got {scale!r}")
        self.scale = 1.0 / math.sqrt(self.d_head) if scale is None else float(scale)
        factory = {"device": device, "dtype": dtype}
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model, **factory))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * d_model, **factory)) if bias else None
        self.out_proj = nn.Linear(d_model, d_model, bias=bias, **factory)
        self.reset_parameters()

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a torch `nn.MultiheadAttention` (same q, k, v width)."""
        if not mha._qkv_same_embed_dim:
            raise ValueError("from_torch needs an nn.MultiheadAttention with kdim = vdim = embed_dim")
        if mha.bias_k is not None or mha.add_zero_attn:
            raise ValueError("from_torch does not support add_bias_kv or add_zero_attn")
        ref = mha.in_proj_weight
        ours = cls(mha.embed_dim, mha.num_heads, bias=mha.in_proj_bias is not None,
                   device=ref.device, dtype=ref.dtype)
        with torch.no_grad():
            ours.in_proj_weight.copy_(mha.in_proj_weight)
            ours.out_proj.weight.copy_(mha.out_proj.weight)
            if ours.in_proj_bias is not None:
                ours.in_proj_bias.copy_(mha.in_proj_bias)
                ours.out_proj.bias.copy_(mha.out_proj.bias)
        return ours

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Xavier-uniform projections and zero biases, as torch's MultiheadAttention;
        `generator` makes the draw independent of torch's global random state."""
        nn.init.xavier_uniform_(self.in_proj_weight, generator=generator)
        nn.init.xavier_uniform_(self.out_proj.weight, generator=generator)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    @property
    def W_Q(self) -> Tensor:
        """(d_model, d_model) query projection (rows = output features)."""
        return self.in_proj_weight[: self.d_model]

    @property
    def W_K(self) -> Tensor:
        return self.in_proj_weight[self.d_model: 2 * self.d_model]

    @property
    def W_V(self) -> Tensor:
        return self.in_proj_weight[2 * self.d_model:]

    @property
    def W_O(self) -> Tensor:
        return self.out_proj.weight

    def split_heads(self, x: Tensor) -> Tensor:
        """(..., L, d_model) -> (..., H, L, d_head), contiguous."""
        *batch, L, _ = x.shape
        return x.view(*batch, L, self.num_heads, self.d_head).transpose(-3, -2).contiguous()

    def project(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                contiguous: bool = True) -> tuple[Tensor, Tensor, Tensor]:
        """Apply W_Q, W_K, W_V and split into heads.

        Args:
            query: (..., Lq, d_model); key, value: (..., Lk, d_model), default = query.
            contiguous: copy self-attention's heads into contiguous memory (what the
                batched matmuls of the weights path want); False returns strided views,
                which torch's fused kernel reads as they are.
        Returns:
            q (..., H, Lq, d_head), k and v (..., H, Lk, d_head).
        """
        key = query if key is None else key
        value = key if value is None else value
        w, b = self.in_proj_weight, self.in_proj_bias
        self._check_input(query, "query", w)
        if key is not query:
            self._check_input(key, "key", w)
        if value is not key:
            self._check_input(value, "value", w)
            if key.shape[-2] != value.shape[-2]:
                raise ValueError(f"key and value must have the same length, got "
                                 f"{tuple(key.shape)} and {tuple(value.shape)}")
        if query is key and key is value:
            # Self-attention: one packed matmul and one copy into contiguous heads, as torch
            # does (contiguous heads make the batched matmuls cheaper).
            *batch, L, _ = query.shape
            n = len(batch)
            qkv = F.linear(query, w, b)  # (..., L, 3 * d_model)
            qkv = qkv.view(*batch, L, 3, self.num_heads, self.d_head)  # (..., L, 3, H, d_head)
            qkv = qkv.permute(n + 1, *range(n), n + 2, n, n + 3)  # (3, ..., H, L, d_head)
            return (qkv.contiguous() if contiguous else qkv).unbind(0)  # one copy, or none
        w_q, w_k, w_v = w.chunk(3)
        b_q, b_k, b_v = b.chunk(3) if b is not None else (None, None, None)
        q, k, v = F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)
        return self.split_heads(q), self.split_heads(k), self.split_heads(v)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> MultiHeadResult:
        """Attention of already-projected heads, then concatenation and W_O.

        Args:
            q: (..., H, Lq, d_head); k, v: (..., H, Lk, d_head); contiguous is fastest.
            mask: bool, True = may attend, broadcastable to (..., Lq, Lk); the same
                mask applies to every head.
        Returns:
            MultiHeadResult.
        """
        lead = q.shape[:-2]  # (..., H)
        if lead != k.shape[:-2] or lead != v.shape[:-2]:  # broadcast them, as matmul would
            lead = torch.broadcast_shapes(lead, k.shape[:-2], v.shape[:-2])
            q, k, v = (t.expand(*lead, *t.shape[-2:]) for t in (q, k, v))
        return self._result(q, k, v, *attend_heads(q, k, v, mask, self.scale))

    def _result(self, q: Tensor, k: Tensor, v: Tensor, heads: Tensor,
                weights: Tensor | None) -> MultiHeadResult:
        """Concatenate the heads (..., H, Lq, d_v) and apply W_O."""
        *batch, H, Lq, d_v = heads.shape
        concat = heads.transpose(-3, -2).reshape(*batch, Lq, H * d_v)  # (..., Lq, d_model)
        out_proj = self.out_proj
        output = F.linear(concat, out_proj.weight, out_proj.bias)  # (..., Lq, d_model)
        return MultiHeadResult(output=output, weights=weights, q=q, k=k, v=v, heads=heads)

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                mask: Tensor | None = None, *, need_weights: bool = True,
                is_causal: bool = False) -> MultiHeadResult:
        """Multi-head attention; self-attention when key and value are omitted.

        Each head's weights and output are those of `scaled_dot_product_attention` on its
        q, k, v with `mask` (and `causal_mask` when is_causal), the need_weights=False path
        included: `attention.core.heads` computes them faster, to the same numbers.

        Args:
            query: (..., Lq, d_model) or unbatched (Lq, d_model).
            key, value: (..., Lk, d_model); default = query.
            mask: bool, True = may attend, broadcastable to (..., Lq, Lk).
            need_weights: False skips the maps (result.weights is None): torch's fused
                kernel, the fast path for training.
            is_causal: also apply causal_mask(Lq, Lk).
        Returns:
            MultiHeadResult: output (..., Lq, d_model), weights (..., H, Lq, Lk) or None.
        """
        q, k, v = self.project(query, key, value, contiguous=need_weights)  # (..., H, L, d)
        heads, weights = attend_heads(q, k, v, mask, self.scale, need_weights, is_causal)
        return self._result(q, k, v, heads, weights)

    def _check_input(self, x: Tensor, name: str, weight: Tensor) -> None:
        if not isinstance(x, Tensor) or x.dim() < 2:
            raise ValueError(f"{name} must be a tensor of shape (..., L, d_model), "
                             f"got {getattr(x, 'shape', type(x).__name__)}")
        if x.shape[-1] != self.d_model:
            raise ValueError(f"{name} has width {x.shape[-1]}, expected d_model={self.d_model}")
        if x.dtype != weight.dtype:
            raise ValueError(f"{name} has dtype {x.dtype}, the layer has {weight.dtype}")

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, num_heads={self.num_heads}, d_head={self.d_head}"
