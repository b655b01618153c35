"""Inputs to attend over: tokens, embeddings, positional encodings and designed heads."""

from __future__ import annotations

import hashlib
import math
import re

import torch
from torch import Tensor

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)

HEAD_KINDS = ("local", "previous", "global", "first")


def tokenize(text: str) -> list[str]:
    """Split a sentence into words and punctuation marks: "It's here." -> ["It's", "here", "."]."""
    return _TOKEN.findall(text)


def _token_seed(token: str) -> int:
    digest = hashlib.blake2b(token.lower().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


def token_embeddings(tokens: list[str], d_model: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """A fixed random vector per word, the same in every session and on every machine.

    Each word (case-folded) seeds its own generator from a hash of its text, so "cat"
    has one embedding wherever it appears. Entries are N(0, 1), as a learned embedding
    table is at initialisation.

    Returns:
        (L, d_model) embeddings.
    """
    if d_model < 1:
        raise ValueError(f"d_model must be >= 1, got {d_model}")
    rows = []
    cache: dict[str, Tensor] = {}
    for token in tokens:
        if token not in cache:
            g = torch.Generator().manual_seed(_token_seed(token))
            cache[token] = torch.randn(d_model, generator=g, dtype=torch.float64)
        rows.append(cache[token])
    if not rows:
        return torch.empty(0, d_model, dtype=dtype)
    return torch.stack(rows).to(dtype)  # (L, d_model)


def sinusoidal_positions(L: int, d_model: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Sinusoidal positional encodings (Vaswani et al. 2017, section 3.5).

    PE[p, 2i] = sin(p / 10000^(2i/d_model)), PE[p, 2i+1] = cos(p / 10000^(2i/d_model)).

    Returns:
        (L, d_model) encodings.
    """
    position = torch.arange(L, dtype=torch.float64)[:, None]  # (L, 1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                    * (-math.log(10000.0) / d_model))  # (ceil(d_model / 2),)
    pe = torch.zeros(L, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)[:, : d_model // 2]
    return pe.to(dtype)


def random_sequence(n: int, d_model: int, seed: int = 0, dtype: torch.dtype = torch.float32
                    ) -> tuple[list[str], Tensor]:
    """n random positions: labels "p0".."p{n-1}" and N(0, 1) embeddings from `seed`.

    Returns:
        labels and (n, d_model) embeddings.
    """
    g = torch.Generator().manual_seed(int(seed))
    x = torch.randn(n, d_model, generator=g, dtype=torch.float64).to(dtype)
    return [f"p{i}" for i in range(n)], x


def _check_designed(kind: str, d_head: int) -> None:
    if kind not in HEAD_KINDS:
        raise ValueError(f"kind must be one of {HEAD_KINDS}, got {kind!r}")
    if d_head < 2:
        raise ValueError(f"designed heads need d_head >= 2, got {d_head}")


def position_pair(L: int, d_model: int) -> int:
    """The sine-cosine pair of the positional encoding the designed heads read.

    The fastest pair whose angle stays within a quarter turn over the sequence,
    omega (L - 1) <= pi / 2, so cos((j - i) omega) falls steadily with distance; the
    slowest pair when none is that slow (very long inputs in a narrow model).
    """
    pairs = d_model // 2  # complete (sin, cos) pairs
    omegas = [10000.0 ** (-2 * i / d_model) for i in range(pairs)]
    slow = [i for i, w in enumerate(omegas) if w * max(L - 1, 1) <= math.pi / 2]
    return slow[0] if slow else pairs - 1


def positional_qk(kind: str, positions: Tensor, d_head: int) -> tuple[Tensor, Tensor]:
    """Designed heads that find their keys through the positional encoding alone.

    Keys read one sine-cosine pair of each position vector, k_j = (sin j w, cos j w);
    queries read the same pair, turned back by one step for "previous" (a rotation, so
    still linear in the position vector), or a constant for "first". Then
    q_i . k_j / sqrt(d_head) = g cos((j - c_i) w), largest at the key c_i the head wants
    (i, i - 1 or 0), with the gain g setting how sharply: a Gaussian window of width one
    position for "local", logits -16 (j - c_i)^2 near c_i for "previous", a margin of 16
    over the other keys for "first".
    With positions switched off the pair is zero: every logit is 0 and each row uniform.

    Args:
        positions: (L, d_model) the positional part of the input (zeros when off).
    Returns:
        q (L, d_head) and k (L, d_head), d_head >= 2.
    """
    _check_designed(kind, d_head)
    L, d_model = positions.shape
    q = torch.zeros(L, d_head, dtype=torch.float64)
    k = torch.zeros(L, d_head, dtype=torch.float64)
    if kind == "global" or d_model < 2:
        return q.float(), k.float()
    i = position_pair(L, d_model)
    w = 10000.0 ** (-2 * i / d_model)
    p = positions.to(torch.float64)
    sin, cos = p[:, 2 * i], p[:, 2 * i + 1]  # (L,) sin(j w), cos(j w) when positions are on
    k[:, 0], k[:, 1] = sin, cos
    root = math.sqrt(d_head)  # undo the 1/sqrt(d_head) scaling
    sharpness, window = 4.0, 1.0
    if kind == "local":  # g cos x ~ g (1 - x^2 / 2): a Gaussian window of width `window`
        g = 1.0 / (window * w) ** 2
        q[:, 0], q[:, 1] = g * root * sin, g * root * cos
    elif kind == "previous":  # turned back by w: (sin (i - 1) w, cos (i - 1) w)
        g = 2.0 * sharpness**2 / w**2
        q[:, 0] = g * root * (sin * math.cos(w) - cos * math.sin(w))
        q[:, 1] = g * root * (cos * math.cos(w) + sin * math.sin(w))
    else:  # "first": a constant query, g cos(j w) is largest at j = 0
        g = 4.0 * sharpness / (1.0 - math.cos(w))
        q[:, 1] = g * root
    return q.float(), k.float()
