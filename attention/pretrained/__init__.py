"""Real models, offline: the packaged encoder (all-MiniLM-L6-v2), its weights' analyses
(rollout, special tokens hidden, per-head statistics) and the page's views of them.

    from attention.pretrained import load_model
    run = load_model().attend("The cat sat on the mat.")   # run.weights (layers, H, L, L)

And the packaged GPT-style decoder (SmolLM2-135M), its generation and its heads' analyses:

    from attention.pretrained import load_decoder
    lm = load_decoder()
    lm.attention(lm.encode("Once upon a time"))            # (layers, H, L, L)
"""

from .analysis import attention_rollout, head_stats_frame, hide_special
from .decoder import DecoderModel, DecoderRun, load_decoder
from .decoder_analysis import Induction, induction, previous_token_scores, row_entropy, sink_share
from .decoder_cache import DecoderUnavailable
from .decoder_generate import Generation, generate
from .encoder import PretrainedModel, PretrainedRun, load_model

__all__ = ["DecoderModel", "DecoderRun", "DecoderUnavailable", "Generation", "Induction",
           "PretrainedModel", "PretrainedRun", "attention_rollout", "generate", "head_stats_frame",
           "hide_special", "induction", "load_decoder", "load_model", "previous_token_scores",
           "row_entropy", "sink_share"]
