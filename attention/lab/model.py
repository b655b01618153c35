"""The lab's small causal transformer, built from attention.MultiHeadAttention.

Token and learned position embeddings, `layers` residual blocks (attention only by
default; LayerNorm and an MLP optional), and an unembedding to next-token logits.
Initialisation keeps the residual stream, and so q and k, at unit-order variance (the
seed's assumption behind 1/sqrt(d_k)); GPT-2's std-0.02 init is avoided on purpose, as it
has been reported to keep induction heads from forming.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attention.core.modules import MultiHeadAttention, MultiHeadResult


class Block(nn.Module):
    """x + attn(norm(x)) [+ mlp(norm(x))], causal self-attention."""

    def __init__(self, d_model: int, heads: int, scale: float | None, mlp: bool,
                 layernorm: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model) if layernorm else nn.Identity()
        self.attn = MultiHeadAttention(d_model, heads, scale=scale)
        self.mlp = None
        if mlp:
            self.norm2 = nn.LayerNorm(d_model) if layernorm else nn.Identity()
            self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(),
                                     nn.Linear(4 * d_model, d_model))

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, MultiHeadResult]:
        """x (B, L, d_model) -> new x and the attention's result (maps if need_weights)."""
        res = self.attn(self.norm1(x), need_weights=need_weights, is_causal=True)
        x = x + res.output  # (B, L, d_model)
        if self.mlp is not None:
            x = x + self.mlp(self.norm2(x))
        return x, res


class LabTransformer(nn.Module):
    """Next-token logits of a causal transformer; every head's map on request."""

    def __init__(self, vocab_size: int, max_len: int, d_model: int, heads: int, layers: int,
                 scaled: bool = True, mlp: bool = False, layernorm: bool = False):
        super().__init__()
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        scale = None if scaled else 1.0
        self.blocks = nn.ModuleList(Block(d_model, heads, scale, mlp, layernorm)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(d_model) if layernorm else nn.Identity()
        self.unembed = nn.Linear(d_model, vocab_size, bias=False)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Draw every parameter from `generator` alone (torch's global RNG is untouched).

        Embeddings N(0, 1) (token) and N(0, 1) (position): unit-order residual entries, so
        with Xavier W_Q, W_K the entries of q and k have unit-order variance at init.
        """
        d = self.embed.embedding_dim
        with torch.no_grad():
            self.embed.weight.normal_(0.0, 1.0, generator=generator)
            self.pos.weight.normal_(0.0, 1.0, generator=generator)
            for block in self.blocks:
                block.attn.reset_parameters(generator)
                if block.mlp is not None:
                    for layer in (block.mlp[0], block.mlp[2]):
                        bound = 1.0 / math.sqrt(layer.in_features)
                        layer.weight.uniform_(-bound, bound, generator=generator)
                        layer.bias.zero_()
            bound = 1.0 / math.sqrt(d)
            self.unembed.weight.uniform_(-bound, bound, generator=generator)
            for m in self.modules():  # LayerNorms: identity at init
                if isinstance(m, nn.LayerNorm):
                    m.reset_parameters()

    def features(self, tokens: Tensor, need_weights: bool = False) -> tuple[Tensor, list]:
        """tokens (B, L) long, L <= max_len -> final residual stream (B, L, d_model), normed,
        and the per-layer MultiHeadResult (weights (B, H, L, L) if need_weights, else None)."""
        B, L = tokens.shape
        x = self.embed(tokens) + self.pos.weight[:L]  # (B, L, d_model)
        results = []
        for block in self.blocks:
            x, res = block(x, need_weights)
            results.append(res)
        return self.norm(x), results

    def forward(self, tokens: Tensor, need_weights: bool = False) -> tuple[Tensor, list]:
        """tokens (B, L) -> next-token logits (B, L, vocab) and the per-layer results."""
        x, results = self.features(tokens, need_weights)
        return self.unembed(x), results
