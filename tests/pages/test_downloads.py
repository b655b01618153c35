"""The download panel: nothing is made until Prepare; then a Save button that holds no bytes
(the file is fetched from the shared cache on click); one download in flight per visitor,
across tabs; a tensor whose CSV would be too big is offered as NPY only."""

import dataclasses
from concurrent.futures import Future

import numpy as np
import pytest

from attention import export
from attention.dashboard import downloads
from attention.dashboard.page_parts import LIMITS
from attention.export.pool import Job

from .conftest import open_page


def _save_buttons(at):
    """The download panel's Save buttons (not the sidebar's session summary)."""
    return [b for b in at.get("download_button") if b.key != "session_summary"]


@pytest.fixture
def pool():
    return downloads.service(LIMITS.export_workers, LIMITS.export_cache_mb)


@pytest.fixture
def held(pool):
    """A download of "visitor-under-test" that never finishes while the test runs."""
    fut = Future()
    fut.set_running_or_notify_cancel()
    with pool._lock:
        pool._running["held-key"] = fut
        pool._owners["visitor-under-test"] = "held-key"
    timeout, pool.timeout_s = pool.timeout_s, 0.5
    yield fut
    pool.timeout_s = timeout
    with pool._lock:
        pool._running.pop("held-key", None)
        pool._owners.pop("visitor-under-test", None)


def _pick_never_made_tensor(at):
    what = at.selectbox(key="dl-single_head-what")
    what.select(next(o for o in what.options if o.startswith("Tensor: k "))).run()
    at.radio(key="dl-single_head-array-format").set_value("NPY").run()


def test_nothing_is_made_until_prepare_then_a_deferred_file_is_offered():
    at = open_page("single_head")
    assert not _save_buttons(at)
    at.button(key="dl-single_head-prepare").click().run()
    assert not at.exception
    (save,) = _save_buttons(at)
    assert save.proto.label.startswith("Save single_head-scores.png")
    # Deferred: the button names a callable, not a stored file, so the tab pins no bytes.
    assert save.proto.deferred_file_id and not save.proto.url
    at.selectbox(key="dl-single_head-what").select("Tensor: weights (8, 8)").run()
    assert not _save_buttons(at)  # a new view: the old button is gone
    at.radio(key="dl-single_head-array-format").set_value("CSV").run()
    at.button(key="dl-single_head-prepare").click().run()
    (save,) = _save_buttons(at)
    assert "single_head-weights.csv" in save.proto.label and save.proto.deferred_file_id


def test_the_save_callable_gives_the_file_from_the_shared_cache(pool):
    v = np.arange(12, dtype=np.float32).reshape(3, 4) / 12
    the_job = Job("CSV", (v, ["a", "b", "c"], ["w", "x", "y", "z"]))
    first = pool.build("ip:192.0.2.1", the_job)
    click = downloads.saver(pool, "ip:192.0.2.2", the_job)
    assert click() == first == export.csv(v, ["a", "b", "c"], ["w", "x", "y", "z"])
    assert pool.cached(the_job.key()) == first


def test_a_tensor_above_the_csv_cap_is_offered_as_npy_only(monkeypatch):
    monkeypatch.setattr(downloads, "LIMITS", dataclasses.replace(LIMITS, export_csv_mb=0))
    at = open_page("single_head")
    at.selectbox(key="dl-single_head-what").select("Tensor: weights (8, 8)").run()
    (fmt,) = [r for r in at.radio if r.key.startswith("dl-single_head-array-format")]
    assert fmt.options == ["NPY"]
    assert any("NPY only" in c.value for c in at.caption)
    at.button(key="dl-single_head-prepare").click().run()
    (save,) = _save_buttons(at)
    assert "single_head-weights.npy" in save.proto.label


def test_another_tab_of_the_same_visitor_waits_then_is_told(monkeypatch, held):
    monkeypatch.setattr(downloads, "visitor_id", lambda: "visitor-under-test")
    at = open_page("single_head")
    _pick_never_made_tensor(at)
    at.button(key="dl-single_head-prepare").click().run()
    assert not at.exception and not _save_buttons(at)
    assert any("one at a time" in w.value for w in at.warning)


def test_another_visitor_is_not_held_by_that_download(monkeypatch, held):
    monkeypatch.setattr(downloads, "visitor_id", lambda: "ip:198.51.100.20")
    at = open_page("single_head")
    _pick_never_made_tensor(at)
    at.button(key="dl-single_head-prepare").click().run()
    assert not at.exception and not at.warning
    (save,) = _save_buttons(at)
    assert "single_head-k.npy" in save.proto.label
