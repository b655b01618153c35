"""What every loaded Hugging Face model here shares: the model in eval mode, its tokenizer,
where it runs, and the sizes of its attention read from its config."""

from __future__ import annotations

import torch
from torch import nn


class LoadedModel:
    """A transformers model and its tokenizer, with its attention's sizes.

    Args:
        model: a transformers model loaded with eager attention (weights on request).
        tokenizer: its tokenizer.
        name: a label for pages and reports.
        device: where the model runs; results come back on the CPU.
    """

    def __init__(self, model: nn.Module, tokenizer, name: str, device: torch.device):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = device
        config = model.config
        self.num_layers: int = config.num_hidden_layers
        self.num_heads: int = config.num_attention_heads
        self.d_model: int = config.hidden_size
        self.d_head: int = getattr(config, "head_dim", None) or self.d_model // self.num_heads
