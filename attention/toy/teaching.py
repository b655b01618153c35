"""Facts the lesson texts point at, computed from the views (no Streamlit).

A worked example of one query, repeated words without positions, the extremes of an
entropy sweep, and what each head's values make of its weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attention.core.stats import has_choice
from attention.toy.views import MultiHeadView, SingleHeadView


@dataclass(frozen=True)
class WorkedExample:
    """One query's row, number by number: q.k_j, the logit, exp, the weight, alpha_j v_j."""

    query: int
    table: pd.DataFrame  # one row per allowed key
    output: np.ndarray  # (d_v,) the output row of the view
    recomputed: np.ndarray  # (d_v,) sum_j alpha_j v_j from the table's weights
    masked_keys: int  # keys left out (weight exactly 0)
    dims: int  # how many value dimensions the table shows


def worked_example(v: SingleHeadView, query: int, dims: int = 3) -> WorkedExample:
    """The arithmetic of row `query`, from the very arrays the charts draw.

    Args:
        v: a single-head view; query: 0 <= query < L; dims: value dimensions shown.
    """
    allowed = np.flatnonzero(v.mask[query])  # (n,) keys this query may see
    logits = v.logits[query, allowed].astype(np.float64)  # (n,)
    e = np.exp(logits - logits.max()) if allowed.size else logits
    weights = v.weights[query, allowed].astype(np.float64)  # (n,)
    values = v.v[allowed].astype(np.float64)  # (n, d_v)
    dims = min(dims, values.shape[1])
    table = pd.DataFrame({"position": allowed, "key": [v.tokens[j] for j in allowed],
                          "q·k": v.scores[query, allowed].astype(np.float64),
                          "logit": logits, "exp(logit − max)": e, "weight α": weights})
    for d in range(dims):
        table[f"α·v[{d}]"] = weights * values[:, d]
    return WorkedExample(query=query, table=table, output=v.output[query].astype(np.float64),
                         recomputed=weights @ values, masked_keys=int(v.mask.shape[1] - allowed.size),
                         dims=dims)


@dataclass(frozen=True)
class RepeatedRow:
    """Two positions holding the same word and how far apart their weight rows are."""

    first: int
    second: int
    token: str
    gap: float  # largest |w[first, j] - w[second, j]| over keys


def repeated_rows(tokens: list[str], weights: np.ndarray) -> list[RepeatedRow]:
    """Pairs of positions with the same word (case-folded, as the embeddings are).

    Without positional encoding such positions have the same input vector, so their
    query rows are identical: attention alone cannot tell them apart.

    Args:
        weights: (L, S) one head's map.
    """
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(tokens):
        key = t.lower()
        if key in seen:
            j = seen[key]
            out.append(RepeatedRow(j, i, t, float(np.abs(weights[j] - weights[i]).max())))
        else:
            seen[key] = i
    return out


def sweep_curves(sweep: np.ndarray, row_max: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, most focused and most spread row entropy at each temperature.

    The extremes are taken over rows that have a choice (at least two keys): a row with
    one key (row 0 under a causal mask) has entropy 0 at every temperature and says
    nothing about focus.

    Args:
        sweep: (n, L) entropy per temperature and row; row_max: (L,) ln(allowed keys).
    """
    choice = has_choice(row_max)  # (L,)
    rows = sweep[:, choice] if choice.any() else sweep  # (n, L')
    return {"mean": sweep.mean(1), "most focused row": rows.min(1), "most spread row": rows.max(1)}


def uniform_output_gap(mask: np.ndarray, values: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Per head: how far each output row is from the plain mean of the values it may see.

    0 for a head that spreads uniformly: its output is the mean of v (the prefix mean
    under a causal mask).

    Args:
        mask: (L, S) bool, True = may attend; values: (H, S, d); heads: (H, L, d) outputs.
    Returns:
        (H,) largest |output - mean of the allowed values|.
    """
    allowed = mask.astype(np.float64)  # (L, S)
    uniform = allowed / allowed.sum(-1, keepdims=True).clip(min=1)  # (L, S)
    means = uniform @ values.astype(np.float64)  # (L, S) x (H, S, d) -> (H, L, d)
    return np.abs(heads - means).max(axis=(1, 2))


def values_side_by_side(m: MultiHeadView) -> np.ndarray:
    """(L, H * d_head) every head's value vectors in head blocks, laid out as Concat is."""
    H, L, d = m.values.shape
    return m.values.transpose(1, 0, 2).reshape(L, H * d)  # (H, L, d) -> (L, H, d) -> (L, H d)


def head_table(m: MultiHeadView) -> pd.DataFrame:
    """One row per head: kind, uniform gap (first: the column the lesson reads), entropy,
    distance, value and output sizes."""
    H = m.weights.shape[0]
    return pd.DataFrame({
        "head": [f"head {h}" for h in range(H)], "kind": m.kinds,
        "output − mean of v": uniform_output_gap(m.mask, m.values, m.heads),
        "entropy": m.entropy.mean(1), "mean distance": m.mean_distance,
        "‖v‖ mean": np.linalg.norm(m.values, axis=-1).mean(1),
        "‖output‖ mean": np.linalg.norm(m.heads, axis=-1).mean(1),
    })

