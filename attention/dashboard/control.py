"""One declaration per control: its URL validation, its widget and the bound on its value.

A `Control` says once what a control is (kind, range or options, default, label, help)
and which cap in `settings.Limits` bounds it. From it come the three things that must
agree: the `Param` that cleans a link's value before the widget exists, the keyed widget
bound to the URL, and the bound applied to the value read back (a forged widget message
skips the browser's checks). Pages get their controls through `PageControls`, which
validates them all first and refuses to draw (or read, or set) one it did not validate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any

import streamlit as st

from attention.dashboard.hosting import forget_widget_state, refused_widget_states
from attention.dashboard.params import Param, bounded, clamp_state, clean_link
from attention.settings import Limits

WIDGETS = {"number", "slider", "toggle", "select", "radio", "segmented", "text_input", "text_area"}
KIND_OF_WIDGET = {"number": {"int", "float"}, "slider": {"int", "float"}, "toggle": {"bool"},
                  "select": {"choice", "int"}, "radio": {"choice", "int"},
                  "segmented": {"choice"}, "text_input": {"text"}, "text_area": {"text"}}
INT_CAPS = {f.name for f in fields(Limits) if f.type in ("int", int)}
REFUSED_NOTE = ("A value sent for a control was of a kind it cannot hold (a number for a "
                "text, NaN or infinity); it was ignored and the control kept its value.")


@dataclass(frozen=True)
class Control:
    """A keyed widget bound to the URL parameter of the same name.

    The upper end of a number (or a text's length) is `hi`, lowered to the `Limits` field
    `cap` where one is named; with neither, it depends on the input (the query index of an
    n-token sentence) and the page gives it at run time (`PageControls(..., hi={key: n})`).
    """

    key: str  # the URL parameter and the widget key
    label: str
    widget: str  # one of WIDGETS
    kind: str = ""  # "int" | "float" | "bool" | "choice" | "text"; default: from the widget
    default: Any = None
    lo: float = 0
    hi: float | None = None
    cap: str | None = None  # a `Limits` field bounding `hi` in this deployment
    step: float | None = None
    options: tuple = ()  # for select, radio and segmented
    help: str | None = None
    allow_empty: bool = False  # a number input that may be cleared (its default is None)

    def __post_init__(self):
        if not self.kind:
            object.__setattr__(self, "kind", {"number": "int", "slider": "int", "toggle": "bool",
                                              "text_input": "text", "text_area": "text"}
                               .get(self.widget, "choice"))
        if self.widget not in WIDGETS or self.kind not in KIND_OF_WIDGET[self.widget]:
            raise ValueError(f"control {self.key!r}: a {self.widget!r} widget cannot hold {self.kind!r}")
        if self.cap is not None and self.cap not in INT_CAPS:
            raise ValueError(f"control {self.key!r}: cap {self.cap!r} is not a number in Limits")
        if self.widget in ("select", "radio", "segmented") and not self.options:
            raise ValueError(f"control {self.key!r}: a {self.widget} needs options")

    @property
    def runtime_range(self) -> bool:
        """The upper end is given by the page at run time (it depends on the input)."""
        return (self.kind in ("int", "float") and not self.options and self.hi is None
                and self.cap is None)

    def resolved(self, limits: Limits, hi: float | None = None) -> Control:
        """This control with `hi` a number: the cap applied, or the run-time value."""
        if self.kind not in ("int", "float", "text") or self.options:
            return self
        top = self.hi if hi is None else hi
        if self.cap is not None:
            cap = getattr(limits, self.cap)
            top = cap if top is None else min(top, cap)
        if top is None:
            raise ValueError(f"control {self.key!r} needs its upper end at run time")
        return self.within(top)

    def within(self, hi: float, default=None) -> Control:
        """This control up to `hi` (at least `lo`), its default (or `default`) kept inside."""
        top = max(hi, self.lo)
        default = self.default if default is None else default
        if self.kind in ("int", "float") and not self.options and default is not None:
            default = type(default)(min(max(default, self.lo), top))
        return replace(self, hi=top, default=default)

    def param(self) -> Param:
        """What a link's value may be (on a resolved control)."""
        if self.kind == "text":
            return Param(self.key, "text", max_chars=int(self.hi))
        if self.kind == "choice":
            return Param(self.key, "choice", choices=tuple(str(o) for o in self.options))
        if self.kind in ("int", "float") and self.options:
            return Param(self.key, self.kind, lo=min(self.options), hi=max(self.options),
                         values=tuple(self.options))
        return Param(self.key, self.kind, lo=self.lo, hi=self.hi, allow_empty=self.allow_empty)

    def from_link(self, raw: str | None):
        """A (validated) link's value as this control holds it; the default if absent."""
        if raw is None:
            return self.default
        if self.kind in ("int", "float"):
            try:
                number = float(raw)
                return int(number) if self.kind == "int" else number
            except (ValueError, OverflowError):
                return self.default
        return raw == "true" if self.kind == "bool" else raw

    def bound(self, value):
        """The widget's value kept to the declaration (on a resolved control)."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "text":
            return (value if isinstance(value, str) else "")[: int(self.hi)]
        if self.options:
            return value if value in self.options else self.default
        if value is None and self.allow_empty:
            return None
        fallback = self.default if self.default is not None else type(self.lo)(self.lo)
        return bounded(value, self.lo, self.hi, fallback)

    def draw(self, container=None, **shown) -> Any:
        """Create the widget (on a resolved control) and return its bounded value.

        Args:
            shown: presentation only (disabled, placeholder, height, horizontal,
                format_func, a page's own label or help): never a range or a default,
                which the declaration owns.
        """
        try:
            return self._draw(container, **shown)
        except (TypeError, ValueError, OverflowError):
            # A forged state for a widget this session had not drawn yet (its kind unknown
            # when it arrived, so not refused then) fails in Streamlit's deserializer here.
            forget_widget_state(self.key)
            target = container if container is not None else st
            target.warning(f"{self.label}: the value sent for this control cannot be held by "
                           "it; it is back to its default (and shows again on the next run).",
                           icon=":material/block:")
            return self.bound(self.default)

    def _draw(self, container=None, **shown) -> Any:
        target = container if container is not None else st
        label = shown.pop("label", self.label)
        common = dict(key=self.key, bind="query-params", help=self.help) | shown
        if self.kind in ("int", "float") and not self.options:
            clamp_state(self.key, self.lo, self.hi)  # its range may have moved since the last run
        if self.widget == "number":
            value = target.number_input(label, min_value=self.lo, max_value=self.hi,
                                        value=self.default, step=self.step, **common)
        elif self.widget == "slider":
            # A slider needs lo < hi: a one-value range shows disabled at its only value.
            if self.hi <= self.lo:
                common["disabled"] = True
            value = target.slider(label, min_value=self.lo, max_value=max(self.hi, self.lo + 1),
                                  value=self.default, step=self.step, **common)
        elif self.widget == "toggle":
            value = target.toggle(label, value=bool(self.default), **common)
        elif self.widget in ("select", "radio"):
            index = self.options.index(self.default) if self.default in self.options else 0
            make = target.selectbox if self.widget == "select" else target.radio
            value = make(label, list(self.options), index=index, **common)
        elif self.widget == "segmented":
            value = target.segmented_control(label, list(self.options), default=self.default,
                                             required=True, **common)
        else:
            make = target.text_input if self.widget == "text_input" else target.text_area
            value = make(label, value=self.default or "", max_chars=int(self.hi), **common)
        return self.bound(value)


class PageControls:
    """A page's controls, validated from the link before any of them is drawn."""

    def __init__(self, controls: tuple[Control, ...], limits: Limits,
                 hi: dict[str, float] | None = None):
        """Resolve every control against `limits` and the run-time ends `hi`, then clean
        the link's values for all of them (call before the first of their widgets)."""
        hi = hi or {}
        unknown = set(hi) - {c.key for c in controls}
        if unknown:
            raise ValueError(f"run-time ranges for undeclared controls: {sorted(unknown)}")
        self.controls = {c.key: c.resolved(limits, hi.get(c.key)) for c in controls}
        self.notes = clean_link([c.param() for c in self.controls.values()])
        if refused_widget_states():
            st.warning(REFUSED_NOTE, icon=":material/block:")

    def __getitem__(self, key: str) -> Control:
        try:
            return self.controls[key]
        except KeyError:
            raise KeyError(f"control {key!r} is not declared for this page, so its link value "
                           "was never validated") from None

    def narrow(self, key: str, hi: float) -> None:
        """Lower control `key`'s upper end to `hi` for the rest of this run (a range known
        only once other controls are read, such as the rows of a map with tokens hidden).
        Call before its widget: a link's value above `hi` then seeds it as `hi`, without a
        note (the value was valid for the page)."""
        control = self[key]
        self.controls[key] = control.within(min(hi, control.hi))
        clean_link([self.controls[key].param()])

    def current(self, key: str) -> Any:
        """The value control `key` shows this run, read before its widget is drawn (for a
        chart above it): its state, else the link's validated value, else its default."""
        control = self[key]
        value = st.session_state.get(key)
        if value is None:
            value = control.from_link(st.query_params.get(key))
        return control.bound(value)

    def set(self, key: str, value) -> None:
        """Put `value`, kept to the control's range, into its widget; call from a callback,
        so the widget, every chart and the URL follow on the run it starts. A callback of a
        widget inside a section (`st.fragment`) reruns only that section: one that sets a
        control drawn outside it ends with `rerun_page()`."""
        st.session_state[key] = self[key].bound(value)

    def reset(self, key: str) -> None:
        """Forget control `key`'s value before its widget is drawn this run, so it opens at
        the default its `draw` gives (a new run's slider opens at the run's last step)."""
        self[key]
        st.session_state.pop(key, None)

    def setter(self, key: str, page: bool = False) -> Callable[[Any], None]:
        """`set` for control `key` as a one-argument callback (a click that picks a row);
        `page`: then rerun the whole page (the control is drawn outside the clicked section)."""
        self[key]  # refuse an undeclared control now, not in a later run's callback
        return partial(_set_then_rerun, self, key) if page else partial(self.set, key)

    def draw(self, key: str, container=None, *, hi: float | None = None, default=None,
             reruns: Sequence[str] = (), **shown) -> Any:
        """Draw control `key`; `hi` may narrow its range further for this run, `default`
        move its default (both within the validated range).

        Args:
            reruns: the keys of the sections (`st.fragment(key=...)`) that are all this
                control changes: moving it reruns only them, not the page. Each reads the
                control with `current(key)`. Empty: the page reruns.
        """
        control = self[key]
        if hi is not None:
            control = control.within(min(hi, control.hi), default)
        elif default is not None:  # a choice has no range: only its default moves
            control = (replace(control, default=default) if control.hi is None
                       else control.within(control.hi, default))
        if reruns:
            shown["on_change"] = partial(rerun_sections, tuple(reruns))
        return control.draw(container, **shown)


def rerun_sections(keys: tuple[str, ...]) -> None:
    """From a widget callback: rerun only the sections named `keys` (their fragment keys);
    the rest of the page stays as it is, and the moved widget's URL parameter follows."""
    st.rerun(list(keys))


def rerun_page() -> None:
    """From a widget callback inside a section: rerun the whole page, not only the section
    (the callback changed a control drawn outside it)."""
    st.rerun()


def _set_then_rerun(controls: PageControls, key: str, value) -> None:
    controls.set(key, value)
    rerun_page()
