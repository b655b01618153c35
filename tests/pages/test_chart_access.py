"""Charts a screen reader can read and a projector can show: each chart's accessible name
says its data, and workshop mode sets larger chart text; the overview offers the handout."""

from __future__ import annotations

import pytest

from .conftest import assert_clean, charts, open_page, spec


def _names(at) -> list[str]:
    return [c.proto.alt for c in charts(at)]


def test_every_chart_has_words_from_its_data_that_follow_the_data():
    a = open_page("single_head")
    assert_clean(a)
    names = _names(a)
    assert names and all(n.strip() for n in names), names
    weights = next(n for n in names if n.startswith("3. Weights"))
    assert "queries ×" in weights and "Strongest: query '" in weights
    b = open_page("single_head", {"seed": "5"})
    assert_clean(b)
    def weights_chart(at):
        return next(c for c in charts(at) if c.proto.alt.startswith("3. Weights"))

    assert spec(weights_chart(a)) == spec(weights_chart(b))  # the same spec...
    assert weights_chart(a).proto.alt != weights_chart(b).proto.alt  # ...other numbers in words


def test_workshop_mode_draws_larger_chart_text():
    plain, big = open_page("causal"), open_page("causal", {"workshop": "true"})
    for chart in charts(plain):
        assert spec(chart)["config"]["axis"].get("labelFontSize") is None
    for chart in charts(big):
        config = spec(chart)["config"]
        assert config["axis"]["labelFontSize"] >= 14 and config["legend"]["labelFontSize"] > 14


def test_the_overview_offers_the_printable_handout():
    at = open_page("overview")
    assert_clean(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("Printable handout" in label for label in labels), labels


@pytest.mark.slow
def test_a_workshop_folds_the_pretrained_table_and_q_k_under_more():
    folded = ("More: every statistic of every head", "More: this head's queries q and keys k")
    at = open_page("pretrained", {"workshop": "true"})
    assert_clean(at)
    labels = [e.label for e in at.expander]
    assert all(any(label.startswith(f) for label in labels) for f in folded), labels
    plain = open_page("pretrained")
    assert not any(e.label.startswith(folded) for e in plain.expander)
    assert len(charts(plain)) == len(charts(at))  # folded, not dropped
