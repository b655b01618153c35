"""Real models, offline: the packaged encoder (all-MiniLM-L6-v2), its weights' analyses
(rollout, special tokens hidden, per-head statistics) and the page's views of them.

    from attention.pretrained import load_model
    run = load_model().attend("The cat sat on the mat.")   # run.weights (layers, H, L, L)
"""

from .analysis import attention_rollout, head_stats_frame, hide_special
from .encoder import PretrainedModel, PretrainedRun, load_model

__all__ = ["PretrainedModel", "PretrainedRun", "attention_rollout", "head_stats_frame",
           "hide_special", "load_model"]
