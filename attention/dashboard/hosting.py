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
run's start; so the first run that changes an option reruns at once (once per process).
"""

from __future__ import annotations

import streamlit as st

from ..settings import Limits

HOSTED_OPTIONS = {"client.showErrorDetails": "none", "client.toolbarMode": "minimal"}


def apply_profile(limits: Limits) -> None:
    """Set the hosted profile's client options; rerun once if any changed."""
    if limits.profile != "hosted":
        return
    changed = False
    for key, value in HOSTED_OPTIONS.items():
        if st.get_option(key) != value:
            st.set_option(key, value)
            changed = True
    if changed:
        st.rerun()
