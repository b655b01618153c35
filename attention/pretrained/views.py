"""What the pretrained-model page shows, as numpy arrays (cache-friendly, no Streamlit).

    m = load_model()
    run = m.attend("The cat sat on the mat.")
    view = model_view(run)                       # every head, rollout, per-head statistics
    plain = without_special(run)                 # the same maps with [CLS] and [SEP] hidden
    d = head_detail(m, run, layer=2, head=5)     # one head's real q, k, scores, logits, weights
    frame, top = stats_heat_frame(view.stats, "entropy")  # layers x heads, one statistic
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attention.core.functional import scaled_dot_product_attention
from attention.pretrained.analysis import attention_rollout, hide_special
from attention.pretrained.encoder import PretrainedModel, PretrainedRun

# Statistic label on the page -> (column of `head_stats_frame`, what it measures).
STATISTICS: dict[str, tuple[str, str]] = {
    "Entropy": ("entropy", "mean row entropy, nats (low = focused, high = spread)"),
    "Previous token": ("previous_token", "mean weight on the token just before"),
    "First token / [CLS]": ("cls", "mean weight on position 0, the [CLS] sink"),
    "[SEP]": ("sep", "mean weight on [SEP]"),
    "Mean distance": ("mean_distance", "mean |i − j| under the weights, in positions"),
}
SHARE_COLUMNS = ("previous_token", "cls", "sep")  # shares of a row's weight, in [0, 1]
_SHORT = {"previous-token": "prev-token", "mixed": ""}  # labels as written in a heat-table cell


@dataclass(frozen=True)
class ModelView:
    """Every head of one run, as numpy arrays."""

    tokens: list[str]
    weights: np.ndarray  # (layers, H, L, L)
    special: np.ndarray  # (L,) bool, True at [CLS], [SEP] and the like
    rollout: np.ndarray  # (L, L) attention rollout over all layers
    stats: pd.DataFrame  # one row per (layer, head), see `head_stats_frame`
    truncated: bool
    n_input_tokens: int


def model_view(run: PretrainedRun) -> ModelView:
    """Weights, attention rollout (Abnar & Zuidema 2020) and per-head statistics of a run."""
    return ModelView(tokens=list(run.tokens), weights=run.weights.numpy(),
                     special=run.special.numpy(), rollout=attention_rollout(run.weights).numpy(),
                     stats=run.head_stats(), truncated=run.truncated,
                     n_input_tokens=run.n_input_tokens)


@dataclass(frozen=True)
class WithoutSpecial:
    """A run's maps with special tokens hidden: their rows and columns dropped, every row
    renormalised over the L' ordinary tokens left."""

    tokens: list[str]  # the ordinary tokens
    weights: np.ndarray  # (layers, H, L', L')
    rollout: np.ndarray  # (L', L') rollout of the full maps, then hidden
    plain_rollout: np.ndarray  # (L', L') rollout of the hidden maps: no [CLS] sink in the flow


def without_special(run: PretrainedRun) -> WithoutSpecial:
    """The maps and both rollouts with special tokens hidden, computed once in torch.

    Args:
        run: a result of `model.attend` with at least one ordinary token.
    """
    hidden = hide_special(run.weights, run.special)  # (layers, H, L', L')
    rollout = hide_special(attention_rollout(run.weights), run.special)  # (L, L) -> (L', L')
    tokens = [t for t, s in zip(run.tokens, run.special.tolist(), strict=True) if not s]
    return WithoutSpecial(tokens=tokens, weights=hidden.numpy(), rollout=rollout.numpy(),
                          plain_rollout=attention_rollout(hidden).numpy())


@dataclass(frozen=True)
class HeadDetail:
    """One real head step by step: its q and k, q·kᵀ, the scaling, the softmax."""

    tokens: list[str]
    q: np.ndarray  # (L, d_head)
    k: np.ndarray  # (L, d_head)
    scores: np.ndarray  # (L, L) q kᵀ
    logits: np.ndarray  # (L, L) scores / sqrt(d_head)
    weights: np.ndarray  # (L, L) softmax of each row
    scale: float  # 1 / sqrt(d_head)
    d_head: int
    v: np.ndarray  # (L, d_head) the head's values
    output: np.ndarray  # (L, d_head) sum_j w_ij v_j
    value_norms: np.ndarray  # (L,) ||v_j||


def head_detail(model: PretrainedModel, run: PretrainedRun, layer: int, head: int,
                hide: bool = False) -> HeadDetail:
    """The real q, k of one head through `scaled_dot_product_attention`.

    With `hide`, special tokens are left out before the softmax, so each row's weights are
    the model's own renormalised over the remaining keys (what `hide_special` draws).

    Args:
        model: the model that produced `run`.
        run: a result of `model.attend`.
        layer, head: which head.
        hide: drop [CLS], [SEP] and other special positions.
    Raises:
        ValueError: the model's layout has no plain per-head q, k (see `head_qkv`).
    """
    q, k, v = model.head_qkv(run, layer, head)  # (L, d_head) each
    tokens = list(run.tokens)
    if hide and not bool(run.special.all()):
        keep = (~run.special).nonzero().flatten()  # (L',)
        q, k, v = q[keep], k[keep], v[keep]  # (L', d_head) each
        tokens = [tokens[i] for i in keep.tolist()]
    d_head = q.shape[-1]
    scale = 1.0 / math.sqrt(d_head)
    r = scaled_dot_product_attention(q, k, v, scale=scale)
    return HeadDetail(tokens=tokens, q=q.numpy(), k=k.numpy(), scores=r.scores.numpy(),
                      logits=r.logits.numpy(), weights=r.weights.numpy(), scale=scale,
                      d_head=d_head, v=v.numpy(), output=r.output.numpy(),
                      value_norms=v.norm(dim=-1).numpy())


PRONOUNS = {"it", "its", "he", "him", "his", "she", "her", "they", "them", "their", "this", "that"}


def default_query(tokens: list[str], special: np.ndarray) -> int:
    """The first pronoun of the sentence, else its last ordinary token, else 0."""
    ordinary = [i for i, s in enumerate(special) if not s]
    for i in ordinary:
        if tokens[i].lower() in PRONOUNS:
            return i
    return ordinary[-1] if ordinary else 0


def link_heads(weights: np.ndarray, query: int, key: int, top: int = 5) -> pd.DataFrame:
    """The heads that put the most weight from `query` on `key`, strongest first.

    Args:
        weights: (layers, H, L, L).
    Returns:
        columns layer, head, weight; at most `top` rows.
    """
    n_layers, H = weights.shape[:2]
    w = weights[:, :, query, key].reshape(-1)  # (layers * H,)
    order = np.argsort(-w, kind="stable")[:top]
    return pd.DataFrame({"layer": order // H, "head": order % H, "weight": w[order]})


def strongest_links(weights: np.ndarray, tokens: list[str], special: np.ndarray, query: int,
                    top: int = 6) -> pd.DataFrame:
    """For one query, the heads' strongest links to another ordinary token (not itself,
    not [CLS] or [SEP]), strongest first: columns layer, head, key, position, weight."""
    n_layers, H, L, _ = weights.shape
    other = ~special.astype(bool)
    other[query] = False
    if not other.any():
        return pd.DataFrame(columns=["layer", "head", "key", "position", "weight"])
    row = np.where(other, weights[:, :, query, :], -1.0)  # (layers, H, L)
    best = row.argmax(-1)  # (layers, H)
    w = np.take_along_axis(row, best[..., None], -1)[..., 0].reshape(-1)  # (layers * H,)
    order = np.argsort(-w, kind="stable")[:top]
    keys = best.reshape(-1)[order]
    return pd.DataFrame({"layer": order // H, "head": order % H,
                         "key": [tokens[j] for j in keys], "position": keys, "weight": w[order]})


def stats_heat_frame(stats: pd.DataFrame, column: str,
                     n_keys: int | None = None) -> tuple[pd.DataFrame, float]:
    """The heat table's data (a `value` and a short `tag` per head) and its colour-scale top.

    The top is the statistic's largest possible value where it has one: 1 for shares, ln n
    for entropy and n - 1 for the mean distance over `n_keys` keys (so a full colour means
    the maximum, not the largest head of this sentence); else the largest value rounded up
    to 1, 2 or 5 x 10^k (so the spec stays the same for most sentences).
    """
    frame = stats.assign(value=stats[column].astype(float),
                         tag=stats["label"].map(lambda t: _SHORT.get(t, t)))
    if column in SHARE_COLUMNS:
        return frame, 1.0
    if n_keys is not None and n_keys > 1 and column in ("entropy", "mean_distance"):
        return frame, math.log(n_keys) if column == "entropy" else float(n_keys - 1)
    m = max(float(frame["value"].max()), 1e-6)
    k = 10 ** math.floor(math.log10(m))
    return frame, next(f * k for f in (1, 2, 5, 10) if f * k >= m)


@dataclass(frozen=True)
class SinkSummary:
    """How much a head's weight on position 0 ([CLS]) brings into its outputs."""

    weight: float  # mean over rows of w_i0
    norm_first: float  # ||v_0||
    norm_others: float  # mean ||v_j|| over j > 0
    contribution: float  # mean over rows of w_i0 ||v_0|| / sum_j w_ij ||v_j||


def sink_summary(d: HeadDetail) -> SinkSummary:
    """Weight on the first token against what it carries (Kobayashi et al. 2020): a head
    can put most of its weight on [CLS] and still take little from it when ||v_[CLS]|| is short."""
    norms = d.value_norms.astype(np.float64)  # (L,)
    flow = d.weights.astype(np.float64) * norms[None, :]  # (L, L) w_ij ||v_j||
    total = flow.sum(-1)  # (L,)
    share = np.where(total > 0, flow[:, 0] / np.where(total > 0, total, 1.0), 0.0)
    return SinkSummary(weight=float(d.weights[:, 0].mean()), norm_first=float(norms[0]),
                       norm_others=float(norms[1:].mean()) if len(norms) > 1 else 0.0,
                       contribution=float(share.mean()))
