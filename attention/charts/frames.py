"""Tensors (as numpy arrays) -> long pandas DataFrames, one row per cell, for Altair."""

from __future__ import annotations

import numpy as np
import pandas as pd

ZWSP = "\u200b"  # zero-width space: keeps repeated tokens distinct on an axis, invisibly


# Values Vega cannot hold as a key: its data joins index objects by value, and "__proto__"
# there is the prototype (14 console errors, marks lost). Such a token is padded as a repeat.
UNSAFE_LABELS = frozenset({"__proto__"})


def axis_labels(tokens: list[str]) -> list[str]:
    """Unique axis labels that look like the tokens: a repeat gets invisible padding (and
    so does a token Vega cannot use as a value, from its first time)."""
    seen: dict[str, int] = dict.fromkeys(UNSAFE_LABELS, 1)
    out = []
    for t in tokens:
        n = seen.get(t, 0)
        seen[t] = n + 1
        out.append(t + ZWSP * n)
    return out


def matrix_frame(values: np.ndarray, rows: list[str], cols: list[str],
                 masked: np.ndarray | None = None, head: np.ndarray | None = None,
                 row_name: str = "query", col_name: str = "key") -> pd.DataFrame:
    """Long frame of a (L, S) or (H, L, S) matrix.

    Columns: [head, head_index,] {row_name}, {col_name} (positions), {row_name}_token,
    {col_name}_token (unique labels), value (0 where masked), masked (bool).
    Never NaN: non-finite entries count as masked.

    Args:
        values: (L, S) or (H, L, S).
        masked: bool, broadcastable to values, True = masked.
        head: (H,) labels for the head column of a 3-D input.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 2:
        v = v[None]
    H, L, S = v.shape
    m = ~np.isfinite(v)
    if masked is not None:
        m = m | np.broadcast_to(masked, v.shape)
    rl, cl = axis_labels(rows), axis_labels(cols)
    h_idx, r_idx, c_idx = (a.ravel() for a in np.indices((H, L, S)))
    data = {
        row_name: r_idx, col_name: c_idx,
        f"{row_name}_token": np.asarray(rl, dtype=object)[r_idx],
        f"{col_name}_token": np.asarray(cl, dtype=object)[c_idx],
        "value": np.where(m, 0.0, v).ravel(), "masked": m.ravel(),
    }
    frame = pd.DataFrame(data)
    if values.ndim == 3:
        names = head if head is not None else np.arange(H)
        frame.insert(0, "head", np.asarray(names, dtype=object)[h_idx])
        frame.insert(1, "head_index", h_idx)
    return frame


def series_frame(values: np.ndarray, labels: list[str], name: str = "value",
                 position: str = "position") -> pd.DataFrame:
    """(L,) values against labelled positions: columns position, token, {name}."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64))
    return pd.DataFrame({position: np.arange(len(v)), "token": axis_labels(labels), name: v})


def sweep_frame(x: np.ndarray, ys: dict[str, np.ndarray], x_name: str, y_name: str) -> pd.DataFrame:
    """Several curves over one x: columns {x_name}, series, {y_name}."""
    parts = [pd.DataFrame({x_name: x, "series": label, y_name: np.nan_to_num(np.asarray(y, float))})
             for label, y in ys.items()]
    return pd.concat(parts, ignore_index=True)
