"""Downloads built off the server's interpreter lock: a small process pool, a bounded
cache of finished files, and at most one download in flight per visitor.

A Streamlit server runs every visitor's script on one interpreter. Drawing a PNG of a
big chart (vl-convert) or writing a large CSV held that interpreter for a second or
more, and every other visitor waited. Here the work runs in worker processes started
with "forkserver" (no copy of the server's threads or memory; workers import numpy,
pandas and vl-convert only, never torch) at a lower CPU priority, while the waiting
thread holds no lock.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sys
import threading
import types
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attention.export import worker as export_worker
from attention.export.worker import release_memory


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose workers import only `export_worker`, never the app.

    multiprocessing makes a new process re-import the parent's `__main__` from its file;
    inside a Streamlit script run `__main__` is the app script itself, which would import
    torch and run the page in every worker. So the workers (and the fork server they come
    from) are all started at once, here, while `__main__` is a module with no file.
    """
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["attention.export.worker"])
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=export_worker.init_worker)
    main, bare = sys.modules.get("__main__"), types.ModuleType("__main__")
    sys.modules["__main__"] = bare
    try:
        started = [pool.submit(export_worker.ping) for _ in range(workers)]
    finally:
        if sys.modules.get("__main__") is bare and main is not None:
            sys.modules["__main__"] = main
    for fut in started:
        fut.result(timeout=120)
    return pool


class ExportRefused(Exception):
    """A download that is not started now; the message says why, for the visitor."""


class VisitorBusy(ExportRefused):
    """The visitor (all their tabs) already has another download in flight: `pending`."""

    def __init__(self, message: str, pending: Future):
        super().__init__(message)
        self.pending = pending


@dataclass(frozen=True)
class Job:
    """One download: a format of `export_worker` and its plain arguments."""

    fmt: str  # "PNG" | "SVG" | "CSV" | "NPY"
    args: tuple

    def key(self) -> str:
        """A digest of what the file will contain (same content -> same key)."""
        h = hashlib.sha256(self.fmt.encode())
        for a in self.args:
            _digest(h, a)
        return h.hexdigest()


def _digest(h, value) -> None:
    if isinstance(value, pd.DataFrame):
        h.update(json.dumps(list(map(str, value.columns))).encode())
        h.update(pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())
    elif isinstance(value, np.ndarray):
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    else:  # a spec dict, labels, a scale: JSON is enough
        h.update(json.dumps(value, sort_keys=True, default=str).encode())


class ExportService:
    """Builds downloads in `workers` processes; keeps up to `cache_mb` of finished files.

    Args:
        workers: processes in the pool (started on first use).
        cache_mb: finished files kept, least recently used dropped first.
        max_queue: jobs waiting or running at once; more are refused.
        timeout_s: longest a caller waits for one file.
    """

    BIG_FILE = export_worker.BIG_FILE  # a file this large schedules a `release_memory`
    TRIM_DELAY_S = 15.0  # long enough for Streamlit to drop a served file (two script runs)

    def __init__(self, workers: int = 1, cache_mb: int = 64, max_queue: int = 8,
                 timeout_s: float = 60.0):
        self.workers, self.max_queue, self.timeout_s = max(1, workers), max_queue, timeout_s
        self._trim_timer: threading.Timer | None = None
        self.cache_bytes = cache_mb * 2**20
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._running: dict[str, Future] = {}  # key -> its future (shared by every caller)
        self._owners: dict[str, str] = {}  # visitor -> key of their download in flight
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _start_pool(self.workers)
        return self._pool

    def cached(self, key: str) -> bytes | None:
        with self._lock:
            data = self._cache.get(key)
            if data is not None:
                self._cache.move_to_end(key)
            return data

    def submit(self, owner: str, job: Job) -> tuple[str, Future]:
        """Start `job` for `owner` (or join the same job already running).

        Raises:
            ExportRefused: `owner` has another download in flight, or the queue is full.
        """
        key = job.key()
        with self._lock:
            if key in self._cache:
                done: Future = Future()
                done.set_result(self._cache[key])
                self._cache.move_to_end(key)
                return key, done
            mine = self._owners.get(owner)
            if mine is not None and mine != key and mine in self._running:
                raise VisitorBusy("Your previous download is still being prepared; "
                                  "one at a time per visitor. Try again when it is ready.",
                                  self._running[mine])
            fut, started = self._running.get(key), False
            if fut is None:
                if len(self._running) >= self.max_queue:
                    raise ExportRefused("The server is preparing many downloads right now; "
                                        "try again in a few seconds.")
                fut, started = self._executor().submit(export_worker.build, job.fmt, job.args), True
                self._running[key] = fut
            self._owners[owner] = key
        if started:  # outside the lock: a job already done runs `_finish` here, at once
            fut.add_done_callback(lambda f, k=key: self._finish(k, f))
        return key, fut

    def _finish(self, key: str, fut: Future) -> None:
        with self._lock:
            self._running.pop(key, None)
            for owner in [o for o, k in self._owners.items() if k == key]:
                del self._owners[owner]
            if fut.cancelled() or fut.exception() is not None:
                return
            data = fut.result()
            if len(data) >= self.BIG_FILE:
                self.trim_later()
            if len(data) > self.cache_bytes or key in self._cache:
                return
            self._cache[key] = data
            self._size += len(data)
            while self._size > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._size -= len(old)

    def build(self, owner: str, job: Job, poll=None) -> bytes:
        """Submit and wait (holding no lock); `poll(seconds_waited, queued)` is called
        between short waits, so a caller can show progress or be interrupted. While the
        visitor's other download (another tab's) is in flight, this one waits its turn
        (`queued` True) rather than being refused, within the same `timeout_s`.

        Raises:
            ExportRefused: refused, failed or took longer than `timeout_s`.
        """
        waited = 0.0
        while True:
            try:
                _, fut = self.submit(owner, job)
                break
            except VisitorBusy as busy:
                try:
                    busy.pending.result(timeout=0.25)
                except FutureTimeout:
                    waited += 0.25
                except Exception:  # noqa: BLE001 - its failure is its own caller's to report
                    pass
                if waited >= self.timeout_s:
                    raise
                if poll is not None:
                    poll(waited, True)
        while True:
            try:
                return fut.result(timeout=0.25)
            except FutureTimeout:
                waited += 0.25
                if waited >= self.timeout_s:
                    raise ExportRefused(f"The download took longer than {self.timeout_s:.0f} s "
                                        "and was given up; try a smaller view.") from None
                if poll is not None:
                    poll(waited, False)
            except ExportRefused:
                raise
            except Exception as e:  # a worker that failed or died
                if isinstance(e, BrokenProcessPool):
                    with self._lock:
                        self._pool = None  # the next download starts a fresh pool
                raise ExportRefused(f"The download could not be made ({type(e).__name__}).") from e

    def trim_later(self) -> None:
        """`release_memory` in `TRIM_DELAY_S`, once for any number of calls meanwhile."""
        timer = self._trim_timer
        if timer is not None and timer.is_alive():
            return
        timer = threading.Timer(self.TRIM_DELAY_S, release_memory)
        timer.daemon = True
        self._trim_timer = timer
        timer.start()

    def stats(self) -> dict:
        with self._lock:
            return {"cached": len(self._cache), "cached_bytes": self._size,
                    "running": len(self._running), "owners": len(self._owners)}

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
