"""The cross-session chart cache: exact keys, shared results, bounded size."""

import numpy as np
import pandas as pd
import pytest

from attention import charts as plain
from attention.dashboard import chart_cache as cc
from attention.dashboard.display import PackedChart

TOKS = ["the", "cat", "sat"]


def key(*args, **kwargs) -> bytes:
    return cc.fingerprint("heatmap", args, kwargs)


def test_the_fingerprint_changes_with_every_part_of_the_arguments():
    w = np.eye(3, dtype=np.float32)
    base = key(w, TOKS, TOKS, kind="weights")
    assert base == key(w.copy(), list(TOKS), list(TOKS), kind="weights")
    changed = w.copy()
    changed[2, 1] = np.nextafter(np.float32(0), np.float32(1))  # the smallest change
    assert base != key(changed, TOKS, TOKS, kind="weights")
    assert base != key(w.astype(np.float64), TOKS, TOKS, kind="weights")  # same values, dtype
    assert base != key(w.reshape(1, 3, 3), TOKS, TOKS, kind="weights")  # same bytes, shape
    assert base != key(w, ["the", "cat", "mat"], TOKS, kind="weights")
    assert base != key(w, ["the", "ca", "tsat"], TOKS, kind="weights")  # same letters, split
    assert base != key(w, TOKS, TOKS, kind="scores")
    assert base != key(w, TOKS, TOKS, kind="weights", highlight_row=1)
    assert key(w, TOKS, TOKS, highlight_row=1) != key(w, TOKS, TOKS, highlight_row=True)
    f = pd.DataFrame({"x": TOKS, "y": [0.1, 0.2, 0.3]})
    g = f.assign(y=[0.1, 0.2, 0.31])
    assert cc.fingerprint("bars", (f,), {}) != cc.fingerprint("bars", (g,), {})


def test_a_cached_builder_returns_the_same_packed_chart_for_equal_arguments():
    cc.CACHE.clear()
    w = np.random.default_rng(0).random((3, 3))
    first = cc.charts.heatmap(w, TOKS, TOKS, kind="weights", title="t")
    again = cc.charts.heatmap(w.copy(), list(TOKS), TOKS, kind="weights", title="t")
    assert isinstance(first, PackedChart) and again is first
    fresh = plain.heatmap(w, TOKS, TOKS, kind="weights", title="t")
    assert first.spec == fresh.spec
    pd.testing.assert_frame_equal(first.data, fresh.data)
    assert set(first.streamlit_spec()["datasets"]) == set(fresh.frames())
    other = cc.charts.heatmap(w, TOKS, TOKS, kind="weights", title="u")
    assert other is not first and other.spec != first.spec
    assert cc.charts.RECT_MAX_CELLS == plain.RECT_MAX_CELLS  # constants read through


def test_a_chart_made_from_a_cached_chart_is_keyed_on_it():
    cc.CACHE.clear()
    w = np.random.default_rng(1).random((3, 3))
    inner = cc.charts.heatmap(w, TOKS, TOKS, kind="scores")
    outer = cc.lesson_charts.with_blocks(inner, ["cat"])
    assert cc.lesson_charts.with_blocks(cc.charts.heatmap(w, TOKS, TOKS, kind="scores"),
                                        ["cat"]) is outer
    assert outer.spec["layer"][-1]["mark"]["type"] == "rule"  # the block line is there


def test_unknown_arguments_run_the_builder_uncached():
    calls = []

    def builder(x):
        calls.append(x)
        return plain.Chart({"mark": "point"})

    build = cc.cached(builder, "t.builder")
    build(object())
    build(object())
    assert len(calls) == 2
    with pytest.raises(cc.Unkeyable):
        cc.fingerprint("t", (np.array([object()]),), {})


def test_the_cache_stays_within_its_bytes_dropping_the_least_recently_used():
    made = {i: cc.packed(plain.heatmap(np.full((3, 3), i / 8), TOKS, TOKS), bytes([i]))
            for i in range(8)}
    size = cc._size(made[0])
    store = cc.ChartCache(max_bytes=int(4.5 * size), max_charts=100)  # room for four
    for i, chart in made.items():
        store.put(bytes([i]), chart)
        store.get(bytes([0]))  # the first stays in use
    assert store._bytes <= store.max_bytes
    assert store.get(bytes([0])) is made[0]
    assert store.get(bytes([1])) is None  # the oldest unused went first
    assert store.get(bytes([7])) is made[7]
    assert sum(store.get(bytes([i])) is not None for i in range(8)) == 4
