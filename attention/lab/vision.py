"""The lab's small vision transformer (Dosovitskiy et al. 2021), built from
attention.MultiHeadAttention: an 8x8 digit cut into square patches, each patch a token
(a linear embedding of its pixels plus a learned position), a class token in front,
pre-norm residual blocks without a mask, and a linear head on the class token.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attention.lab.config import TrainConfig
from attention.lab.digits import CLASSES, MAX_PIXEL, SIDE, patchify
from attention.lab.model import Block, SeededInit

MLP_RATIO = 2  # the MLP's hidden width over d_model


class VisionTransformer(SeededInit, nn.Module):
    """Class logits of a digit; every head's map on request. Token 0 is the class token,
    token 1 + i the i-th patch, row by row from the top left.

    Args:
        config: the run's frozen TrainConfig with task "digits" (patch, d_model, heads,
            layers, scaled, mlp, layernorm); kept as `model.config`.
    """

    def __init__(self, config: TrainConfig):
        super().__init__()
        if not config.vision:
            raise ValueError(f"a VisionTransformer needs an image task, got {config.task!r}")
        self.config = config
        d, p = config.d_model, config.patch
        self.patch_embed = nn.Linear(p * p, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(config.max_len, d))  # (n + 1, d)
        self.blocks = nn.ModuleList(Block(config, causal=False, mlp_ratio=MLP_RATIO)
                                    for _ in range(config.layers))
        self.norm = nn.LayerNorm(d) if config.layernorm else nn.Identity()
        self.head = nn.Linear(d, CLASSES)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Draw every parameter from `generator` alone: class token and positions N(0, 1)
        (unit-order residual entries, as the text model), linear layers uniform on
        +-1/sqrt(fan_in) with zero biases, attention Xavier, LayerNorms the identity."""
        with torch.no_grad():
            self.cls.normal_(0.0, 1.0, generator=generator)
            self.pos.normal_(0.0, 1.0, generator=generator)
            linears = [self.patch_embed, self.head]
            for block in self.blocks:
                block.attn.reset_parameters(generator)
                if block.mlp is not None:
                    linears += [block.mlp[0], block.mlp[2]]
            for layer in linears:
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.zero_()
            for m in self.modules():
                if isinstance(m, nn.LayerNorm):
                    m.reset_parameters()

    def tokens(self, images: Tensor) -> Tensor:
        """images (B, 8, 8), values 0-16 -> the input tokens (B, n + 1, d_model)."""
        B = images.shape[0]
        if images.shape[1:] != (SIDE, SIDE):
            raise ValueError(f"images must be (B, 8, 8), got {tuple(images.shape)}")
        patches = patchify(images / MAX_PIXEL, self.config.patch)  # (B, n, p*p) in [0, 1]
        x = self.patch_embed(patches)  # (B, n, d_model)
        x = torch.cat([self.cls.expand(B, 1, -1), x], dim=1)  # (B, n + 1, d_model)
        return x + self.pos  # (B, n + 1, d_model)

    def forward(self, images: Tensor, need_weights: bool = False) -> tuple[Tensor, list]:
        """images (B, 8, 8) -> class logits (B, 10) and the per-layer MultiHeadResult
        (weights (B, H, n + 1, n + 1) if need_weights, else None)."""
        x = self.tokens(images)  # (B, n + 1, d_model)
        results = []
        for block in self.blocks:
            x, res = block(x, need_weights)  # (B, n + 1, d_model)
            results.append(res)
        return self.head(self.norm(x[:, 0])), results  # (B, 10)
