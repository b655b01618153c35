"""The load tool speaks Streamlit's websocket protocol: sessions load, rerun, no errors."""

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.harness import Server, in_own_thread

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load  # dataclasses look their module up here
_spec.loader.exec_module(load)


@pytest.fixture(scope="module")
def noop_server(tmp_path_factory):
    server = Server("bench/noop_app.py", tmp_path_factory.mktemp("noop"))
    try:
        yield server.url, server.proc.pid
    finally:
        server.stop()


def test_two_sessions_rerun_without_errors(noop_server):
    url, pid = noop_server
    r = in_own_thread(load.main, [f"{url}/", "--sessions", "2", "--duration", "4", "--interval",
                                  "1", "--ramp", "0", "--rerun-timeout", "20"])
    assert r["errors"] == 0, r["error_samples"]
    assert r["loads"] == 2
    assert r["reruns"] > 0
    assert r["notes"] == ["changed: number_input 'Seed'"]
    assert str(pid) in r["server_processes"]
    assert r["cpu_s_per_run"] is not None


def test_refuses_non_loopback():
    with pytest.raises(SystemExit):
        in_own_thread(load.main, ["http://192.0.2.1:8501/", "--sessions", "1", "--duration", "1"])


def test_percentile_nearest_rank():
    assert load.percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert load.percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert load.percentile([], 50) != load.percentile([], 50)  # nan
