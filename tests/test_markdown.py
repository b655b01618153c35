"""A visitor's text shown in Markdown renders as exactly its characters, and nothing more."""

from __future__ import annotations

import string

import pytest
from markdown_it import MarkdownIt

from attention.dashboard.markdown import escape

RENDER = MarkdownIt("commonmark").enable("table").enable("strikethrough")

HOSTILE = [
    "![](//ab.cd)", "[click](https://ab.cd)", "<img src=//ab.cd>", "`code` **bold** _it_",
    "# heading", "> quote", "1. list", "| a | b |", "~~gone~~", "a\\*b", "&amp; &lt;",
    "`` ` ``", string.punctuation,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_plain_text(text):
    html = RENDER.render(escape(text))
    for tag in ("<img", "<a ", "<code", "<strong", "<em", "<h1", "<blockquote", "<ol",
                "<table", "<s>"):
        assert tag not in html, (text, html)
    inline = RENDER.parseInline(escape(text))[0].children
    assert "".join(t.content for t in inline if t.type == "text") == text


def test_every_ascii_punctuation_is_escaped_and_nothing_else():
    assert escape("a-b c") == "a\\-b c"
    assert escape("ids 3 17 ²") == "ids 3 17 ²"
    assert escape("two\nlines") == "two lines"  # a line break cannot start a block
