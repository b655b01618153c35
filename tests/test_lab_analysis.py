"""What /lab measures of a trained run beyond its log: the loss at each position of a
repeated sequence, heads knocked out, the verdicts it words, the d_head sweep and the
ideal induction pattern drawn over a head's map."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from attention.charts.induction import induction_map, position_loss
from attention.export.worker import svg
from attention.lab import verdicts
from attention.lab import views as lv
from attention.lab.analysis import induction_heads, repeat_loss, repeated_tokens
from attention.lab.config import TrainConfig
from attention.lab.model import LabTransformer
from attention.lab.runs import SWEEP_FILE, load_shipped
from attention.lab.sweep import SWEEP_D_HEADS, load_sweep, save_sweep
from attention.lab.tasks import induction_targets


@pytest.fixture(scope="module")
def two():
    return load_shipped("induction_2l")


@pytest.fixture(scope="module")
def one():
    return load_shipped("induction_1l")


# ---------------------------------------------------------------- knocking a head out


def test_knocking_out_nothing_changes_nothing_and_a_head_is_removed_exactly():
    model = LabTransformer.from_config(TrainConfig(d_model=16, heads=2)).eval()
    tokens = torch.randint(64, (3, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full, results = model(tokens, need_weights=True)
        same, _ = model(tokens, knockout=frozenset())
        off, _ = model(tokens, knockout=frozenset({(1, 0)}))
        # By hand: layer 1's output without head 0's share of W_O.
        x, _ = model.features(tokens)
        x0 = model.embed(tokens) + model.pos.weight[:32]
        x1 = x0 + model.blocks[0].attn(x0, is_causal=True).output
        r1 = model.blocks[1].attn(x1, is_causal=True)
        W_O = model.blocks[1].attn.out_proj.weight  # (d_model, H * d_head)
        by_hand = model.unembed(x1 + r1.output - r1.heads[:, 0] @ W_O[:, :8].T)
    torch.testing.assert_close(same, full)
    torch.testing.assert_close(off, by_hand)
    assert not torch.allclose(off, full)


def test_repeated_tokens_repeat_their_first_half():
    tokens, n = repeated_tokens(64, 32, count=8)
    assert n == 16 and tokens.shape == (8, 32)
    assert torch.equal(tokens[:, :16], tokens[:, 16:])


def test_the_second_copy_is_cheap_once_induction_has_formed(two, one):
    rep = repeat_loss(two)
    # measured: 0.13 nats on the second copy, far above ln 64 = 4.16 on the first
    assert rep.mean_loss("second") < 0.5 < rep.chance < rep.mean_loss("first")
    assert rep.accuracy > 0.9 and rep.loss.shape == (31,)
    assert rep.knocked_loss is None and rep.knocked == ()
    # the 1-layer control learns a little of the second copy, far less
    assert repeat_loss(one).accuracy < rep.accuracy - 0.3


def test_knocking_out_induction_heads_costs_accuracy_on_the_second_copy(two):
    best = induction_heads(two)
    assert best == ((1, int(np.argmax(two.history[-1].induction_score[1]))),)
    one_off = repeat_loss(two, best)
    assert one_off.knocked == best
    assert one_off.knocked_accuracy < one_off.accuracy  # the others cover for most of it
    every = induction_heads(two, lv.FORMED)
    assert len(every) >= 2 and best[0] in every
    all_off = repeat_loss(two, every)
    # measured: 0.96 -> 0.02, the loss back at a uniform guess's
    assert all_off.knocked_accuracy < 0.2 < 0.9 < all_off.accuracy
    assert all_off.mean_loss("second", knocked=True) > 0.8 * all_off.chance
    assert lv.knockout_heads(two, "none") == () and lv.knockout_heads(two, "all") == every


def test_a_knockout_must_name_a_head_of_the_model(two):
    with pytest.raises(ValueError, match="no head 9"):
        repeat_loss(two, ((1, 9),))


def test_the_loss_chart_draws_both_series_and_marks_the_second_copy(two):
    rep = repeat_loss(two, induction_heads(two))
    chart = lv.repeat_loss_chart(rep)
    assert set(chart.data["series"]) == {"trained model", f"L1 H{rep.knocked[0][1]} knocked out"}
    np.testing.assert_allclose(chart.data.query("series == 'trained model'")["value"], rep.loss,
                               rtol=1e-6)
    text = json.dumps(chart.spec)
    assert '"datum": 15.5' in text and "second copy starts" in text  # between 15 and 16
    alone = position_loss(rep.loss, None, repeat_start=16, chance=math.log(64),
                          knocked_label="x", title="t")
    assert set(alone.data["series"]) == {"trained model"}
    drawn = svg(alone.spec, alone.data).decode()  # each label once, not once per data row
    assert drawn.count(">second copy starts<") == 1 and drawn.count(">uniform guess (ln V") == 1


# ---------------------------------------------------------------- the ideal pattern, drawn


def test_the_probe_map_outlines_the_ideal_induction_targets(two):
    start = lv.repeat_start(two)
    probe = two.probe
    assert start == 18 and torch.equal(probe[start:start + 12], probe[2:14])
    _, ind = lv.best_heads(two.history[-1], 2)
    chart = lv.induction_chart(two, len(two.snapshots) - 1, ind)
    frame = chart.data
    ideal = frame[frame["ideal"]]
    targets = induction_targets(probe).numpy()
    assert len(ideal) == targets.sum() == 12  # each query of the repeat: one target
    for q, k in zip(ideal["query"], ideal["key"], strict=True):
        assert probe[k - 1] == probe[q] and k <= q
    weights = two.snapshots[-1].weights[ind.layer, ind.head].astype(float)
    np.testing.assert_allclose(frame["value"].to_numpy().reshape(32, 32), np.tril(weights),
                               atol=1e-6)
    assert '"datum": 17.5' in json.dumps(chart.spec) and "repeat starts" in json.dumps(chart.spec)
    # the formed head puts most of its weight of those rows on the outlined cells
    assert ideal["value"].mean() > 0.8


def test_induction_map_is_rect_marks_on_positions():
    L = 6
    chart = induction_map(np.full((L, L), 1 / L), list("abcdef"), targets=np.eye(L, dtype=bool),
                          masked=np.zeros((L, L), bool), repeat_start=3, title="t")
    assert len(chart.data) == L * L and chart.data["ideal"].sum() == L
    assert '"datum": 2.5' in json.dumps(chart.spec)
    assert svg(chart.spec, chart.data).decode().count(">repeat starts<") == 1


# ---------------------------------------------------------------- verdicts with numbers


def test_the_one_layer_run_has_no_jump_relative_to_the_two_layer_run(two, one):
    ref = lv.Reference.of(two.history)
    assert ref.gain > 0.85 and ref.final > 0.9
    # the 1-layer run rises from chance to ~0.25: a rise, not a jump like the 2-layer run's
    assert 0.15 < verdicts.accuracy_rise(one.history) < verdicts.jump_threshold(ref)
    assert lv.phase_change(one.history, ref) is None
    assert lv.predicted_right(verdicts.NO_JUMP, lv.phase_change(one.history, ref))
    said = lv.jump_summary(one.history, None, ref)
    assert f"{one.history[0].accuracy:.2f} to {one.history[-1].accuracy:.2f}" in said
    assert f"({ref.gain:.2f})" in said and "no phase change" in said
    phase = lv.phase_change(two.history, ref)
    assert phase is not None and 200 < phase < 500
    assert lv.predicted_right("step 150–500", phase)


def test_no_head_of_the_one_layer_run_is_called_formed_whatever_its_probe_score(one, two):
    ref = lv.Reference.of(two.history)
    steps = [r.step for r in one.history]
    record = one.history[lv.snapshot_index(steps, 288)]
    prev, ind = lv.best_heads(record, 1, ref)
    assert ind.score >= lv.FORMED and ind.state == "not formed"  # 0.47 on the probe
    text = lv.heads_summary(record, prev, ind, 1, ref)
    assert f"{ind.score:.2f}" in text and f"{record.accuracy:.2f}" in text
    assert f"{ref.final:.2f} for the 2-layer run" in text
    assert "it has formed" not in text and "no head can be an induction head" in text


def test_an_induction_head_forms_once_accuracy_follows_its_score(two):
    ref = lv.Reference.of(two.history)
    states = [lv.best_heads(r, 2, ref)[1].state for r in two.history]
    assert states[0] == "not formed" and states[-1] == "formed"
    forming = [r for r, s in zip(two.history, states, strict=True) if s == "forming"]
    # while forming: the score is there, accuracy below half the reference's final
    assert all(r.accuracy < 0.5 * ref.final for r in forming)
    assert states.index("formed") > 0


def test_the_lab_lesson_quarter_is_what_the_shipped_runs_measure(one, two):
    """The lesson's words: the 1-layer run reaches about a quarter of the 2-layer accuracy."""
    assert 0.2 < one.accuracy / two.accuracy < 0.35


# ---------------------------------------------------------------- the d_head sweep


def test_the_shipped_sweep_scales_better_at_every_width():
    points = load_sweep(SWEEP_FILE)
    by = {(p.d_head, p.scaled): p for p in points}
    for d in SWEEP_D_HEADS:
        assert by[d, True].final_accuracy > by[d, False].final_accuracy + 0.3, d
        assert by[d, True].logit_std < 2  # unit-order logits when scaled
    # unscaled, the logits spread and the softmax peaks more as d_head grows
    unscaled = [by[d, False] for d in SWEEP_D_HEADS]
    assert [p.logit_std for p in unscaled] == sorted(p.logit_std for p in unscaled)
    assert [p.max_weight for p in unscaled] == sorted(p.max_weight for p in unscaled)
    chart = lv.sweep_chart(points, (("scaled", "#000000"), ("unscaled", "#111111")))
    assert sorted(chart.data["d_head"].unique()) == list(SWEEP_D_HEADS)


def test_a_bad_sweep_file_is_refused(tmp_path):
    points = load_sweep(SWEEP_FILE)
    path = save_sweep(points[:-1], tmp_path / "short.json")
    with pytest.raises(ValueError, match="one run per"):
        load_sweep(path)
    doc = json.loads(SWEEP_FILE.read_text())
    doc["points"][0]["accuracy"][0] = float("nan")
    (tmp_path / "nan.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="malformed"):
        load_sweep(tmp_path / "nan.json")
    (tmp_path / "junk.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="cannot read"):
        load_sweep(tmp_path / "junk.json")
