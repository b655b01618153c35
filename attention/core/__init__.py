"""The tensor maths: scaled dot-product attention, masks, multi-head attention, entropy
and head statistics, attention rollout, the toy inputs, the device. Imports torch and
nothing else of ours."""

from .device import available_devices, resolve_device
from .functional import (
                         AttentionResult,
                         causal_mask,
                         combine_masks,
                         padding_mask,
                         scaled_dot_product_attention,
)
from .heads import attend_heads, head_logits
from .modules import MultiHeadAttention, MultiHeadResult
from .rollout import attention_rollout
from .stats import entropy, head_similarity, head_statistics, max_entropy

__all__ = [
    "AttentionResult", "MultiHeadAttention", "MultiHeadResult", "attend_heads",
    "attention_rollout", "available_devices", "causal_mask", "combine_masks", "entropy",
    "head_logits", "head_similarity", "head_statistics", "max_entropy", "padding_mask", "resolve_device",
    "scaled_dot_product_attention",
]
