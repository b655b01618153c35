"""Text from a visitor (a link, a widget) shown inside Streamlit's Markdown as plain text."""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# leaves no link, image, emphasis, code span, HTML, or Streamlit directive (":red[...]",
# ":material/icon:", "$math$") for a visitor's text to open.
_PUNCTUATION = re.compile(r"""([!-/:-@\[-`{-~])""")


def escape(text: str) -> str:
    """`text` as Markdown that renders as exactly these characters, with line breaks as spaces."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
