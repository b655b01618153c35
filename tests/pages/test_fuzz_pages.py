"""Fuzzing the pages: random links and widget values never raise and never show NaN."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention.dashboard.page_registry import PAGES as REGISTERED
from attention.dashboard.page_registry import SHARED

from .conftest import PAGES, assert_clean, open_page

# At least 300 examples in CI; FUZZ_EXAMPLES trims a local run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every declared URL name (a new control is fuzzed from the day it is declared), and two
# names no page knows.
KEYS = sorted({c.key for c in SHARED} | {c.key for p in REGISTERED for c in p.controls}
              | {"unknown_name", "embed"})

numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", "-inf", "1e-400", "0", "-0", "1", "2",
                     "1024", "1025", "16", "17", "true", "false", "designed",
                     # digits Python reads but a link should not mean (str.isdigit() is true)
                     "²", "①", "¹²³", "١٢", "１２", "1_000", "3 ²"]),
)
# Words that are code in a JavaScript expression, and odd tokens: as chart labels they
# must stay data. Over 32 tokens the maps are images, where they once blanked the chart.
RESERVED = ["if", "constructor", "toString", "valueOf", "__proto__", "hasOwnProperty", "this",
            "function", "return", "null", "undefined", "NaN", "Infinity", "datum", "</script>",
            '"', "'", "\\", "`", "${x}", "}", "😀", "\u200b"]
reserved_texts = st.lists(st.sampled_from(RESERVED), min_size=1, max_size=6).map(
    lambda words: " ".join(words) + " a" * 32)
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["", " ", "x" * 20000, "\x00\x1b[31m", "<script>alert(1)</script>",
                     "![img](http://127.0.0.1/x.png)", "![](//ab.cd)", "3 ![](//ab.cd) 4",
                     ":red[x] :material/bolt: $x$", "a " * 3000, "😀" * 50, "[CLS] [SEP]",
                     *RESERVED, " ".join(RESERVED), "if" + " a" * 32, "constructor" + " a" * 40]),
    reserved_texts,
)
queries = st.dictionaries(st.sampled_from(KEYS), st.one_of(numbers, texts), max_size=6)


@FUZZ
@given(page=st.sampled_from(sorted(set(PAGES) - {"overview"})), query=queries)
def test_random_links_render_cleanly(page, query):
    at = open_page(page, query)
    assert_clean(at)


@settings(max_examples=max(EXAMPLES // 5, 10), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(page=st.sampled_from(["single_head", "multi_head", "causal", "entropy"]),
       key=st.sampled_from(["tokens", "d_model", "heads", "seed"]),
       value=st.integers(min_value=-10**12, max_value=10**12), text=texts)
def test_forged_widget_values_are_bounded(page, key, value, text):
    """Values the browser would refuse (out of range) arrive as a forged message could send them."""
    at = open_page(page)
    at.sidebar.number_input(key=key).set_value(value)
    at.sidebar.text_area(key="text").set_value(text)
    at.run()
    assert_clean(at)
