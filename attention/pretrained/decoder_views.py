"""What the GPT-style page shows, as numpy arrays and frames (cache-friendly, no Streamlit).

    lm = load_decoder()
    g = generation_view(lm, "Once upon a time", new_tokens=12)   # rows per step, top-5
    top_frame(g, step=3)                                         # the 5 candidates after step 3
    d = decoder_head_detail(lm, lm.run(ids), layer=18, head=6)   # q, k after RoPE -> weights
    ind = induction_view(lm, length=40, batch=4, seed=0)         # 30 x 9 scores, loss per copy
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from attention.core.functional import causal_mask, scaled_dot_product_attention
from attention.pretrained import decoder_analysis as da
from attention.pretrained.decoder import DecoderModel, DecoderRun
from attention.pretrained.decoder_generate import generate


@dataclass(frozen=True)
class GenerationView:
    """A generation as numpy: the maps, the top-5 per step, the row check."""

    tokens: list[str]
    prompt_length: int  # P
    weights: np.ndarray  # (layers, H, T, T), row i computed when token i was fed
    top_tokens: list[list[str]]  # (N + 1) x 5: the likeliest next tokens after step s
    top_probs: np.ndarray  # (N + 1, 5)
    picked_prob: np.ndarray  # (N,)
    row_drift: float  # max |row at its step - row from one full pass|
    seconds: float
    sample: bool
    temperature: float
    stopped_at_eos: bool

    @property
    def new_tokens(self) -> int:
        return len(self.tokens) - self.prompt_length


def generation_view(lm: DecoderModel, prompt: str, new_tokens: int, *, max_prompt_tokens: int,
                    temperature: float = 1.0, seed: int = 0, sample: bool = False) -> GenerationView:
    """Encode `prompt` (cut to `max_prompt_tokens`), generate, and convert to numpy.

    Raises:
        ValueError: empty prompt or bad arguments.
    """
    ids = lm.encode(prompt, max_tokens=max_prompt_tokens)  # (P,)
    g = generate(lm, ids, int(new_tokens), temperature=float(temperature), seed=int(seed),
                 sample=bool(sample))
    return GenerationView(
        tokens=g.tokens, prompt_length=g.prompt_length, weights=g.weights.numpy(),
        top_tokens=[lm.tokens(row) for row in g.top_ids], top_probs=g.top_probs.numpy(),
        picked_prob=g.picked_prob.numpy(), row_drift=g.row_drift, seconds=g.seconds,
        sample=g.sample, temperature=g.temperature, stopped_at_eos=g.stopped_at_eos)


def top_frame(g: GenerationView, step: int) -> pd.DataFrame:
    """The 5 likeliest next tokens after the prompt and `step` new tokens, and which came.

    Columns: rank, token, probability, picked (the token the generation took next).
    """
    step = min(max(int(step), 0), g.new_tokens)
    nxt = g.tokens[g.prompt_length + step] if step < g.new_tokens else None
    toks = g.top_tokens[step]
    return pd.DataFrame({"rank": range(1, len(toks) + 1), "token": toks,
                         "probability": g.top_probs[step].astype(float),
                         "picked": [t == nxt for t in toks]})


@dataclass(frozen=True)
class DecoderHeadDetail:
    """One real decoder head step by step: q and k after RoPE, q·kᵀ, ÷√d_head, mask, softmax."""

    tokens: list[str]
    q: np.ndarray  # (L, d_head) after rotation
    k: np.ndarray  # (L, d_head) after rotation, of the shared key/value head
    scores: np.ndarray  # (L, L) q kᵀ
    logits: np.ndarray  # (L, L) scores / √d_head; masked cells hold 0 (see `masked`)
    masked: np.ndarray  # (L, L) bool, True above the diagonal
    weights: np.ndarray  # (L, L)
    gap: float  # max |weights - the model's own|
    scale: float
    d_head: int
    kv_head: int
    value_norms: np.ndarray  # (L,) ||v_j||
    output_change: float  # ||o - o'|| / ||o|| (mean over rows >= 1), o' without the first token


def decoder_head_detail(lm: DecoderModel, run: DecoderRun, layer: int,
                        head: int) -> DecoderHeadDetail:
    """The head recomputed from its q and k; equal to `run.weights[layer, head]` (`gap`).

    Raises:
        ValueError: the model has no Llama-style q_proj/k_proj (see `head_qkv`).
    """
    q, k, v = lm.head_qkv(run, layer, head)  # (L, d_head) each
    L, d = q.shape
    r = scaled_dot_product_attention(q, k, v, mask=causal_mask(L), scale=1 / math.sqrt(d))
    w = r.weights  # (L, L)
    rest = w.clone()
    rest[:, 0] = 0  # drop the first token's weight, renormalise over the others
    rest = rest / rest.sum(-1, keepdim=True).clamp(min=1e-12)  # (L, L)
    out, out2 = r.output[1:], (rest @ v)[1:]  # (L - 1, d_head) each, row 0 sees only itself
    change = ((out - out2).norm(dim=-1) / out.norm(dim=-1).clamp(min=1e-12)).mean() if L > 1 else 0
    masked = ~causal_mask(L)  # (L, L)
    return DecoderHeadDetail(
        tokens=list(run.tokens), q=q.numpy(), k=k.numpy(), scores=r.scores.numpy(),
        logits=r.logits.masked_fill(masked, 0.0).numpy(), masked=masked.numpy(),
        weights=w.numpy(), gap=float((w - run.weights[layer, head]).abs().max()),
        scale=1 / math.sqrt(d), d_head=d, kv_head=lm.kv_head(head),
        value_norms=v.norm(dim=-1).numpy(), output_change=float(change))


def gqa_frame(lm: DecoderModel) -> pd.DataFrame:
    """Which query heads read which key/value head: columns kv_head, query_heads."""
    return pd.DataFrame({"kv_head": range(lm.num_kv_heads),
                         "query_heads": [", ".join(str(h) for h in range(g * lm.group,
                                                                         (g + 1) * lm.group))
                                         for g in range(lm.num_kv_heads)]})


def weight_by_distance(weights: np.ndarray) -> np.ndarray:
    """Mean weight a query puts on the key d positions back, d = 0..L-1.

    Args:
        weights: (L, L) causal weights.
    Returns:
        (L,) mean over the rows that have such a key.
    """
    L = weights.shape[-1]
    return np.array([np.diagonal(weights, offset=-d).mean() for d in range(L)])


@dataclass(frozen=True)
class InductionView:
    """Induction and previous-token scores of every head, and the loss on each copy."""

    tokens: list[str]
    length: int  # n, one copy
    weights: np.ndarray  # (layers, H, 2n, 2n) of the first sequence
    induction: np.ndarray  # (layers, H)
    previous_token: np.ndarray  # (layers, H)
    copy_loss: np.ndarray  # (2,) nats
    position_loss: np.ndarray  # (2n - 1,)
    best: list[tuple[int, int, float]]  # the strongest induction heads, best first


def induction_view(lm: DecoderModel, length: int, batch: int, seed: int) -> InductionView:
    """`decoder_analysis.induction` as numpy, with its best heads."""
    ind = da.induction(lm, length=length, batch=batch, seed=seed)
    return InductionView(tokens=ind.tokens, length=ind.length, weights=ind.weights.numpy(),
                         induction=ind.induction.numpy(), previous_token=ind.previous_token.numpy(),
                         copy_loss=ind.copy_loss.numpy(), position_loss=ind.position_loss.numpy(),
                         best=da.top_heads(ind.induction, 4))


def entropy_rows(weights: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row entropy of one layer: mean over heads, the most focused head, and ln(i + 1).

    Args:
        weights: (layers, H, L, L).
    Returns:
        mean (L,), minimum over heads (L,), the maximum possible ln(i + 1) (L,).
    """
    ent, top = da.row_entropy(torch.from_numpy(weights[layer]))  # (H, L), (L,)
    return ent.mean(0).numpy(), ent.min(0).values.numpy(), top.numpy()
