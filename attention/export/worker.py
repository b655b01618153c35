"""What a download costs, as plain functions of plain data: run in a worker process.

Everything here takes and returns plain values (dicts, DataFrames, arrays, bytes) and
imports no torch, so a small process pool can draw PNGs and write CSVs without the
dashboard's interpreter lock (see `attention.export.pool`).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

TABLE = "table"  # the dataset name `attention.charts.Chart` uses


def inline_spec(spec: dict, data: pd.DataFrame | None) -> dict:
    """A self-contained Vega-Lite spec: `data` inlined as JSON records under "table"."""
    if data is None:
        return spec
    out = dict(spec)
    out["datasets"] = {**spec.get("datasets", {}), TABLE: json.loads(data.to_json(orient="records"))}
    return out


def png(spec: dict, data: pd.DataFrame | None = None, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(inline_spec(spec, data), scale=scale)


def svg(spec: dict, data: pd.DataFrame | None = None) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(inline_spec(spec, data)).encode("utf-8")


def csv(values: np.ndarray, rows: list[str] | None = None, cols: list[str] | None = None) -> bytes:
    """A 1-D or 2-D array as CSV with token labels; 3-D arrays become long (head, row, col, value)."""
    v = np.asarray(values)
    if v.ndim == 3:
        h, r, c = np.indices(v.shape)
        frame = pd.DataFrame({"head": h.ravel(), "row": r.ravel(), "col": c.ravel(), "value": v.ravel()})
        return frame.to_csv(index=False).encode("utf-8")
    frame = pd.DataFrame(v if v.ndim == 2 else v[:, None], index=rows,
                         columns=cols if v.ndim == 2 else ["value"])
    return frame.to_csv(index=rows is not None).encode("utf-8")


def csv_size(shape: tuple[int, ...]) -> int:
    """About the bytes `csv` writes for an array of `shape`, before making it (a value is
    ~12 characters; a 3-D array's rows also carry head, row and column)."""
    per = 12
    if len(shape) == 3:
        per += sum(len(str(max(d - 1, 0))) + 1 for d in shape)
    return int(np.prod(shape, dtype=np.int64)) * per


def npy(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(values), allow_pickle=False)
    return buf.getvalue()


FORMATS = {"PNG": png, "SVG": svg, "CSV": csv, "NPY": npy}


def build(fmt: str, args: tuple) -> bytes:
    """The bytes of one download; `fmt` names a function above. A big one hands the
    worker's freed pages back to the system afterwards (its inputs and buffers)."""
    data = FORMATS[fmt](*args)
    if len(data) >= BIG_FILE:
        release_memory()
    return data


BIG_FILE = 4 * 2**20  # a file this large is followed by `release_memory`


def release_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's `malloc_trim`); True if done.

    Freed buffers (a download's bytes, the copies made on the way) stay in malloc's arenas,
    where the process's resident memory still counts them; trimming returns them.
    Elsewhere than glibc this does nothing.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


_TRIM: list = []


def _malloc_trim():
    if not _TRIM:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        fn = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
        if fn is not None:
            fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
        _TRIM.append(fn)
    return _TRIM[0]


def ping() -> int:
    """A no-op job: starts a worker."""
    return 0


def init_worker() -> None:
    """Pool initialiser: a worker yields the CPU to the server's interactive reruns."""
    import os

    try:
        os.nice(10)
    except OSError:
        pass
