"""/lab under AppTest: the shipped run, links, bad values, hosted caps, a tiny training."""

from __future__ import annotations

import numpy as np
import pytest

from attention import charts as ch
from attention.dashboard import page_parts
from attention.dashboard.markdown import escape
from attention.lab.runs import load_shipped
from attention.settings import load_limits

from .conftest import (
    assert_clean,
    assert_same_charts,
    chart_by_title,
    chart_data,
    charts,
    open_page,
    spec,
)

TINY = {"steps": "30", "d_model": "16", "heads": "2"}


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


GUESS = "step 150–500"


def test_shipped_run_renders_with_every_chart():
    at = open_page("lab")
    assert_clean(at)
    assert "induction_2l" in infos(at)
    # the curves that show the jump wait for the prediction, which comes first
    titles = [str(spec(c).get("title")) for c in charts(at)]
    assert titles.count("Loss") == 1, titles  # only the √d_k experiment's
    assert not [t for t in titles if t.startswith(("Accuracy on", "Layer 0: previous", "Layer 1"))]
    assert "Pick your prediction above" in infos(at)
    at.radio(key="predict").set_value(GUESS).run()
    assert_clean(at)
    assert at.radio(key="predict").disabled  # the first guess is kept
    shipped = load_shipped("induction_2l")
    loss = chart_data(chart_by_title(at, "Loss"))[0]
    np.testing.assert_allclose(loss["value"], [r.loss for r in shipped.history], rtol=1e-6)
    assert list(loss["step"]) == [r.step for r in shipped.history]
    for title in ("Accuracy", "Layer 0: previous-token", "Layer 1: induction",
                  "Logit gradient, typical row"):
        assert len(chart_data(chart_by_title(at, title))[0]) > 0, title
    assert at.slider(key="step").value == shipped.history[-1].step


def test_one_layer_link_shows_the_control_run():
    at = open_page("lab", {"layers": "1"})
    assert_clean(at)
    assert "induction_1l" in infos(at)
    at.radio(key="predict").set_value(GUESS).run()
    assert chart_by_title(at, "Layer 0: induction score")


@pytest.mark.parametrize("step", ["288", "600"])
def test_one_layer_run_never_calls_a_head_an_induction_head(step):
    """With one layer no head can be an induction head, whatever its score on the probe."""
    at = open_page("lab", {"layers": "1", "step": step})
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "no head can be an induction head" in text
    assert "strongest induction head" not in text
    two = " ".join(m.value for m in open_page("lab").markdown)
    assert "strongest induction head is **layer 1" in two


def test_the_scaling_logit_spread_says_it_pools_the_layers():
    at = open_page("lab")
    text = " ".join(m.value for m in at.markdown)
    scaled, unscaled = (load_shipped(n).history[0].logit_std
                        for n in ("scaling_scaled", "scaling_unscaled"))
    assert f"of both layers at init, pooled, have a standard deviation of {unscaled:.1f} " \
           f"against {scaled:.1f} scaled" in text
    assert "(both layers pooled)" in text


def test_link_reproduces_the_view_built_with_widgets():
    query = {"layers": "1", "step": "200", "gen": "5", "prefix": "5 6 7 8 9 5 6"}
    linked = open_page("lab", query)
    assert_clean(linked)
    built = open_page("lab")
    built.radio(key="layers").set_value(1).run()
    built.slider(key="step").set_value(200)
    built.text_input(key="prefix").set_value("5 6 7 8 9 5 6").run()
    built.number_input(key="gen").set_value(5).run()
    assert_clean(built)
    assert_same_charts(linked, built)


@pytest.mark.parametrize("query, said", [
    ({"steps": "999999999"}, "steps=999999999"),
    ({"layers": "7"}, "layers=7"),
    ({"task": "bogus"}, "`task` must be one of"),
    ({"step": "-4"}, "step=-4"),
    ({"gen": "nan"}, "`gen` is not a number"),
    ({"scaled": "maybe"}, "`scaled` must be true or false"),
    ({"knockout": "bogus"}, "`knockout` must be one of"),
    ({"run_seed": "-3"}, "run_seed=-3"),
    ({"run_seed": "1e99"}, "run_seed="),
])
def test_bad_link_values_get_a_notice(query, said):
    at = open_page("lab", query)
    assert_clean(at)
    assert said in infos(at)


def test_nonsense_prefix_is_reported_and_the_rest_generates():
    at = open_page("lab", {"prefix": "3 x 999 4 -1 3"})
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert escape("ignored x, 999, -1") in captions
    assert len(charts(at)) >= 5  # (the run's four curves wait for the prediction)


@pytest.mark.parametrize("prefix", ["5 6 ² 7", "5 6 ① 7", "5 6 ¹²³ 7", "5 6 ![](//ab.cd) 7",
                                    "5 6 :red[x] <b>x</b> 7"])
def test_a_prefix_from_a_link_neither_raises_nor_renders(prefix):
    at = open_page("lab", {"prefix": prefix})
    assert_clean(at)
    captions = [c.value for c in at.caption if c.value.startswith("Prefix:")]
    assert len(captions) == 1 and "ignored" in captions[0]
    assert "![" not in captions[0] and ":red[" not in captions[0] and "<b>" not in captions[0]
    assert "**5** " not in at.markdown[0].value  # the prefix 5 6 7 generated from, as plain ids


def test_hosted_caps_clamp_a_link(monkeypatch):
    hosted = load_limits({"ATTENTION_PROFILE": "hosted"})
    monkeypatch.setattr(page_parts, "LIMITS", hosted)
    at = open_page("lab", {"steps": "20000", "d_model": "512", "heads": "4"})
    assert_clean(at)
    assert at.number_input(key="steps").value == hosted.max_train_steps
    captions = " ".join(c.value for c in at.caption)
    assert f"capped at d_model {hosted.max_train_d_model}" in captions


def test_predicting_reveals_the_phase_change():
    at = open_page("lab")
    assert [spec(c).get("title") for c in charts(at)].count("Loss") == 1  # the √d_k one only
    at.radio(key="predict").set_value("step 150–500").run()
    assert_clean(at)
    assert "phase change" in str(spec(chart_by_title(at, "Loss")))
    assert "You said" in " ".join(m.value for m in at.markdown)


def test_generation_never_changes_rows_already_computed():
    at = open_page("lab", {"prefix": "10 11 12 13 14 15 10 11", "gen": "6"})
    assert_clean(at)
    caption = next(c.value for c in at.caption if "Largest change" in c.value)
    assert "rows already computed do not change" in caption
    # The model continues the repeat it was trained on: 12 13 14 15 after "10 11".
    strip = next(m.value for m in at.markdown if "→" in m.value)
    assert "**12** ✓ → **13** ✓" in strip


def test_train_button_trains_and_keeps_the_run_for_scrubbing():
    at = open_page("lab", TINY)
    at.radio(key="predict").set_value(GUESS).run()
    at.button(key="train_button").click().run()
    assert_clean(at)
    assert any("Showing your run" in s.value for s in at.success)
    assert at.slider(key="step").max == 30 and at.slider(key="step").value == 30
    loss = chart_data(chart_by_title(at, "Loss"))[0]
    assert loss["step"].max() == 30 and loss["value"].notna().all()
    at.slider(key="step").set_value(0).run()  # scrub the finished live run
    assert_clean(at)
    assert "step 0" in " ".join(s.value for s in at.subheader)
    at.button(key="forget_button").click().run()
    assert "induction_2l" in infos(at)


def colour_ranges(node) -> list[list[str]]:
    """Every colour scale's range in a Vega-Lite spec."""
    found = []
    if isinstance(node, dict):
        scale = node.get("color", {}).get("scale") if isinstance(node.get("color"), dict) else None
        if isinstance(scale, dict) and isinstance(scale.get("range"), list):
            found.append(scale["range"])
        for value in node.values():
            found += colour_ranges(value)
    elif isinstance(node, list):
        for value in node:
            found += colour_ranges(value)
    return found


def test_every_series_takes_the_palette_never_the_reference_red():
    at = open_page("lab")
    at.radio(key="predict").set_value("step 150–500").run()  # the phase-change rule is drawn
    assert_clean(at)
    ranges = [r for c in charts(at) for r in colour_ranges(spec(c))
              if all(isinstance(v, str) and v.startswith("#") for v in r)]
    assert len(ranges) >= 7  # loss, accuracy, two head scores, three scaling curves
    for colours in ranges:
        assert ch.REFERENCE_COLOR not in colours
        assert set(colours) <= set(ch.SERIES_COLORS) | {ch.SCALED_COLOR, ch.UNSCALED_COLOR}
    assert ch.REFERENCE_COLOR in str(spec(chart_by_title(at, "Loss")))  # the rule keeps its red


# ---------------------------------------------------------------- a real experiment


def success(at) -> str:
    return " ".join(s.value for s in at.success)


def test_each_train_press_draws_a_fresh_seed_that_the_page_and_link_keep():
    at = open_page("lab", TINY)
    assert at.number_input(key="run_seed").value is None
    assert at.button(key="retrain_button").disabled  # nothing to retrain yet
    seeds = []
    for _ in range(2):
        at.button(key="train_button").click().run()
        assert_clean(at)
        seed = at.number_input(key="run_seed").value
        assert seed is not None and f"seed {seed}**" in success(at)
        seeds.append(seed)
    assert seeds[0] != seeds[1]  # 1 in 10^6 that two fresh seeds agree


def test_a_link_with_a_run_seed_retrains_that_very_run():
    """A copied link reproduces the run: Retrain trains the link's seed, and the numbers are
    those of the same config trained directly (one thread, as the server trains)."""
    import torch

    from attention.lab import TrainConfig, run_training

    at = open_page("lab", {**TINY, "run_seed": "1234"})
    assert_clean(at)
    assert "This link names seed 1234" in " ".join(c.value for c in at.caption)
    at.button(key="retrain_button").click().run()
    assert_clean(at)
    assert "seed 1234**" in success(at) and at.number_input(key="run_seed").value == 1234
    at.radio(key="predict").set_value(GUESS).run()
    trained = chart_data(chart_by_title(at, "Loss"))[0]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        direct = run_training(TrainConfig(d_model=16, heads=2, steps=30, seed=1234))
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(trained["value"], [r.loss for r in direct.history], rtol=1e-6)


def test_knocking_out_every_induction_head_is_measured_on_the_page():
    from attention.lab.analysis import induction_heads, repeat_loss

    at = open_page("lab", {"knockout": "all"})
    assert_clean(at)
    run = load_shipped("induction_2l")
    heads = induction_heads(run, 0.3)
    rep = repeat_loss(run, heads)
    text = " ".join(m.value for m in at.markdown)
    assert f"accuracy **{rep.accuracy:.2f}**" in text
    assert f"knocked out (output zeroed), accuracy on the second copy is **{rep.knocked_accuracy:.2f}**" in text
    assert rep.knocked_accuracy < 0.2 < 0.9 < rep.accuracy
    data = chart_data(chart_by_title(at, "Per-position loss"))[0]
    assert data["series"].nunique() == 2
    # the control alone: nothing knocked out, one curve
    plain = chart_data(chart_by_title(open_page("lab"), "Per-position loss"))[0]
    assert plain["series"].nunique() == 1


def test_the_one_layer_verdict_says_what_its_numbers_show():
    at = open_page("lab", {"layers": "1", "step": "288"})
    at.radio(key="predict").set_value("no big jump").run()
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    one, two = load_shipped("induction_1l"), load_shipped("induction_2l")
    assert "You said *no big jump*: right" in text
    assert (f"accuracy goes from {one.history[0].accuracy:.2f} to {one.history[-1].accuracy:.2f}"
            in text)
    assert f"{two.history[-1].accuracy:.2f} for the 2-layer run" in text
    assert "it has formed" not in text  # neither head, at a probe score of 0.47


def test_the_probe_map_marks_the_repeat_and_the_ideal_pattern():
    at = open_page("lab")
    chart = chart_by_title(at, "L1 H")
    assert "repeat starts" in str(spec(chart))
    data = chart_data(chart)[0]
    assert data["ideal"].sum() == 12


def test_train_both_live_draws_both_runs_as_they_train(monkeypatch):
    """The pair trains live into the comparison charts: while the unscaled run trains, the
    charts hold the scaled run (done) and the unscaled one so far; the shipped pair is not
    drawn meanwhile, and the result keeps its fresh seed."""
    from dataclasses import replace

    from attention.dashboard import lab_sections
    from attention.lab import views

    monkeypatch.setattr(lab_sections, "scaling_configs", lambda base, limits, seed: {
        label: replace(base, d_model=16, heads=1, steps=20, seed=seed, scaled=label == "scaled")
        for label in ("scaled", "unscaled")})
    drawn = []
    original = views.scaling_charts

    def spy(runs, colours, x_max=None):
        drawn.append({label: run.history[-1].step for label, run in runs.items()} | {"x": x_max})
        return original(runs, colours, x_max)

    monkeypatch.setattr(views, "scaling_charts", spy)
    at = open_page("lab")
    drawn.clear()
    at.button(key="scaling_train").click().run()
    assert_clean(at)
    live = [d for d in drawn if d["x"] == 20]
    assert any(set(d) == {"scaled", "unscaled", "x"} and d["scaled"] == 20 for d in live), drawn
    assert any(set(d) == {"scaled", "x"} for d in live)  # the first run, before the second
    assert "Trained live, seed" in " ".join(c.value for c in at.caption)
    acc = chart_data(chart_by_title(at, "Accuracy"))  # the run's own curves wait for a guess
    assert acc and acc[0]["step"].max() == 20
