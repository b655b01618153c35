"""Sections that rerun alone: a page control that changes one section reruns only it.

AppTest holds what a run sent: after a section's rerun (an `st.fragment`) that is the
section alone, so these tests see which elements a control's move redrew. The link stays
the whole state: the section's new view equals the one a link with that value builds.
"""

from __future__ import annotations

import pytest

from tests.pages.conftest import assert_clean, chart_by_title, charts, open_page, spec


def titles(at) -> list[str]:
    return [spec(c).get("title") for c in charts(at)]


def test_query_slider_reruns_only_the_query_sections():
    at = open_page("single_head")
    everything = titles(at)
    at.slider(key="query").set_value(3).run()
    assert not at.exception
    redrawn = titles(at)
    assert not at.title and not at.sidebar.number_input, "the page reran, not its section"
    assert any(t.startswith("Where the query looks") for t in redrawn), redrawn
    assert any(h.value.startswith("Query 3:") for h in at.subheader)  # the bars' heading
    # The sections the query does not change (the scaling experiment, the positional
    # encoding) were not sent again.
    assert len(redrawn) < len(everything)
    assert not any(t.startswith(("Variance of q·k", "Positional encoding")) for t in redrawn)


def test_temperature_reruns_the_maps_but_not_the_scaling_experiment():
    at = open_page("single_head")
    at.slider(key="temperature").set_value(2.0).run()
    assert not at.exception and not at.title
    redrawn = titles(at)
    assert any(t.endswith("÷ T=2") for t in redrawn), redrawn
    assert any(t.startswith("Positional encoding") for t in redrawn)
    assert not any(t.startswith("Variance of q·k") for t in redrawn)


# AppTest reruns the whole script for a widget drawn inside a fragment (the browser reruns
# the fragment: tests/browser/test_sections.py); a control drawn above its sections and
# naming them (`reruns=`) reruns only those in AppTest too (`alone`).
@pytest.mark.parametrize("page, widget, key, value, link, alone", [
    ("single_head", "slider", "query", 4, {"query": "4"}, True),
    ("single_head", "slider", "temperature", 0.5, {"temperature": "0.5"}, True),
    ("multi_head", "number_input", "head_b", 3, {"head_b": "3"}, True),
    ("multi_head", "slider", "query", 5, {"query": "5"}, False),
    ("causal", "slider", "step", 2, {"step": "2"}, True),
    ("entropy", "segmented_control", "preset", "Designed heads", {"preset": "designed"}, False),
])
def test_a_section_rerun_draws_what_the_link_draws(page, widget, key, value, link, alone):
    """Each chart a section's rerun sends equals the same chart of the page opened from a
    link holding the new value: fragments and URL state agree."""
    moved = open_page(page)
    getattr(moved, widget)(key=key).set_value(value).run()
    assert not moved.exception
    assert bool(moved.title) != alone, f"moving {key} on {page}: alone={alone}"
    linked = open_page(page, link)
    assert_clean(linked)
    sent = charts(moved)
    assert sent
    for chart in sent:
        title = spec(chart).get("title")
        twin = chart_by_title(linked, title if isinstance(title, str) else "")
        assert spec(twin) == spec(chart), title
        assert [d.data.data for d in twin.proto.datasets] == \
            [d.data.data for d in chart.proto.datasets], title


def test_compare_heads_reruns_only_the_comparison():
    at = open_page("multi_head")
    at.number_input(key="head_a").set_value(2).run()
    assert not at.exception and not at.title
    redrawn = titles(at)
    assert "head 2 − head 1 (weights)" in redrawn
    assert len(redrawn) == 2, redrawn  # the difference and the similarity, nothing else


def test_dk_reruns_every_section_and_seed_the_page():
    at = open_page("single_head")
    n = len(charts(at))
    at.number_input(key="dk").set_value(8).run()  # d_k changes every section's charts
    assert not at.exception and not at.title
    assert len(charts(at)) == n
    at = open_page("single_head")
    at.sidebar.number_input(key="seed").set_value(5).run()  # a shared input: the page
    assert at.title and len(charts(at)) == n
