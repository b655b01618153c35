"""One validation path for every value that arrives in a URL, before any widget sees it.

Widgets are bound to the URL with `bind="query-params"`, so a copied link reproduces a
view. Streamlit seeds a bound widget from the link's query string on a session's first
run; out-of-range values are silently ignored there and some (an integer too large for
a float) raise. So each run first rewrites the seeding values: numbers are clamped into
range, nonsense is dropped, text is cut to its cap and stripped of control characters,
and the page lists what changed in a small notice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

# Private Streamlit API (get_session_state().query_params(), _initial_query_params,
# set_initial_query_params, is_bound, remove_param): pinned by
# tests/test_streamlit_internals.py; re-check on any Streamlit upgrade.
from streamlit.runtime.state.session_state_proxy import get_session_state

_TRUE = {"true", "1", "yes", "on"}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?inf(?:inity)?",
                     re.IGNORECASE)
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Param:
    """What one URL parameter may hold."""

    key: str
    kind: str  # "int" | "float" | "bool" | "text" | "choice"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()  # for "choice": the option labels, as Streamlit writes them
    max_chars: int = 0
    allow_empty: bool = False  # "?tokens=" clears a number input whose default is None
    values: tuple[float, ...] = ()  # a number picked from options (a radio): those options

    def clean(self, raw: str) -> tuple[str | None, str | None]:
        """(value to keep or None to drop, a note for the learner or None)."""
        raw = raw.strip() if self.kind != "text" else raw
        if self.kind == "text":
            return self._clean_text(raw)
        if raw == "" and self.allow_empty:
            return "", None
        if self.kind == "bool":
            low = raw.lower()
            if low in _TRUE | _FALSE:
                return ("true" if low in _TRUE else "false"), None
            return None, f"`{self.key}` must be true or false; ignored"
        if self.kind == "choice":
            # Case and spacing are forgiven, and a label's first word will do ("designed").
            wanted = " ".join(raw.lower().replace("+", " ").replace("_", " ").split())
            for label in self.choices:
                if wanted in (label.lower(), label.lower().split()[0]):
                    return label, None
            return None, f"`{self.key}` must be one of {', '.join(self.choices)}; ignored"
        return self._clean_number(raw)

    def _clean_number(self, raw: str) -> tuple[str | None, str | None]:
        # ASCII only: float() also reads "١٢", "１２" and "1_000", which a link should not mean
        if not _NUMBER.fullmatch(raw[:64]):
            return None, f"`{self.key}` is not a number; ignored"
        value = float(raw[:64])
        clamped = min(max(value, self.lo), self.hi)  # inf lands on a bound
        if self.values:  # only an option will do: the nearest one (the smaller on a tie)
            nearest = min(self.values, key=lambda v: (abs(v - clamped), v))
            if nearest != value:
                text = str(int(nearest)) if self.kind == "int" else repr(float(nearest))
                shown = raw if len(raw) <= 12 else raw[:12] + "…"
                options = ", ".join(_fmt(v) for v in sorted(self.values))
                return text, f"`{self.key}={shown}` is not one of {options}; using {text}"
            clamped = nearest
        if self.kind == "int":
            clamped = int(round(clamped))
            text = str(clamped)
        else:
            text = repr(float(clamped))
        if clamped != value:
            shown = raw if len(raw) <= 12 else raw[:12] + "…"
            return text, f"`{self.key}={shown}` is outside [{_fmt(self.lo)}, {_fmt(self.hi)}]; using {text}"
        return text, None

    def _clean_text(self, raw: str) -> tuple[str | None, str | None]:
        notes = []
        text = "".join(ch for ch in raw if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
                       or ch in " ")
        if text != raw:
            notes.append("control characters removed")
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
            notes.append(f"cut to {self.max_chars} characters")
        note = f"`{self.key}`: {', '.join(notes)}" if notes else None
        return text, note


def _fmt(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:g}")


def clean_link(params: list[Param]) -> list[str]:
    """Rewrite the URL values Streamlit will seed widgets from; return notes on changes.

    Call before the widgets of `params` are created. Only the first run of a session
    (or a page change, or history navigation) seeds from the URL; on other runs the
    seeding values are already clean and this returns no notes.
    """
    notes: list[str] = []
    with get_session_state().query_params() as qp:
        initial = {k: list(v) for k, v in qp._initial_query_params.items()}
        changed = False
        for p in params:
            values = initial.get(p.key)
            if values is None:
                continue
            raw = values[-1] if values else ""
            value, note = p.clean(raw)
            if note:
                notes.append(note)
            if value is None:
                del initial[p.key]
                if not qp.is_bound(p.key):
                    qp.remove_param(p.key)
                changed = True
            elif [value] != values:
                initial[p.key] = [value]
                changed = True
        if changed:
            qp.set_initial_query_params(urlencode(initial, doseq=True))
    return notes


def clamp_state(key: str, lo: float, hi: float) -> None:
    """Keep a keyed widget's stored value inside bounds that depend on other controls."""
    value = st.session_state.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < lo or value > hi:
            st.session_state[key] = type(value)(min(max(value, lo), hi))


def show_notes(notes: list[str]) -> None:
    """A small notice listing what the link validation changed."""
    if notes:
        st.info("This link had values we adjusted: " + "; ".join(notes) + ".", icon=":material/link:")


def bounded(value, lo: float, hi: float, default):
    """A widget's value kept in [lo, hi]: the browser enforces bounds, a forged message need not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return default
    return type(default)(min(max(value, lo), hi))
