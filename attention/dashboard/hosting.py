"""What the hosted profile changes in Streamlit itself, however the profile was chosen.

`make run PROFILE=hosted` passes command-line flags, but a deployment that selects the
profile with `profile = "hosted"` in .streamlit/secrets.toml (Community Cloud) or with
ATTENTION_PROFILE=hosted alone has no flags. So the entry file applies the client options
at run time, before anything else the script does:

- client.showErrorDetails = "none": an error shows a generic notice, never its type,
  message or frames (server paths);
- client.toolbarMode = "minimal": the viewer menu offers no "Clear cache" (which clears
  every visitor's caches) and no rerun.

Streamlit reads showErrorDetails when an error happens, but sends toolbarMode with each
run's start; so the first run that changes an option reruns at once (once per process),
after `st.navigation` has resolved the page (a rerun before it would open the default page).

Whatever the profile, widget states that a browser cannot send are refused as they arrive
(`refuse_forged_widget_states`): a value of another type than the widget registered (a
number for a text box, an integer for a radio) or a number that is NaN or infinite.
Streamlit reads those before the script runs (its on-change callbacks deserialize every
changed widget), where no page code can catch what it raises; refused, the widget keeps its
last value and the page says a value was ignored (`refused_widget_states`).

On the hosted profile a session's runs are also paced (`pace_reruns`): a run that starts
less than `RERUN_INTERVAL_S` after the session's last one waits out the rest first, and
leaves at once if a newer rerun arrives meanwhile. A person never notices (a click is
seconds apart; a dragged slider lands on its last value), but one tab that sends 20 new
values a second (a script) gets at most 1/RERUN_INTERVAL_S runs of work a second, each on
its latest value: Streamlit's own `runner.fastReruns false` serialises such a flood, yet
still ran 13-15 runs a second for it (bench/flood.py).

Hiding the menu item does not stop a client that sends the `clear_cache` message itself,
and Streamlit 1.67 has no setting or hook for it; so the hosted profile also replaces the
session's handler of that message with one that logs and ignores it (when Streamlit still
has a handler by that name; otherwise nothing changes and the menu alone is hidden).
"""

from __future__ import annotations

import logging
import math
import time

import streamlit as st

from attention.dashboard.forward_gate import guards_on
from attention.settings import Limits

HOSTED_OPTIONS = {"client.showErrorDetails": "none", "client.toolbarMode": "minimal"}
RERUN_INTERVAL_S = 0.25  # a session's runs start at least this far apart (hosted)
LAST_RUN_KEY = "_run_started_at"


def apply_profile(limits: Limits) -> bool:
    """Set the hosted profile's client options; True if any changed (then rerun once)."""
    refuse_forged_widget_states()
    if limits.profile != "hosted":
        return False
    if guards_on():
        pace_reruns()
    refuse_clear_cache()
    changed = False
    for key, value in HOSTED_OPTIONS.items():
        if st.get_option(key) != value:
            st.set_option(key, value)
            changed = True
    return changed


def refuse_clear_cache() -> bool:
    """Ignore `clear_cache` messages from clients in this process; True if in place."""
    from streamlit.runtime.app_session import AppSession

    current = getattr(AppSession, "_handle_clear_cache_request", None)
    if current is None:
        return False
    if getattr(current, "refused", False):
        return True

    def _refused(self) -> None:
        logging.getLogger(__name__).warning("A client asked to clear every cache; refused "
                                            "(hosted profile).")

    _refused.refused = True
    AppSession._handle_clear_cache_request = _refused
    return True


REFUSED_KEY = "_refused_widget_states"  # in a session's state: how many were refused


# What a browser really sends for a registered value type, where the two differ: a number
# input registers "double_value" but the browser sends "int_value" for an integer one.
SENT_AS = {"double_value": {"double_value", "int_value"}}


def _acceptable(state, metadata) -> bool:
    """A widget state a browser could have sent for a widget registered as `metadata`."""
    field = state.WhichOneof("value")
    if field is None:  # no value (a cleared number input)
        return True
    if metadata is not None and field not in SENT_AS.get(metadata.value_type, {metadata.value_type}):
        return False
    if field == "double_value":
        return math.isfinite(state.double_value)
    if field == "double_array_value":
        return all(math.isfinite(v) for v in state.double_array_value.data)
    return True


def refuse_forged_widget_states() -> bool:
    """Drop, as they arrive, widget states of the wrong type or non-finite numbers; True if
    in place (Streamlit still has the method it wraps)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.state.session_state import SessionState

    current = getattr(SessionState, "set_widgets_from_proto", None)
    if current is None:
        return False
    if getattr(current, "refuses", False):
        return True

    def checked(self, widget_states) -> None:
        metadata = self._new_widget_state.widget_metadata
        kept = [w for w in widget_states.widgets if _acceptable(w, metadata.get(w.id))]
        refused = len(widget_states.widgets) - len(kept)
        if refused:
            logging.getLogger(__name__).warning("Refused %d widget state(s) no browser sends.",
                                                refused)
            self._new_session_state[REFUSED_KEY] = refused
            widget_states = WidgetStates(widgets=kept)
        current(self, widget_states)

    checked.refuses = True
    SessionState.set_widgets_from_proto = checked
    return True


def refused_widget_states() -> int:
    """How many widget states this session's last message had that were refused."""
    return int(st.session_state.pop(REFUSED_KEY, 0) or 0)


def pace_reruns(interval: float = RERUN_INTERVAL_S, poll: float = 0.02) -> float:
    """Start this run at least `interval` s after the session's last one; seconds waited.
    A newer rerun request arriving meanwhile ends this run at once (Streamlit's own
    rerun exception), so a flood coalesces to its latest value."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    last = st.session_state.get(LAST_RUN_KEY)
    start = now = time.monotonic()
    if ctx is not None and isinstance(last, float):
        while now < last + interval:
            ctx.yield_check()  # raises when a newer rerun (or a stop) is waiting
            time.sleep(min(poll, last + interval - now))
            now = time.monotonic()
    st.session_state[LAST_RUN_KEY] = now
    return now - start


def forget_widget_state(key: str) -> int:
    """Drop the stored state of the widget keyed `key` (it failed to load); how many."""
    from streamlit.runtime.state.common import user_key_from_element_id
    from streamlit.runtime.state.session_state_proxy import get_session_state

    widgets = get_session_state()._state._new_widget_state
    gone = [wid for wid in list(widgets.states) if user_key_from_element_id(wid) == key]
    for wid in gone:
        del widgets.states[wid]
    return len(gone)
