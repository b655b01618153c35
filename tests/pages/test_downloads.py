"""The download panel: nothing is made until Prepare; then a Save button with the file;
a visitor with a download still in flight is told so, in the page."""

from concurrent.futures import Future

from attention.dashboard import downloads
from attention.dashboard.page_parts import LIMITS

from .conftest import open_page


def _save_buttons(at):
    """The download panel's Save buttons (not the sidebar's session summary)."""
    return [b for b in at.get("download_button") if b.key != "session_summary"]


def test_nothing_is_made_until_prepare_then_a_file_is_offered():
    at = open_page("single_head")
    assert not _save_buttons(at)
    at.button(key="dl-single_head-prepare").click().run()
    assert not at.exception
    (save,) = _save_buttons(at)
    assert save.proto.label.startswith("Save single_head-scores.png")
    assert save.proto.url.endswith(".png")
    at.selectbox(key="dl-single_head-what").select("Tensor: weights (8, 8)").run()
    assert not _save_buttons(at)  # a new view: the old file is gone
    at.radio(key="dl-single_head-array-format").set_value("CSV").run()
    at.button(key="dl-single_head-prepare").click().run()
    (save,) = _save_buttons(at)
    assert "single_head-weights.csv" in save.proto.label and save.proto.url.endswith(".csv")


def test_a_second_download_in_flight_gets_a_message_not_a_file():
    svc = downloads.service(LIMITS.export_workers, LIMITS.export_cache_mb)
    held = Future()
    held.set_running_or_notify_cancel()
    with svc._lock:  # a download of this visitor's that has not finished yet
        svc._running["held-key"] = held
        svc._owners["visitor-under-test"] = "held-key"
    try:
        at = open_page("single_head")
        at.session_state[downloads.OWNER_KEY] = "visitor-under-test"
        what = at.selectbox(key="dl-single_head-what")
        what.select(next(o for o in what.options if o.startswith("Tensor: k "))).run()
        at.radio(key="dl-single_head-array-format").set_value("NPY").run()  # never made before
        at.button(key="dl-single_head-prepare").click().run()
        assert not at.exception and not _save_buttons(at)
        assert any("one at a time" in w.value for w in at.warning)
    finally:
        with svc._lock:
            svc._running.pop("held-key", None)
            svc._owners.pop("visitor-under-test", None)
