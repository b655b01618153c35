"""A deferred download stays fetchable for a short grace time after it is made.

With `st.download_button(data=callable)` (Streamlit >= 1.52) the file is made when the
visitor clicks, stored in the media store under a new id that no session holds, and its
URL sent to the browser, which then fetches it. Streamlit drops every file no session
holds at the end of any script run, after marking it once: on a busy server two runs end
within the browser's round trip. Measured (bench/downloads_memory.py, 28 tabs on
/pretrained, 2 cores): 15 of 28 downloads answered 404.

`keep_served_files()` makes the media store's delete skip a served file for `GRACE_S`
seconds after it was made; it goes at the first end of a run after that. Memory stays
bounded: a file lives about `GRACE_S` after its click (identical bytes share one id).
Without the private names this relies on (pinned in tests/pages/test_downloads.py),
nothing changes.
"""

from __future__ import annotations

import threading
import time

GRACE_S = 60.0  # a slow link fetches a few MB well within this

_born: dict[str, float] = {}  # media file id -> when its deferred download was made
_lock = threading.Lock()


def keep_served_files() -> bool:
    """Patch Streamlit's media file manager once per process; True if in place."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    execute = getattr(MediaFileManager, "execute_deferred", None)
    delete = getattr(MediaFileManager, "_delete_file", None)
    if execute is None or delete is None:
        return False
    if getattr(execute, "keeps_served", False):
        return True

    def execute_deferred(self, file_id: str) -> str:
        url = execute(self, file_id)
        served = url.rsplit("/", 1)[-1].split(".", 1)[0]
        with _lock:
            _born[served] = time.monotonic()
        return url

    def _delete_file(self, file_id: str) -> None:
        with _lock:
            born = _born.get(file_id)
            if born is not None and time.monotonic() - born < GRACE_S:
                return  # still marked: the next end of a run after the grace drops it
            _born.pop(file_id, None)
        delete(self, file_id)

    execute_deferred.keeps_served = True
    MediaFileManager.execute_deferred = execute_deferred
    MediaFileManager._delete_file = _delete_file
    return True


def served_count() -> int:
    """Served files still within (or waiting out) their grace time."""
    with _lock:
        return len(_born)
