"""What /lab computes from a run: phase change, heads, snapshots, prefixes, generation,
the curves chart and its colours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from attention import charts, export
from attention.dashboard import lab_data
from attention.lab import views as lv
from attention.lab.generation import earlier_rows_changes, expected_continuation
from attention.lab.generation_view import GenerationView, generation_charts, generation_view
from attention.lab.runs import load_shipped


@dataclass
class Rec:
    step: int
    accuracy: float
    prev_token_score: list
    induction_score: list
    loss: float = 1.0


def history(accs, steps=None):
    steps = steps or list(range(0, 100 * len(accs), 100))
    return [Rec(s, a, [[0.1, 0.8]], [[0.1, 0.2], [0.9, 0.05]]) for s, a in zip(steps, accs, strict=True)]


def test_phase_change_is_the_first_step_past_halfway():
    assert lv.phase_change(history([0.0, 0.05, 0.1, 0.6, 0.9, 0.92])) == 300
    assert lv.phase_change(history([0.02, 0.1, 0.2, 0.2])) is None  # rose by less than 0.25
    assert lv.phase_change(history([0.5])) is None


@pytest.mark.parametrize("choice, phase, right", [
    ("before step 150", 100, True), ("step 150–500", 150, True), ("step 150–500", 500, False),
    ("step 500–1000", 700, True), ("after step 1000", 1200, True), ("no big jump", None, True),
    ("no big jump", 300, False), ("before step 150", None, False)])
def test_predictions_are_judged_by_their_bin(choice, phase, right):
    assert lv.predicted_right(choice, phase) is right


def test_best_heads_name_layer0_previous_and_last_layer_induction():
    prev, ind = lv.best_heads(history([0.1])[0], layers=2)
    assert (prev.layer, prev.head, prev.formed) == (0, 1, True)
    assert (ind.layer, ind.head, ind.formed) == (1, 0, True)
    _, ind1 = lv.best_heads(history([0.1])[0], layers=1)
    assert (ind1.layer, ind1.head, ind1.formed) == (0, 1, False)  # score 0.2 < FORMED


def test_snapshot_index_is_the_last_one_at_or_before_the_step():
    steps = [0, 1, 2, 5, 10, 50]
    assert [lv.snapshot_index(steps, s) for s in (0, 3, 5, 49, 50, 999)] == [0, 2, 3, 4, 5, 5]


def test_prefix_parsing_keeps_valid_ids_and_says_what_it_dropped():
    ids, notes = lv.parse_prefix(" 3, 17;x 64 -2 5 ", vocab_size=64, max_tokens=32)
    assert ids == [3, 17, 5] and "ignored x, 64, -2" in notes[0]
    ids, notes = lv.parse_prefix(" ".join(["1"] * 40), 64, 32)
    assert len(ids) == 32 and "first 32" in notes[0]
    # Digits that are not ASCII: str.isdigit() is true for each, int() refuses them.
    ids, notes = lv.parse_prefix("5 ² ① ¹²³ ٣ 7", 64, 32)
    assert ids == [5, 7] and "ignored ², ①, ¹²³, ٣" in notes[0]


def test_repeat_prefix_repeats_its_start_and_copying_continues_it():
    p = lv.repeat_prefix(seed=3, vocab_size=64)
    assert p[8:] == p[:3] and len(set(p[:8])) == 8
    assert expected_continuation(p, 4) == p[3:7]
    assert expected_continuation([1, 2, 3], 1) == [None]
    # no repeat: nothing to copy at any later step either (never a placeholder id such as -1)
    assert expected_continuation([1, 2, 3], 5) == [None] * 5


def test_earlier_rows_changes_measure_rows_already_computed_up_to_each_step():
    a = np.tril(np.ones((1, 1, 3, 3)))
    b = np.tril(np.ones((1, 1, 4, 4)))
    c = np.tril(np.ones((1, 1, 5, 5)))
    assert earlier_rows_changes([a, b, c]) == [0.0, 0.0, 0.0]
    b[0, 0, 1, 0] = 0.75
    assert earlier_rows_changes([a, b, c]) == pytest.approx([0.0, 0.25, 0.25])  # running max
    assert earlier_rows_changes([a]) == [0.0] and earlier_rows_changes([]) == []


@pytest.fixture(scope="module")
def shipped():
    return load_shipped("induction_2l")


def test_generation_view_holds_what_the_page_shows(shipped):
    prefix = [10, 11, 12, 13, 14, 15, 10, 11]
    view = generation_view(shipped, prefix, 6)
    assert view.tokens[:8] == tuple(prefix) and len(view.tokens) == 14 and view.n_new == 6
    assert view.expected == (12, 13, 14, 15, 10, 11) and view.labels[3] == "13"
    assert [m.shape for m in view.maps] == [(2, 4, 8 + i, 8 + i) for i in range(6)]
    assert view.heads == 4 and view.induction_head[0] == 1  # the last layer's head
    assert view.strip.startswith("10 11 12 13 14 15 10 11 → **")
    assert view.strip.count("→") == 6 and view.marks.count("✓") >= 4  # measured: all 6
    step = view.step(3)
    assert (step.t, step.query, step.chosen) == (10, view.tokens[9], view.tokens[10])
    assert step.labels == view.labels[:10] and step.weights is view.maps[2]
    assert step.change == view.changes[2] and step.rounding_only
    assert list(view.changes) == sorted(view.changes)
    with pytest.raises(ValueError, match="1..6"):
        view.step(7)
    with pytest.raises(ValueError, match="n_new"):
        generation_view(shipped, prefix, 0)
    # The page's cached function: its second call returns the copy st.cache_data stored.
    lab_data.shipped_generation.clear()
    first = lab_data.shipped_generation("induction_2l", tuple(prefix), 6)
    back = lab_data.shipped_generation("induction_2l", tuple(prefix), 6)
    assert back is not first
    assert back.tokens == view.tokens and np.array_equal(back.maps[-1], view.maps[-1])


def test_marks_say_what_copying_gives_where_the_model_differs():
    maps = tuple(np.zeros((1, 1, t, t), np.float32) for t in (3, 4))
    view = GenerationView(tokens=(1, 2, 1, 2, 7), prefix_len=3, expected=(2, 1), maps=maps,
                          changes=(0.0, 0.0), labels=("1", "2", "1", "2", "7"),
                          induction_head=(0, 0), heads=1)
    assert view.marks == ("✓", "✗ (copying gives 1)")
    assert view.strip == "1 2 1 → **2** ✓ → **7** ✗ (copying gives 1)"
    no_repeat = GenerationView(tokens=(1, 2, 3), prefix_len=2, expected=(None,), maps=maps[:1],
                               changes=(0.0,), labels=("1", "2", "3"), induction_head=(0, 0),
                               heads=1)
    assert no_repeat.strip == "1 2 → **3**"


def test_generation_charts_mark_the_new_row_of_the_induction_head(shipped):
    view = generation_view(shipped, [5, 6, 7, 8, 5], 3)
    head, grid = generation_charts(view, 2)  # step 2 computes row 5 of a 6 x 6 map
    layer, h = view.induction_head
    assert head.spec["title"] == f"L{layer} H{h} (induction): step 2's new row"
    np.testing.assert_allclose(head.data["value"].to_numpy().reshape(6, 6),
                               view.maps[1][layer, h], atol=1e-6)
    assert len(grid.data) == 2 * 4 * 6 * 6
    assert sorted(set(grid.data["head"])) == [f"L{la} H{hd}" for la in range(2) for hd in range(4)]


def test_curves_chart_keeps_a_fixed_colour_per_series():
    frame = pd.DataFrame({"step": [0, 10], "series": ["head 1", "head 1"], "value": [0.1, 0.5]})
    ch = charts.curves(frame, title="t", y_title="score", colours=lv.head_colours(3),
                       x_domain=(0, 1500), marker_x=10.0, event_x=300.0, event_label="phase change")
    colour = ch.spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == ["head 0", "head 1", "head 2"]
    assert colour["range"] == list(lv.HEAD_COLOURS[:3])
    assert ch.spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 1500]
    rules = [layer for layer in ch.spec["layer"] if layer["mark"]["type"] == "rule"]
    # The phase change is fixed in the spec; the step on screen is data ("marker"), so
    # moving it leaves the spec as it is.
    assert [r["encoding"]["x"]["datum"] for r in rules if "datum" in r["encoding"]["x"]] == [300.0]
    assert ch.frames()["marker"]["step"].tolist() == [10.0]
    moved = charts.curves(frame, title="t", y_title="score", colours=lv.head_colours(3),
                          x_domain=(0, 1500), marker_x=700.0, event_x=300.0,
                          event_label="phase change")
    assert moved.spec == ch.spec and moved.frames()["marker"]["step"].tolist() == [700.0]
    assert "phase change" in str(ch.spec)
    svg = export.svg(*export.chart_parts(moved)).decode()
    assert svg.count('stroke="gray"') == 1  # one rule at the step on screen


def test_lab_series_take_the_palette_and_never_the_reference_red(shipped):
    """The red marks a reference (the phase change); no series of the lab wears it."""
    heads = lv.head_colours(16)
    assert [c for _, c in heads[:len(charts.SERIES_COLORS)]] == list(charts.SERIES_COLORS)
    lab = {c for _, c in heads} | {lv.LOSS_COLOUR, lv.ACCURACY_COLOUR, lv.SCALED_COLOUR,
                                   lv.UNSCALED_COLOUR}
    assert charts.REFERENCE_COLOR not in lab
    assert lab <= set(charts.SERIES_COLORS) | {charts.SCALED_COLOR, charts.UNSCALED_COLOR}
    assert (lv.SCALED_COLOUR, lv.UNSCALED_COLOUR) == (charts.SCALED_COLOR, charts.UNSCALED_COLOR)
    for name, chart in lv.curve_charts(shipped, phase=300).items():
        layers = chart.spec["layer"]
        colour = layers[0]["encoding"]["color"]["scale"]["range"]
        assert charts.REFERENCE_COLOR not in colour, name
    assert charts.REFERENCE_COLOR in str(lv.curve_charts(shipped, phase=300)["loss"].spec)
