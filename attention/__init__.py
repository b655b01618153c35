"""Attention Explorer's library: attention maths in torch, importable without Streamlit.

Names are imported on first use, so a process that only needs `attention.export_worker`
(a download being drawn in a worker process) never imports torch.
"""

from importlib import import_module

_WHERE = {
    "available_devices": "device", "resolve_device": "device",
    "AttentionResult": "functional", "causal_mask": "functional", "combine_masks": "functional",
    "padding_mask": "functional", "scaled_dot_product_attention": "functional",
    "MultiHeadAttention": "modules", "MultiHeadResult": "modules",
    "entropy": "stats", "head_similarity": "stats", "head_statistics": "stats",
    "max_entropy": "stats",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
