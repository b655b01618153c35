"""What /lab computes from a run: phase change, heads, snapshots, prefixes, the curves chart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from attention import charts
from attention.lab import views as lv


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
    ("step 500–1000", 700, True), ("after step 1000", 1200, True), ("it never jumps", None, True),
    ("it never jumps", 300, False), ("before step 150", None, False)])
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


def test_repeat_prefix_repeats_its_start_and_copying_continues_it():
    p = lv.repeat_prefix(seed=3, vocab_size=64)
    assert p[8:] == p[:3] and len(set(p[:8])) == 8
    assert lv.expected_continuation(p, 4) == p[3:7]
    assert lv.expected_continuation([1, 2, 3], 1) == [None]


def test_earlier_rows_change_measures_rows_already_computed():
    a = np.tril(np.ones((1, 1, 3, 3)))
    b = np.tril(np.ones((1, 1, 4, 4)))
    assert lv.earlier_rows_change([a, b]) == 0.0
    b[0, 0, 1, 0] = 0.75
    assert lv.earlier_rows_change([a, b]) == pytest.approx(0.25)


def test_curves_chart_keeps_a_fixed_colour_per_series():
    frame = pd.DataFrame({"step": [0, 10], "series": ["head 1", "head 1"], "value": [0.1, 0.5]})
    ch = charts.curves(frame, title="t", y_title="score", colours=lv.head_colours(3),
                       x_domain=(0, 1500), marker_x=10.0, event_x=300.0, event_label="phase change")
    colour = ch.spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == ["head 0", "head 1", "head 2"]
    assert colour["range"] == list(lv.HEAD_COLOURS[:3])
    assert ch.spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 1500]
    rules = [layer for layer in ch.spec["layer"] if layer["mark"]["type"] == "rule"]
    assert {r["encoding"]["x"]["datum"] for r in rules} == {10.0, 300.0}
    assert "phase change" in str(ch.spec)
