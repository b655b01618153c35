"""Charts built once for everyone: a chart builder's result, packed for Streamlit, kept
across reruns and sessions, keyed on a fingerprint of its arguments.

Pages import `charts` (and `lesson_charts`) from here instead of `attention.charts`: the
same names, but a builder (`charts.heatmap(...)`, ...) first hashes what it was given (the
numbers themselves, the labels, every option) and returns the chart already built for
those arguments when there is one. A class of learners on the same sentence and seed then
pays for each chart's frames, images and Arrow bytes once, not once per rerun per learner.
Equal arguments (numbers byte for byte, labels, options) give the same key; different
ones a different key, short of a collision of 160-bit digests.

The kept charts are shared and must be treated as read-only (every consumer copies a spec
before changing it). Arguments the fingerprint does not know (an Altair object, a
function) skip the cache: the builder simply runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType

import numpy as np
import pandas as pd

from attention import charts as _charts
from attention.charts import Chart
from attention.charts import lessons as _lessons
from attention.charts.marker import MARKER, marker_frame
from attention.charts.outline import OUTLINE, outline_frame
from attention.dashboard.display import PackedChart, packed

MAX_BYTES = 96 * 2**20  # the Arrow bytes and frames kept, all sessions together
MAX_CHARTS = 4096
ENTRY_OVERHEAD = 16 * 2**10  # a spec and its bookkeeping, counted per chart kept


class Unkeyable(TypeError):
    """An argument the fingerprint cannot read exactly: the builder runs uncached."""


def _feed(h, x) -> None:
    """Feed `x` into the hash `h`, unambiguously (type, shape and length first)."""
    if x is None or isinstance(x, (bool, int, float, str, np.integer, np.floating, np.bool_)):
        h.update(repr((type(x).__name__, x.item() if isinstance(x, np.generic) else x)).encode())
    elif isinstance(x, np.ndarray):
        if x.dtype.hasobject:
            raise Unkeyable("object array")
        h.update(f"nd|{x.dtype.str}|{x.shape}|".encode())
        h.update(np.ascontiguousarray(x).data)
    elif isinstance(x, (list, tuple)):
        h.update(f"{type(x).__name__}|{len(x)}|".encode())
        if all(type(i) is str for i in x):
            h.update(json.dumps(x).encode())  # labels: one C call, escapes keep it exact
        else:
            for item in x:
                _feed(h, item)
    elif isinstance(x, dict):
        h.update(f"dict|{len(x)}|".encode())
        for k in sorted(x, key=repr):
            _feed(h, k)
            _feed(h, x[k])
    elif isinstance(x, pd.DataFrame):
        if not isinstance(x.index, pd.RangeIndex):
            raise Unkeyable("frame with an index")
        h.update(f"frame|{x.shape}|{x.index.start}|{x.index.step}|".encode())
        for name, col in x.items():
            _feed(h, name)
            h.update(str(col.dtype).encode())
            if isinstance(col.dtype, np.dtype) and not col.dtype.hasobject:
                _feed(h, col.to_numpy())
            else:  # strings (and anything else) as JSON: exact, and one C call
                h.update(json.dumps(col.tolist(), default=repr).encode())
    elif isinstance(x, PackedChart) and x.key:
        h.update(b"chart|" + x.key)
    else:
        raise Unkeyable(type(x).__name__)


def fingerprint(name: str, args: tuple, kwargs: dict) -> bytes:
    """A digest of a builder's name and arguments (raises `Unkeyable`)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(name.encode())
    _feed(h, args)
    _feed(h, kwargs)
    return h.digest()


def _size(chart: PackedChart) -> int:
    frames = sum(int(f.memory_usage(index=False).sum()) for f in chart.frames().values())
    return ENTRY_OVERHEAD + frames + sum(len(b) for _, b in chart.arrow)


class ChartCache:
    """A least-recently-used store of packed charts, bounded in bytes and count."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_charts: int = MAX_CHARTS):
        self.max_bytes, self.max_charts = max_bytes, max_charts
        self._kept: OrderedDict[bytes, tuple[PackedChart, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: bytes) -> PackedChart | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: bytes, chart: PackedChart) -> None:
        size = _size(chart)
        if size > self.max_bytes // 4:  # one huge chart would push out everyone else's
            return
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = (chart, size)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._kept) > self.max_charts:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0


CACHE = ChartCache()


def _with_summary(chart: Chart) -> Chart:
    """`chart` with its words for a screen reader worked out once (where charts have them),
    so a hit does not read its data again."""
    describe = getattr(_charts, "describe", None)
    if describe is None or not hasattr(chart, "summary") or chart.summary:
        return chart
    return replace(chart, summary=describe(chart))


def build_once(name: str, parts: tuple, build: Callable[[], Chart]) -> Chart:
    """The chart `build()` makes, kept under `name` and a fingerprint of `parts`, which must
    hold everything `build` reads (for a chart whose frame costs more than the chart)."""
    key = fingerprint(name, parts, {})
    chart = CACHE.get(key)
    if chart is None:
        chart = _with_summary(packed(build(), key))
        CACHE.put(key, chart)
    return chart


def _marker_frame(x: float, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return marker_frame(x, frames[MARKER].columns[0])  # the chart's own x field


# Arguments that only place a one-row dataset of their own (the outlined row, the grey rule):
# the spec and the other data do not depend on them. The key holds only whether one is
# given; a kept chart takes the value by swapping that dataset in (name, its frame from the
# value and the chart's frames), so a move reuses the packed data and sends the same spec.
PLACED = {"highlight_row": (OUTLINE, outline_frame), "marker_x": (MARKER, _marker_frame)}


def cached(builder, name: str):
    """`builder` (returning a `Chart`) with its packed results kept in `CACHE`; the
    arguments in PLACED swap a small dataset into the kept chart instead of keying it."""
    def build(*args, **kwargs):
        placed = {arg: kwargs[arg] for arg in PLACED if kwargs.get(arg) is not None}
        try:
            key = fingerprint(name, args, {**kwargs, **{arg: True for arg in placed}})
        except Unkeyable:
            return builder(*args, **kwargs)
        chart = CACHE.get(key)
        if chart is None:
            chart = builder(*args, **kwargs)
            if not isinstance(chart, Chart):
                return chart
            chart = _with_summary(packed(chart, key))
            CACHE.put(key, chart)
            return chart
        for arg, value in placed.items():
            dataset, frame_of = PLACED[arg]
            frames = chart.frames()
            if dataset in frames:
                frame = frame_of(value, frames)
                if not frame.equals(frames[dataset]):
                    chart = chart.with_frame(dataset, frame)
        return chart
    build.__name__ = build.__qualname__ = getattr(builder, "__name__", name)
    build.__doc__ = builder.__doc__
    return build


class CachedCharts:
    """A chart module whose builders (functions returning a `Chart`) are `cached`; its
    constants and other names read through unchanged."""

    def __init__(self, module: ModuleType, builders: tuple[str, ...]):
        self._module = module
        self._builders = {n: cached(getattr(module, n), f"{module.__name__}.{n}")
                          for n in builders}

    def __getattr__(self, name: str):
        if name in self._builders:
            return self._builders[name]
        return getattr(self._module, name)


charts = CachedCharts(_charts, ("bars", "curves", "head_grid", "heatmap", "lines",
                                "stats_heat_table"))
lesson_charts = CachedCharts(_lessons, ("head_scatter", "with_blocks"))
