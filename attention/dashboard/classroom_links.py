"""A page's view as link values: every control's current value as a link writes it, what
differs from the defaults, and the server's own address (for the links a class shares)."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from attention.dashboard.control import Control
from attention.dashboard.page_registry import SHARED
from attention.dashboard.page_registry import page as registered_page


def _as_link(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def page_controls_of(url_path: str) -> tuple[Control, ...]:
    p = registered_page(url_path)
    return SHARED + (p.controls if p else ())


def view_values(url_path: str) -> dict[str, str]:
    """The current value of every control of the page and the sidebar, as a link writes it
    (from the widgets' state, else the link)."""
    out = {}
    for c in page_controls_of(url_path):
        raw = st.session_state[c.key] if c.key in st.session_state else st.query_params.get(c.key)
        text = _as_link(raw)
        if text is not None:
            out[c.key] = text
    return out


def changed(url_path: str, values: dict[str, str]) -> list[tuple[str, str]]:
    """The values that differ from their controls' defaults: what a banner says."""
    defaults = {c.key: _as_link(c.default) for c in page_controls_of(url_path)}
    return [(k, v) for k, v in values.items() if defaults.get(k, v) != v and k != "workshop"]


def describe(url_path: str, values: dict[str, str]) -> str:
    p = registered_page(url_path)
    title = p.title if p else url_path
    parts = [f"{k}={v if len(v) <= 24 else v[:23] + '…'}" for k, v in changed(url_path, values)]
    return title + (f" ({', '.join(parts)})" if parts else "")


def base_url() -> str:
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001 - no request context (a test)
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
