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

Hiding the menu item does not stop a client that sends the `clear_cache` message itself,
and Streamlit 1.67 has no setting or hook for it; so the hosted profile also replaces the
session's handler of that message with one that logs and ignores it (when Streamlit still
has a handler by that name; otherwise nothing changes and the menu alone is hidden).
"""

from __future__ import annotations

import logging

import streamlit as st

from attention.settings import Limits

HOSTED_OPTIONS = {"client.showErrorDetails": "none", "client.toolbarMode": "minimal"}


def apply_profile(limits: Limits) -> bool:
    """Set the hosted profile's client options; True if any changed (then rerun once)."""
    if limits.profile != "hosted":
        return False
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
