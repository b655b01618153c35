"""The load tool speaks Streamlit's websocket protocol: sessions load, rerun, no errors."""

import pytest

from bench import load
from harness.browser import Server, in_own_thread


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
