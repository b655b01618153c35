"""Downloads off the lock: the pool makes the same bytes, caches them (bounded), and lets a
visitor have one download in flight."""

import io
import subprocess
import sys
from concurrent.futures import Future

import numpy as np
import pytest

from attention import charts, export
from attention.export.pool import ExportRefused, ExportService, Job

TOKS = ["the", "cat", "sat"]


class HeldPool:
    """An executor whose jobs finish only when the test says so."""

    def __init__(self):
        self.futures: list[Future] = []

    def submit(self, fn, *args):
        fut = Future()
        fut.set_running_or_notify_cancel()
        self.futures.append(fut)
        return fut

    def shutdown(self, **_):
        pass


def held_service(**kw) -> tuple[ExportService, HeldPool]:
    s = ExportService(**kw)
    s._pool = HeldPool()
    return s, s._pool


def test_pool_makes_the_same_files_as_in_process():
    v = np.arange(9, dtype=float).reshape(3, 3) / 9
    chart = charts.heatmap(v, TOKS, TOKS, title="t")
    s = ExportService(workers=1)
    try:
        png = s.build("a", Job("PNG", export.chart_parts(chart) + (1.0,)))
        assert png == export.png(*export.chart_parts(chart), scale=1.0)
        csv = s.build("a", Job("CSV", (v, TOKS, TOKS)))
        assert csv == export.csv(v, TOKS, TOKS)
        npy = s.build("a", Job("NPY", (v,)))
        assert np.array_equal(np.load(io.BytesIO(npy), allow_pickle=False), v)
        assert s.stats()["cached"] == 3 and s.stats()["running"] == 0
    finally:
        s.shutdown()


def test_one_download_in_flight_per_visitor():
    s, pool = held_service()
    a, b = Job("NPY", (np.zeros(3),)), Job("NPY", (np.ones(3),))
    s.submit("alice", a)
    with pytest.raises(ExportRefused, match="one at a time"):
        s.submit("alice", b)
    _, again = s.submit("alice", a)  # the same file: she joins the job she started
    assert again is pool.futures[0] and len(pool.futures) == 1
    s.submit("bob", b)  # someone else is not held up
    assert len(pool.futures) == 2
    pool.futures[0].set_result(b"done")
    _, fut = s.submit("alice", b)  # hers finished: she may start another (joins bob's)
    assert fut is pool.futures[1]


def test_a_visitors_second_download_waits_for_the_first_then_runs():
    s, pool = held_service(timeout_s=30)
    a, b = Job("NPY", (np.zeros(3),)), Job("NPY", (np.ones(3),))
    s.submit("alice", a)  # tab 1's download, in flight
    seen = []

    def poll(waited, queued):
        seen.append(queued)
        if len(seen) == 3:
            pool.futures[0].set_result(b"first")  # tab 1's file is ready
        if len(pool.futures) == 2 and not pool.futures[1].done():
            pool.futures[1].set_result(b"second")
    assert s.build("alice", b, poll=poll) == b"second"  # tab 2: waited, then ran
    assert seen[:3] == [True, True, True] and len(pool.futures) == 2


def test_a_visitors_wait_is_bounded():
    s, pool = held_service(timeout_s=0.5)
    s.submit("alice", Job("NPY", (np.zeros(3),)))
    with pytest.raises(ExportRefused, match="one at a time"):
        s.build("alice", Job("NPY", (np.ones(3),)))
    assert len(pool.futures) == 1  # the second never reached the pool


def test_a_big_file_schedules_one_memory_release(monkeypatch):
    from attention.export import pool as pool_module

    calls = []
    monkeypatch.setattr(pool_module, "release_memory", lambda: calls.append(1) or True)
    monkeypatch.setattr(ExportService, "TRIM_DELAY_S", 0.05)
    s, pool = held_service()
    for i in range(3):
        s.submit(f"v{i}", Job("NPY", (np.full(3, i),)))
    for fut in pool.futures:
        fut.set_result(bytes(ExportService.BIG_FILE))
    s._trim_timer.join(2)
    assert calls == [1]  # three big files, one release


def test_release_memory_trims_on_glibc():
    import platform

    from attention.export.worker import release_memory

    assert release_memory() is (platform.libc_ver()[0] == "glibc")  # elsewhere a no-op


def test_csv_size_estimate_is_close_to_the_real_csv():
    rng = np.random.default_rng(0)
    for shape, labels in (((40, 40), True), ((6, 30, 30), False), ((50,), False)):
        v = rng.random(shape).astype(np.float32)
        rows = [f"t{i}" for i in range(shape[0])] if labels else None
        real = len(export.csv(v, rows, rows))
        assert 0.8 * real <= export.csv_size(shape) <= 1.4 * real


def test_a_job_done_before_its_callback_is_registered_does_not_deadlock():
    class DonePool(HeldPool):
        def submit(self, fn, *args):
            fut = Future()
            fut.set_result(b"made at once")  # a tiny file, done before submit returns
            self.futures.append(fut)
            return fut

    s = ExportService(timeout_s=5)
    s._pool = DonePool()
    assert s.build("alice", Job("NPY", (np.zeros(1),))) == b"made at once"
    assert s.stats()["running"] == 0 and s.stats()["cached"] == 1


def test_same_content_is_built_once_and_cached():
    s, pool = held_service()
    _, f1 = s.submit("alice", Job("CSV", (np.eye(2), ["a", "b"], ["a", "b"])))
    _, f2 = s.submit("bob", Job("CSV", (np.eye(2), ["a", "b"], ["a", "b"])))
    assert f1 is f2 and len(pool.futures) == 1
    pool.futures[0].set_result(b"x,y")
    _, f3 = s.submit("carol", Job("CSV", (np.eye(2), ["a", "b"], ["a", "b"])))
    assert f3.result(0) == b"x,y" and len(pool.futures) == 1
    _, f4 = s.submit("carol", Job("CSV", (np.eye(2), ["a", "c"], ["a", "b"])))  # other labels
    assert len(pool.futures) == 2


def test_cache_and_queue_are_bounded():
    s, pool = held_service(cache_mb=1, max_queue=2)
    for i in range(2):
        s.submit(f"v{i}", Job("NPY", (np.full(3, i),)))
    with pytest.raises(ExportRefused, match="many downloads"):
        s.submit("v9", Job("NPY", (np.full(3, 9),)))
    for fut in pool.futures:
        fut.set_result(bytes(600 * 1024))  # two of 0.6 MB cannot both stay in 1 MB
    st = s.stats()
    assert st["cached"] == 1 and st["cached_bytes"] <= 2**20 and st["running"] == 0


def test_a_failed_job_is_reported_not_cached():
    s, pool = held_service()
    _, fut = s.submit("alice", Job("NPY", (np.zeros(2),)))
    pool.futures[0].set_exception(RuntimeError("worker died"))
    assert s.stats()["cached"] == 0
    s2, pool2 = held_service()
    pool2.futures.append(None)  # build() submits, then sees the failure

    def fail_soon(*_):
        pool2.futures[-1].set_exception(RuntimeError("boom"))
    with pytest.raises(ExportRefused, match="could not be made"):
        s2.build("bob", Job("NPY", (np.ones(2),)), poll=fail_soon)


def test_worker_module_imports_no_torch():
    code = "import sys, attention.export.worker; assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_workers_never_run_the_app_script(tmp_path, monkeypatch):
    """Inside a Streamlit run `__main__` is the app script; a worker must not re-run it."""
    marker = tmp_path / "ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    fake_main = type(sys)("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    s = ExportService(workers=1)
    try:
        assert s.build("a", Job("NPY", (np.arange(3),))).startswith(b"\x93NUMPY")
    finally:
        s.shutdown()
    assert sys.modules["__main__"] is fake_main
    assert not marker.exists()


def test_the_face_names_only_what_exists():
    """attention.export's lazy face: every name it offers loads, and nothing else does."""
    for name in export.__all__:
        assert callable(getattr(export, name)), name
    with pytest.raises(AttributeError):
        export.chart_png  # noqa: B018 - not offered: png(*chart_parts(chart)) makes it
