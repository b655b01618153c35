"""What each view computes, from plain numbers and strings (cache-friendly, no Streamlit).

Each function builds its input, runs the library's maths once and returns every stage
as CPU numpy arrays, ready for frames and charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from attention.core.device import resolve_device
from attention.core.functional import (
    causal_mask,
    combine_masks,
    padding_mask,
    scaled_dot_product_attention,
    softmax_weights,
)
from attention.core.inputs import (
    HEAD_KINDS,
    positional_qk,
    random_sequence,
    sinusoidal_positions,
    token_embeddings,
    tokenize,
)
from attention.core.modules import MultiHeadAttention
from attention.core.stats import (
    entropy,
    head_similarity,
    head_statistics,
    max_entropy,
    normalized_entropy,
)

DEFAULT_TEXT = "The cat sat on the mat because it"


@dataclass(frozen=True)
class TokenInput:
    """The tokens attended over and their input vectors."""

    tokens: list[str]
    x: np.ndarray  # (L, d_model) embeddings (+ positions)
    truncated_from: int  # the sentence's length before the cap, 0 if not cut
    positions: np.ndarray  # (L, d_model) the positional part of x (zeros when off)


def build_input(text: str, tokens: int | None, d_model: int, seed: int, positional: bool,
                max_tokens: int) -> TokenInput:
    """A sentence (or, when `tokens` is set, a random sequence of that many positions)."""
    if tokens:
        labels, x = random_sequence(min(tokens, max_tokens), d_model, seed)
        cut = 0
    else:
        labels = tokenize(text) or tokenize(DEFAULT_TEXT)
        cut = len(labels) if len(labels) > max_tokens else 0
        labels = labels[:max_tokens]
        x = token_embeddings(labels, d_model)  # (L, d_model)
    pe = sinusoidal_positions(len(labels), d_model)  # (L, d_model)
    if not positional:
        pe = torch.zeros_like(pe)
    return TokenInput(tokens=labels, x=(x + pe).numpy(), truncated_from=cut, positions=pe.numpy())


def _generator(seed: int, salt: int) -> torch.Generator:
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + salt) % (2**63))


@dataclass(frozen=True)
class SingleHeadView:
    tokens: list[str]
    q: np.ndarray  # (L, d_k)
    k: np.ndarray  # (L, d_k)
    v: np.ndarray  # (L, d_k)
    scores: np.ndarray  # (L, L) q k^T
    logits: np.ndarray  # (L, L) scaled, tempered, -inf where masked
    weights: np.ndarray  # (L, L)
    output: np.ndarray  # (L, d_k)
    mask: np.ndarray  # (L, L) bool, True = may attend
    entropy: np.ndarray  # (L,) nats per query
    max_entropy: np.ndarray  # (L,) ln(allowed keys) per query
    normalized_entropy: float  # mean entropy / max over the rows with >= 2 keys, in [0, 1]
    scale: float  # the factor applied to the scores (1/sqrt(d_k) or 1)
    device: str


@torch.inference_mode()
def single_head(seq: TokenInput, d_k: int, seed: int, temperature: float = 1.0,
                scaled: bool = True, causal: bool = False, pad: int = 0,
                device: str = "auto") -> SingleHeadView:
    """One head: x W_Q, x W_K, x W_V with N(0, 1/d_model) projections, then attention.

    Args:
        pad: `pad` positions appended after the sequence, as a batch pads a shorter one: each
            holds the [PAD] token (its embedding plus its position, labelled "[PAD]"); their
            keys are masked for every query. Every real token stays.
    """
    dev = resolve_device(device)
    x = torch.from_numpy(seq.x)  # (L, d_model)
    L, d_model = x.shape
    tokens = list(seq.tokens)
    pad = max(0, int(pad))
    if pad:
        pe = sinusoidal_positions(L + pad, d_model)[L:].to(x.dtype)  # (pad, d_model)
        if not seq.positions.any():  # positional encoding off
            pe = torch.zeros_like(pe)
        x = torch.cat([x, token_embeddings(["[PAD]"], d_model, x.dtype) + pe])  # (L + pad, d_model)
        tokens += ["[PAD]"] * pad
        L += pad
    x = x.to(dev)
    w = torch.randn(3, d_model, d_k, generator=_generator(seed, 1), dtype=x.dtype)
    w = (w / math.sqrt(d_model)).to(dev)  # (3, d_model, d_k): W_Q, W_K, W_V
    q, k, v = x @ w[0], x @ w[1], x @ w[2]  # (L, d_model) x (d_model, d_k) -> (L, d_k)
    mask = build_mask(L, causal, pad, dev)  # (L, L)
    scale = 1.0 / math.sqrt(d_k) if scaled else 1.0
    r = scaled_dot_product_attention(q, k, v, mask=mask, scale=scale, temperature=temperature)
    row_entropy, row_max = entropy(r.weights), max_entropy(mask)  # (L,) each
    return SingleHeadView(
        tokens=tokens, q=_np(q), k=_np(k), v=_np(v), scores=_np(r.scores),
        logits=_np(r.logits), weights=_np(r.weights), output=_np(r.output), mask=_np(mask),
        entropy=_np(row_entropy), max_entropy=_np(row_max),
        normalized_entropy=float(normalized_entropy(row_entropy, row_max)),
        scale=scale, device=str(dev))


def build_mask(L: int, causal: bool, pad: int, device: torch.device) -> torch.Tensor:
    """(L, L) bool, True = may attend: causal and/or the last `pad` keys masked (all
    True when neither)."""
    keys = padding_mask([L - pad], S=L, device=device)[0]  # (1, L): real tokens
    return combine_masks(causal_mask(L, device=device) if causal else None, keys).expand(L, L)


@dataclass(frozen=True)
class MultiHeadView:
    tokens: list[str]
    weights: np.ndarray  # (H, L, L)
    entropy: np.ndarray  # (H, L) nats per head and query
    max_entropy: np.ndarray  # (L,)
    mask: np.ndarray  # (L, L) bool, True = may attend
    heads: np.ndarray  # (H, L, d_head) per-head outputs
    values: np.ndarray  # (H, L, d_head) per-head value vectors v_j
    concat: np.ndarray  # (L, d_model) heads side by side
    output: np.ndarray  # (L, d_model) after W^O
    similarity: np.ndarray  # (H, H)
    kinds: list[str]  # per head: a designed kind, or the label its statistics suggest
    mean_distance: np.ndarray  # (H,)
    d_head: int
    device: str


@torch.inference_mode()
def multi_head(seq: TokenInput, num_heads: int, seed: int, preset: str = "random",
               causal: bool = False, device: str = "auto",
               temperature: float = 1.0) -> MultiHeadView:
    """Multi-head self-attention with seeded projections; "designed" reads each head's q, k
    from the positional encoding to give a local / previous-token / global / first-token
    pattern (values and W^O stay random). `temperature` divides every head's logits."""
    dev = resolve_device(device)
    x = torch.from_numpy(seq.x).to(dev)  # (L, d_model)
    L, d_model = x.shape
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        mha = MultiHeadAttention(d_model, num_heads).to(dev)
    mask = build_mask(L, causal, 0, dev)  # (L, L)
    q, k, v = mha.project(x)  # (H, L, d_head) each
    kinds: list[str]
    if preset == "designed":
        kinds = [HEAD_KINDS[h % len(HEAD_KINDS)] for h in range(num_heads)]
        pe = torch.from_numpy(seq.positions)  # (L, d_model), zeros when positions are off
        qk = [positional_qk(kind, pe, mha.d_head) for kind in kinds]
        q = torch.stack([a for a, _ in qk]).to(dev, x.dtype)  # (H, L, d_head)
        k = torch.stack([b for _, b in qk]).to(dev, x.dtype)  # (H, L, d_head)
    if temperature != 1.0:
        q = q / temperature  # (q / T) . k / sqrt(d_head) = logits / T
    res = mha.attend(q, k, v, mask=mask if causal else None)  # None: the unmasked fast path
    stats = head_statistics(res.weights, mask)
    if preset != "designed":
        kinds = stats.labels()
    return MultiHeadView(
        tokens=seq.tokens, weights=_np(res.weights), entropy=_np(entropy(res.weights)),
        max_entropy=_np(max_entropy(mask)), mask=_np(mask), heads=_np(res.heads),
        values=_np(res.v),
        concat=_np(res.concat),
        output=_np(res.output), similarity=_np(head_similarity(res.weights)), kinds=kinds,
        mean_distance=_np(stats.mean_distance), d_head=mha.d_head, device=str(dev))


@dataclass(frozen=True)
class ScalingExperiment:
    d_k: np.ndarray  # (n,) dimensions tried
    var_unscaled: np.ndarray  # (n,) variance of q . k
    var_scaled: np.ndarray  # (n,) variance of q . k / sqrt(d_k)
    max_weight_unscaled: np.ndarray  # (n,) mean largest softmax weight over L keys
    max_weight_scaled: np.ndarray


SCALING_DIMS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)  # d_k tried by the experiment


def scaling_experiment(seed: int) -> ScalingExperiment:
    """Why sqrt(d_k): q, k ~ N(0, I) give var(q . k) = d_k; scaling brings it back to 1,
    and without it the softmax over L = 8 keys saturates to one-hot as d_k grows
    (256 draws of an 8 x 8 map per d_k)."""
    g = _generator(seed, 2)
    L, samples = 8, 256
    rows = []
    for d in SCALING_DIMS:
        q = torch.randn(samples, L, d, generator=g, dtype=torch.float64)  # (N, L, d)
        k = torch.randn(samples, L, d, generator=g, dtype=torch.float64)
        scores = q @ k.transpose(-2, -1)  # (N, L, d) x (N, d, L) -> (N, L, L)
        out = []
        for logits in (scores, scores / math.sqrt(d)):
            w = torch.softmax(logits, dim=-1)
            out += [logits.var().item(), w.amax(-1).mean().item()]
        rows.append(out)
    a = np.array(rows)
    return ScalingExperiment(d_k=np.array(SCALING_DIMS), var_unscaled=a[:, 0], var_scaled=a[:, 2],
                             max_weight_unscaled=a[:, 1], max_weight_scaled=a[:, 3])


def temperature_sweep(scores: np.ndarray, mask: np.ndarray, scale: float,
                      temperatures: np.ndarray) -> np.ndarray:
    """Entropy of every query row at each temperature.

    Args:
        scores: (L, S) raw q k^T; mask: (L, S) bool; temperatures: (n,).
    Returns:
        (n, L) entropy in nats.
    """
    s = torch.from_numpy(scores).double()  # (L, S)
    m = torch.from_numpy(mask)
    t = torch.from_numpy(np.asarray(temperatures, dtype=np.float64))[:, None, None]  # (n, 1, 1)
    logits = (s * scale / t).masked_fill(~m, float("-inf"))  # (n, L, S)
    return entropy(softmax_weights(logits, m)).numpy()


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu").numpy()
