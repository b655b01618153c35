"""Attention Explorer's library: attention maths in torch, importable without Streamlit."""

from .device import available_devices, resolve_device
from .functional import (AttentionResult, causal_mask, combine_masks, padding_mask,
                         scaled_dot_product_attention)
from .modules import AttentionConfig, MultiHeadAttention, MultiHeadResult
from .stats import entropy, head_similarity, head_statistics, max_entropy

__all__ = [
    "AttentionConfig", "AttentionResult", "MultiHeadAttention", "MultiHeadResult",
    "available_devices", "causal_mask", "combine_masks", "entropy", "head_similarity",
    "head_statistics", "max_entropy", "padding_mask", "resolve_device",
    "scaled_dot_product_attention",
]
