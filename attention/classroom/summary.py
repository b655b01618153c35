"""A learner's session summary as Markdown: the questions met, the predictions, the answers,
and the links of the views seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

MAX_VIEWS = 60  # views kept in a summary (the last ones)


@dataclass(frozen=True)
class Answered:
    """One question met: what was asked, what the learner predicted, the answer."""

    title: str  # the page's title
    question: str
    prediction: str | None  # None: met but not answered
    answer: str | None  # None: not revealed to the learner yet
    explanation: str = ""


@dataclass(frozen=True)
class View:
    title: str
    path: str  # url path ("" for the overview)
    params: tuple[tuple[str, str], ...] = ()

    def link(self, base: str = "") -> str:
        query = urlencode(self.params)
        return f"{base}/{self.path}" + (f"?{query}" if query else "")


def remember(views: list[View], view: View, keep: int = MAX_VIEWS) -> None:
    """Add `view` unless it is the last one; keep the last `keep`."""
    if not views or views[-1] != view:
        views.append(view)
    del views[:-keep]


def _line(text: str) -> str:
    """One line of plain text (no line breaks that would start a new Markdown block)."""
    return " ".join(str(text).split())


def markdown(answered: Sequence[Answered], views: Sequence[View], base: str = "",
             class_code: str | None = None) -> str:
    """The summary document."""
    out = ["# Attention Explorer: my session", ""]
    if class_code:
        out += [f"Class `{class_code}`.", ""]
    out += ["## Predictions", ""]
    if not answered:
        out.append("No question met yet.")
    for a in answered:
        out.append(f"### {_line(a.title)}")
        out.append("")
        out.append(f"- **Question:** {_line(a.question)}")
        if a.prediction is None:
            out.append("- **My prediction:** (not made)")
        elif a.answer is None:
            out.append(f"- **My prediction:** {_line(a.prediction)}")
            out.append("- **Answer:** (not revealed yet)")
        else:
            mark = "right" if a.prediction == a.answer else "not quite"
            out.append(f"- **My prediction:** {_line(a.prediction)} ({mark})")
            out.append(f"- **Answer:** {_line(a.answer)}")
            if a.explanation:
                out.append(f"- **Why:** {_line(a.explanation)}")
        out.append("")
    out += ["## Views I saw", ""]
    if not views:
        out.append("None yet.")
    for v in views:
        out.append(f"- {_line(v.title)}: <{v.link(base)}>")
    out.append("")
    return "\n".join(out)
