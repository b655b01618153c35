"""What each page says against what it shows: references, positions, padding, controls."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from attention.dashboard.lessons import LESSONS
from attention.dashboard.page_registry import PAGES, PATH

from .conftest import (
    assert_clean,
    chart_by_title,
    chart_data,
    charts,
    html_tables,
    open_page,
    outlined_rows,
    spec,
)

MEAN_LN = float(np.mean(np.log(np.arange(1, 9))))  # 1.326


def reference(chart) -> tuple[float, str]:
    """The dashed reference line of a bars/lines chart: its value and its label."""
    layers = spec(chart)["layer"]
    rule = next(ly for ly in layers if ly["mark"]["type"] == "rule" and "y" in ly["encoding"])
    text = next(ly for ly in layers if ly["mark"]["type"] == "text" and "y" in ly["encoding"]
                and "datum" in ly["encoding"]["y"])
    return rule["encoding"]["y"]["datum"], text["mark"]["text"]


def page_text(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "title", "subheader")
                    for e in at.get(kind))


def test_multi_head_causal_reference_is_the_causal_maximum():
    at = open_page("multi_head", {"preset": "designed", "causal": "true"})
    assert_clean(at)
    for title in ("Mean entropy per head", "Each head:"):
        value, label = reference(chart_by_title(at, title))
        assert value == pytest.approx(MEAN_LN, abs=1e-4) and "ln(i + 1)" in label
    bars = chart_data(chart_by_title(at, "Mean entropy per head"))[0]
    assert bars["entropy"].iloc[2] == pytest.approx(MEAN_LN, abs=1e-4)  # the global head


def test_entropy_causal_references_are_the_causal_maximum():
    at = open_page("entropy", {"causal": "true"})
    assert_clean(at)
    for title in ("Entropy against temperature", "Mean entropy per head"):
        value, label = reference(chart_by_title(at, title))
        assert value == pytest.approx(MEAN_LN, abs=1e-4) and "ln(i + 1)" in label
    # "most focused" is not the trivial row 0, and one-key rows do not count as 0 %
    sweep = chart_data(chart_by_title(at, "Entropy against temperature"))[0]
    assert (sweep[sweep.series == "most focused row"]["entropy"] > 0).all()
    per_query = chart_data(chart_by_title(at, "Entropy per query token"))[0]
    e, mx = per_query["entropy"].to_numpy()[1:], per_query["maximum"].to_numpy()[1:]
    assert [m.value for m in at.metric][2] == f"{(e / mx).mean():.0%}"


def test_entropy_sweep_colours_avoid_the_reference_red():
    at = open_page("entropy")
    chart = chart_by_title(at, "Entropy against temperature")
    layers = spec(chart)["layer"]
    colours = layers[0]["encoding"]["color"]["scale"]["range"]
    rule = next(ly for ly in layers if ly["mark"]["type"] == "rule")
    assert rule["mark"]["color"] not in colours and len(set(colours)) == 3


def test_entropy_per_head_follows_temperature_and_says_d_k_does_not_apply():
    at = open_page("entropy", {"temperature": "1.0"})
    before = chart_data(chart_by_title(at, "Mean entropy per head"))[0]["entropy"].to_numpy()
    at.slider(key="temperature").set_value(4.0).run()
    after = chart_data(chart_by_title(at, "Mean entropy per head"))[0]["entropy"].to_numpy()
    assert (after > before).all()
    assert "d_k control does not apply" in page_text(at)


def test_designed_lesson_numbers_match_the_entropy_page():
    at = open_page("entropy", {"preset": "designed"})
    e = chart_data(chart_by_title(at, "Mean entropy per head"))[0]["entropy"].to_numpy()
    local, previous, glob, first = e
    assert previous < 0.05 and first < 0.05 and glob == pytest.approx(math.log(8), abs=1e-4)
    assert 1.15 < local < 1.35
    assert "local head near 1.25 nats" in LESSONS["entropy"]["try"]


def test_designed_heads_break_without_positions_and_the_page_says_why():
    at = open_page("multi_head", {"preset": "designed", "pos": "false"})
    assert_clean(at)
    grid = chart_data(charts(at)[0])[0]
    np.testing.assert_allclose(grid["value"], 1 / 8, atol=1e-5)  # every head uniform
    assert "Positional encoding is **off**" in page_text(at)
    at = open_page("multi_head", {"preset": "designed"})
    grid = chart_data(charts(at)[0])[0]
    assert grid["value"].max() > 0.99  # the previous-token and first heads are sharp


def test_padding_is_labelled_and_the_unmasked_map_says_so():
    at = open_page("causal", {"pad": "2"})
    assert_clean(at)
    full = charts(at)[0]
    title = spec(full)["title"]
    assert title == "Without the causal mask: every key but [PAD]"
    frame = chart_data(full)[0]
    keys = frame.drop_duplicates("key").sort_values("key")["key_token"].str.strip("\u200b")
    assert list(keys)[-2:] == ["[PAD]", "[PAD]"] and "[PAD]" not in list(keys)[:-2]
    rows = frame.drop_duplicates("query").sort_values("query")["query_token"].str.strip("\u200b")
    assert list(rows)[-2:] == ["[PAD]", "[PAD]"]  # padded rows marked
    L = len(keys) - 2
    assert frame[frame.key >= L]["masked"].all() and not frame[frame.key < L]["masked"].any()
    # appended, not replacing: every token of the sentence is still there, in order
    plain = chart_data(charts(open_page("causal"))[0])[0]
    words = plain.drop_duplicates("key").sort_values("key")["key_token"].str.strip("\u200b")
    assert list(keys)[:-2] == list(words)


def test_generation_starts_small_with_the_newest_row_outlined():
    at = open_page("causal")
    chart = chart_by_title(at, "Generation step 3")
    assert at.slider(key="step").value == 3
    layers = spec(chart)["layer"]
    assert "datum.query >= 3" in json.dumps(layers[0]["encoding"]["color"])  # pale, not grey
    assert outlined_rows(chart) == [2]


ALL = {"text", "tokens", "pos", "d_model", "heads", "seed", "device"}


@pytest.mark.parametrize("page, off", [("overview", ALL), ("pretrained", ALL - {"text"}),
                                       ("lab", {"text", "tokens", "pos", "device"}),
                                       ("single_head", set())])
def test_unused_controls_are_disabled_and_said(page, off):
    at = open_page(page)
    assert_clean(at)
    sb = at.sidebar
    widgets = {"text": sb.text_area(key="text"), "tokens": sb.number_input(key="tokens"),
               "pos": sb.toggle(key="pos"), "d_model": sb.number_input(key="d_model"),
               "heads": sb.number_input(key="heads"), "seed": sb.number_input(key="seed"),
               "device": sb.selectbox(key="device")}
    assert {k for k, w in widgets.items() if w.disabled} == off
    assert bool(off) == any("here" in c.value or "computes nothing" in c.value for c in sb.caption)


def test_multi_head_shows_entropy_against_distance():
    at = open_page("multi_head", {"preset": "designed"})
    frame = chart_data(chart_by_title(at, "Each head:"))[0]
    by_kind = frame.set_index("kind")
    # local heads bottom-left, global top-right
    assert by_kind.loc["global", "entropy"] > by_kind.loc["local", "entropy"]
    assert by_kind.loc["global", "distance"] > by_kind.loc["local", "distance"]
    enc = spec(chart_by_title(at, "Each head:"))["layer"][0]["encoding"]
    assert enc["x"]["field"] == "distance" and enc["y"]["field"] == "entropy"


def test_value_side_and_one_notation_for_w_o():
    at = open_page("multi_head", {"preset": "designed"})
    titles = [spec(c).get("title") for c in charts(at)]
    assert any(t and t.startswith("Output = Concat · W^O") for t in titles)
    assert not any("W_O" in str(t) for t in titles)
    concat = chart_data(chart_by_title(at, "Concat("))[0]
    assert concat["key_token"].iloc[0].startswith("h0·") and "h3·15" in set(concat["key_token"])
    rule = spec(chart_by_title(at, "Concat("))["layer"][-1]  # a line before each head's block
    assert [v["block"] for v in rule["data"]["values"]] == ["h1·0", "h2·0", "h3·0"]
    table = next(d.value for d in at.dataframe if "output − mean of v" in d.value.columns)
    gaps = dict(zip(table["kind"], table["output − mean of v"], strict=True))
    assert gaps["global"] < 1e-5 < gaps["local"]


def test_overview_bound_counts_the_keys():
    at = open_page("overview")
    latex = " ".join(e.value for e in at.get("latex"))
    assert r"\le \ln m" in latex and r"\ln n" not in latex


def test_worked_example_equals_the_weights_chart():
    at = open_page("single_head", {"query": "3"})
    assert_clean(at)
    # A static table (it redraws with its section at once), its numbers to 4 places.
    table = next(t for t in html_tables(at) if "weight α" in t.columns)
    weights = chart_data(chart_by_title(at, "3. Weights"))[0]
    row = weights[weights["query"] == 3].sort_values("key")["value"].to_numpy()
    np.testing.assert_allclose(table["weight α"].astype(float), row, atol=5e-5)
    assert all(len(x.split(".")[1]) == 4 for x in table["weight α"])


def test_positions_lesson_points_at_identical_rows():
    at = open_page("single_head", {"pos": "false"})
    assert_clean(at)
    pe = chart_data(chart_by_title(at, "Positional encoding"))[0]
    assert (pe["value"] == 0).all()
    text = page_text(at)
    assert "“The” (0) and “the” (4)" in text and "**0.0000** without" in text
    assert "identical" in text


def test_every_lesson_asks_for_a_prediction():
    for page, text in LESSONS.items():
        assert len(text["choices"]) >= 3 and 0 <= text["correct"] < len(text["choices"]), page


def test_predict_then_reveal_waits_for_a_choice_and_keeps_the_first():
    at = open_page("causal")
    radio = at.radio(key="predict_causal")
    assert radio.value is None and not at.success and not at.warning
    radio.set_value(LESSONS["causal"]["choices"][1]).run()
    assert at.warning and "KV cache" in at.warning[0].value
    assert at.radio(key="predict_causal").disabled
    # the browser cannot click a disabled radio; a forged value does not turn a wrong
    # prediction into a right one either
    at.session_state["predict_causal"] = LESSONS["causal"]["choices"][0]
    at.run()
    assert at.warning and not at.success
    assert LESSONS["causal"]["choices"][1] in at.warning[0].value


def test_workshop_path_banner_and_next_link():
    # The path is 90 minutes, every step timed; the later pages are "after the workshop".
    assert [p.url_path for p in PATH] == ["", "single_head", "multi_head", "causal", "entropy",
                                          "pretrained", "lab"]
    assert sum(p.minutes for p in PATH) == 90 and all(5 <= p.minutes <= 20 for p in PATH)
    assert {"gpt", "vision"} <= {p.name for p in PAGES if not p.on_path}
    # a goal never ends on a formula, which wraps its full stop alone onto a line
    assert not [p.name for p in PAGES if p.goal.rstrip(".;,").endswith("$")]
    at = open_page("single_head", {"workshop": "true"})
    assert_clean(at)
    assert f"step 2 of {len(PATH)} ·" in at.info[0].value
    # projector layout: the introduction folds away, the weights map is in the first row
    assert [e.label for e in at.expander][0] == "About this page, and what to try"
    tops = [spec(col.get("vega_lite_chart")[0]).get("title", "") for col in at.columns
            if col.get("vega_lite_chart")]
    assert tops[:2] == ["1. Scores QKᵀ", "3. Weights: softmax of each row"]
    links = [link.proto.page for link in at.get("page_link")]
    assert any("multi_head" in p for p in links)
    at = open_page("overview")
    # the Explore row links every page but itself, the workshop path and the pages after it
    # every page
    assert len(at.get("page_link")) == 2 * len(PAGES) - 1
    text = page_text(at)
    assert f"{len(PATH)} steps, about 90 minutes" in text and "After the workshop" in text
    # the last step links to no further step, and a page off the path has no banner
    lab = open_page("lab", {"workshop": "true"})
    assert not [link for link in lab.get("page_link") if "Next step" in link.proto.label]
    vision = open_page("vision", {"workshop": "true"})
    assert not [i for i in vision.info if "Workshop · step" in i.value]


def test_workshop_opens_multi_head_on_designed_heads_with_the_deeper_sections_folded():
    at = open_page("multi_head", {"workshop": "true"})
    assert_clean(at)
    assert at.button_group(key="preset").value == "Designed heads"
    more = [e for e in at.expander if e.label.startswith("More:")]
    assert len(more) == 1
    folded = [str(h.value) for h in more[0].get("subheader")]
    assert any(h.startswith("Values") for h in folded)
    assert any(h.startswith("Two heads compared") for h in folded)
    outside = [str(h.value) for h in at.main.get("subheader") if str(h.value) not in folded]
    assert "Where one token looks, in every head" in outside
    # a link that names the preset keeps it; out of workshop mode nothing is folded
    assert open_page("multi_head", {"workshop": "true", "preset": "Random projections"}
                     ).button_group(key="preset").value == "Random projections"
    plain = open_page("multi_head")
    assert plain.button_group(key="preset").value == "Random projections"
    assert not [e for e in plain.expander if e.label.startswith("More:")]


@pytest.mark.slow
def test_pretrained_points_to_the_heads_linking_it_to_animal():
    text = "The animal didn't cross the street because it was too tired"
    at = open_page("pretrained", {"text": text})
    assert_clean(at)
    assert at.selectbox(key="link_query").value == 10  # "it", the first pronoun
    assert at.selectbox(key="link_key").value == 2  # "animal": the strongest earlier link
    pair = next(d.value for d in at.dataframe if list(d.value.columns) == ["layer", "head", "weight"])
    assert {(3, 1), (5, 11)} <= set(zip(pair["layer"].iloc[:3], pair["head"].iloc[:3], strict=True))
    at.button(key="open_link").click().run()
    assert (at.slider(key="layer").value, at.slider(key="head").value) == tuple(pair.iloc[0, :2])
    at.toggle(key="rollout_plain").set_value(True).run()
    assert_clean(at)
    rollout = chart_data(chart_by_title(at, "Rollout through"))[0]
    assert "[CLS]" not in set(rollout["key_token"].str.strip("\u200b"))
    assert "brings" not in page_text(at)  # the sink's answer waits for the prediction
    at.radio(key="predict_pretrained").set_value(LESSONS["pretrained"]["choices"][1]).run()
    assert "What the weight brings" in page_text(at)


@pytest.mark.slow
def test_the_pronoun_caption_says_what_the_heads_show():
    """A head's link from "it" is where it reads, not which noun "it" means: with "wide" the
    street is meant, and the head that links "it" to "animal" still prefers "animal"."""
    from attention.pretrained import views as pv
    from attention.pretrained.encoder import load_model

    model = load_model()
    for word in ("tired", "wide"):
        view = pv.model_view(model.attend(f"The animal didn't cross the street because it was "
                                          f"too {word}"))
        it, animal, street = (view.tokens.index(t) for t in ("it", "animal", "street"))
        w = view.weights[5, 11, it]  # layer 5, head 11, the row of "it"
        assert w[animal] > 0.3 and w[animal] > 5 * w[street], (word, w[animal], w[street])
    at = open_page("pretrained")
    assert "where a head reads from, not which word a pronoun refers to" in page_text(at)


def test_entropy_under_the_mask_says_which_normalised_figure_is_which():
    at = open_page("entropy", {"causal": "true"})
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    top = float(metrics["Largest possible mean entropy"].split()[0])
    mean = float(metrics["Mean entropy (single head)"].split()[0])
    norm = metrics["Normalised: mean over rows of H / max"]
    caption = next(c.value for c in at.caption if "Two ways to normalise" in c.value)
    assert f"{mean:.3f} / {top:.3f} = **{mean / top:.0%}** (a ratio of means)" in caption
    assert f"**{norm}**" in caption and "(a mean of ratios" in caption
    # without the mask the two agree, and no caption is needed
    plain = open_page("entropy")
    assert not [c for c in plain.caption if "Two ways to normalise" in c.value]


def test_head_similarity_states_its_unit():
    at = open_page("multi_head")
    assert chart_by_title(at, "Head similarity: 1 − mean JS divergence (bits)")
    assert "in bits (log base 2, so it lies in [0, 1])" in page_text(at)


@pytest.mark.parametrize("preset", ["random", "designed"])
def test_scatter_names_never_overprint(preset):
    """Each head's name on the entropy–distance plot sits a whole line from any other name
    that overlaps it across, and off the maximum's dashed line."""
    from attention.charts.frames import series_frame
    from attention.charts.lessons import head_scatter
    from attention.toy import views

    m = views.multi_head(views.build_input(views.DEFAULT_TEXT, None, 64, 0, True, 64), 8, 0,
                         preset=preset)
    H = m.weights.shape[0]
    frame = series_frame(m.entropy.mean(1), [f"head {h}" for h in range(H)], name="entropy")
    frame["distance"], frame["label"] = m.mean_distance, [f"{h} · {k}" for h, k in enumerate(m.kinds)]
    top = float(m.max_entropy.mean())
    data = head_scatter(frame, title="t", y_max=top, y_max_label="max", x_max=7.0).data
    line = 15 / 300 * top * 1.1
    ys = data["label_y"].to_numpy()
    for a in range(H):
        assert abs(ys[a] - top) >= line - 1e-9 or ys[a] == data["entropy"].iloc[a]
        for b in range(a + 1, H):
            near = abs(data["distance"].iloc[a] - data["distance"].iloc[b]) < 1.0  # names overlap across
            assert not near or abs(ys[a] - ys[b]) >= line - 1e-9, (a, b, ys)


def test_the_worked_example_shows_a_visitors_tokens_as_text():
    at = open_page("single_head", {"text": "<b>big</b> <img src=x onerror=alert(1)>"})
    assert_clean(at)
    body = next(h.proto.body for h in at.get("html") if "weight α" in h.proto.body)
    assert "<b>" not in body and "<img" not in body and "&lt;" in body
    keys = next(t for t in html_tables(at) if "weight α" in t.columns)["key"]
    assert any("<" in k for k in keys)  # shown as the characters typed
