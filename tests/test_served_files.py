"""A clicked (deferred) download outlives the ends of runs for its grace time, then goes."""

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from attention.dashboard import served_files


@pytest.fixture
def manager():
    assert served_files.keep_served_files()
    assert served_files.keep_served_files()  # once per process, however often asked
    return MediaFileManager(MemoryMediaFileStorage("/media"))


def _click(mgr: MediaFileManager, data: bytes) -> str:
    file_id = mgr.add_deferred(lambda: data, "application/octet-stream", "1.2.3", "x.npy")
    url = mgr.execute_deferred(file_id)
    return url.rsplit("/", 1)[-1]


def test_a_served_file_survives_the_ends_of_runs_within_its_grace(manager):
    name = _click(manager, b"served bytes")
    for _ in range(5):  # five runs end elsewhere on the server before the browser asks
        manager.remove_orphaned_files()
    assert manager.read_file(name).content == b"served bytes"


def test_after_its_grace_a_served_file_is_dropped(manager, monkeypatch):
    name = _click(manager, b"old bytes")
    monkeypatch.setattr(served_files, "GRACE_S", 0.0)
    manager.remove_orphaned_files()  # marked
    manager.remove_orphaned_files()  # dropped
    assert manager.read_file(name) is None
    assert name.split(".")[0] not in served_files._born


def test_files_of_sessions_are_dropped_as_streamlit_does(manager):
    # An ordinary (non-deferred) file no session holds goes at the second end of a run.
    manager.add(b"image", "image/png", "1.0")
    manager.clear_session_refs("dontcare")
    manager.remove_orphaned_files()
    manager.remove_orphaned_files()
    assert not manager._file_metadata
