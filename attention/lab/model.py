"""The lab's small causal transformer, built from attention.MultiHeadAttention.

Token and learned position embeddings, `layers` residual blocks (attention only by
default; LayerNorm and an MLP optional), and an unembedding to next-token logits.
Initialisation keeps the residual stream, and so q and k, at unit-order variance: the
1/sqrt(d_k) scale assumes entries of q and k with unit variance, so that q . k has
variance d_k. GPT-2's std-0.02 init is avoided on purpose, as it has been reported to
keep induction heads from forming.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attention.core.modules import MultiHeadAttention, MultiHeadResult
from attention.lab.config import TrainConfig

INIT_SEED_OFFSET = 1_000_003  # the init's generator: config.seed + this (data uses the seed)


class SeededInit:
    """`Model.from_config(config)`: the model on the CPU, its weights drawn from the config's
    seed alone by the model's `reset_parameters(generator)` (torch's global generator is
    left as it was). The lab's text and vision models both build this way."""

    @classmethod
    def from_config(cls, config: TrainConfig):
        # The default init's draws are overwritten below; fork_rng restores the global
        # generator. (Building on the meta device instead imports torch._dynamo: seconds.)
        with torch.random.fork_rng(devices=[]):
            model = cls(config)
        model.reset_parameters(torch.Generator().manual_seed(config.seed + INIT_SEED_OFFSET))
        return model


class Block(nn.Module):
    """One residual block, sequential: x = x + attn(norm1(x)); then, with an MLP,
    x = x + mlp(norm2(x)). The lab's text and vision models both stack it.

    Args:
        config: the model's TrainConfig (d_model, heads, scaled, mlp, layernorm).
        causal: each position attends to itself and the positions before it (text); else
            every token sees every token (image patches).
        mlp_ratio: the MLP's hidden width over d_model.
    """

    def __init__(self, config: TrainConfig, *, causal: bool = True, mlp_ratio: int = 4):
        super().__init__()
        d_model = config.d_model
        self.causal = causal
        self.norm1 = nn.LayerNorm(d_model) if config.layernorm else nn.Identity()
        self.attn = MultiHeadAttention(d_model, config.heads,
                                       scale=None if config.scaled else 1.0)
        self.mlp = None
        if config.mlp:
            self.norm2 = nn.LayerNorm(d_model) if config.layernorm else nn.Identity()
            self.mlp = nn.Sequential(nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(),
                                     nn.Linear(mlp_ratio * d_model, d_model))

    def forward(self, x: Tensor, need_weights: bool = False,
                knockout: tuple[int, ...] = ()) -> tuple[Tensor, MultiHeadResult]:
        """x (B, L, d_model) -> new x and the attention's result (maps if need_weights).

        Args:
            knockout: heads whose output is zeroed before W_O (an ablation); the result
                keeps every head's maps as computed.
        """
        res = self.attn(self.norm1(x), need_weights=need_weights, is_causal=self.causal)
        out = res.output  # (B, L, d_model)
        if knockout:
            W_O = self.attn.out_proj.weight  # (d_model, H * d_head)
            d_head = res.heads.shape[-1]
            for h in knockout:  # remove head h's share of W_O @ concat
                cols = W_O[:, h * d_head:(h + 1) * d_head]  # (d_model, d_head)
                out = out - res.heads[..., h, :, :] @ cols.T  # (B, L, d_head) x (d_head, d_model)
        x = x + out  # (B, L, d_model)
        if self.mlp is not None:
            x = x + self.mlp(self.norm2(x))  # (B, L, d_model)
        return x, res


class LabTransformer(SeededInit, nn.Module):
    """Next-token logits of a causal transformer; every head's map on request.

    Args:
        config: the run's frozen TrainConfig (vocab_size, max_len, d_model, heads, layers,
            scaled, mlp, layernorm); kept as `model.config`.
    """

    def __init__(self, config: TrainConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.pos = nn.Embedding(config.max_len, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.d_model) if config.layernorm else nn.Identity()
        self.unembed = nn.Linear(config.d_model, config.vocab_size, bias=False)

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

    def features(self, tokens: Tensor, need_weights: bool = False,
                 knockout: frozenset[tuple[int, int]] = frozenset()) -> tuple[Tensor, list]:
        """tokens (B, L) long, L <= max_len -> final residual stream (B, L, d_model), normed,
        and the per-layer MultiHeadResult (weights (B, H, L, L) if need_weights, else None).

        Args:
            knockout: (layer, head) pairs whose output is zeroed (an ablation).
        """
        B, L = tokens.shape
        x = self.embed(tokens) + self.pos.weight[:L]  # (B, L, d_model)
        results = []
        for i, block in enumerate(self.blocks):
            off = tuple(sorted(h for layer, h in knockout if layer == i))
            x, res = block(x, need_weights, knockout=off)  # (B, L, d_model)
            results.append(res)
        return self.norm(x), results

    def forward(self, tokens: Tensor, need_weights: bool = False,
                knockout: frozenset[tuple[int, int]] = frozenset()) -> tuple[Tensor, list]:
        """tokens (B, L) -> next-token logits (B, L, vocab) and the per-layer results."""
        x, results = self.features(tokens, need_weights, knockout)  # (B, L, d_model)
        return self.unembed(x), results
