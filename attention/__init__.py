"""Attention Explorer's library: attention maths in torch, importable without Streamlit.

    core/        tensor maths: SDPA, masks, MultiHeadAttention, entropy, head statistics
    charts/      numpy arrays and frames -> Altair specs and image maps (no torch)
    export/      PNG, SVG, CSV, NPY off the server's lock (no torch)
    toy/         the toy pages' views: random or designed heads
    pretrained/  real models and their analyses
    lab/         training: config, model, tasks, loop, storage, shipped runs
    dashboard/   the Streamlit side (the only part that imports streamlit)

The core's main names are offered here and imported on first use, so a process that
only needs `attention.export.worker` (a download drawn in a worker process) never
imports torch.
"""

from importlib import import_module

_CORE = (
    "AttentionResult", "MultiHeadAttention", "MultiHeadResult", "available_devices",
    "causal_mask", "combine_masks", "entropy", "head_similarity", "head_statistics",
    "max_entropy", "padding_mask", "resolve_device", "scaled_dot_product_attention",
)
__all__ = sorted(_CORE)


def __getattr__(name: str):
    if name in _CORE:
        value = getattr(import_module(".core", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
