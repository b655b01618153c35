"""The learning lab's training: heads form, controls fail, runs repeat, save and load.

CPU, one torch thread, fixed seeds. Every threshold below comes with the value measured
on this configuration (torch 2.13 CPU, one thread); training does not depend on how many
steps are asked for (no schedule), so a shorter run follows the same trajectory.
"""

import json
import math

import numpy as np
import pytest
import torch

from attention.lab import (
    TASKS,
    LabTransformer,
    LogRecord,
    TrainConfig,
    check_caps,
    generate,
    load_run,
    log_steps,
    save_run,
    train,
)
from attention.settings import PROFILES

pytestmark = pytest.mark.usefixtures("one_thread")  # torch on one thread, as the lab trains


@pytest.fixture(scope="module")
def default_run():
    # The defaults, 800 steps instead of 1500 (the same trajectory, cut short), and fewer
    # logged steps (logging never changes the trajectory, only what is recorded).
    return train(steps=800, log_points=12)


def best(scores):
    return max(scores)


# ---------------------------------------------------------------- heads form


def test_default_run_learns_induction(default_run):
    # measured: 0.923 at step 797 (0.898 at 609, 0.933 at 1500); 0.017 at step 0
    assert default_run.accuracy >= 0.9
    assert default_run.history[0].accuracy < 0.05
    # measured: loss 4.52 (ln 64 = 4.16) at step 0, 0.35 at step 797
    assert default_run.history[-1].loss < 0.5 * default_run.history[0].loss


def test_previous_token_head_in_layer_0_and_induction_head_in_layer_1(default_run):
    rec = default_run.history[-1]
    # measured at step 797: best layer-0 previous-token score 0.65 (0.10 at init),
    # best layer-1 induction score 0.92 (0.05 at init); layer 0 at most 0.11 on induction
    assert best(rec.prev_token_score[0]) >= 0.45
    assert best(rec.induction_score[1]) >= 0.7
    assert best(rec.induction_score[0]) < 0.3
    assert best(default_run.history[0].induction_score[1]) < 0.2


def test_phase_change_is_visible(default_run):
    # measured: accuracy 0.21 at step 234, 0.75 at 328: the jump
    step = next((r.step for r in default_run.history if r.accuracy >= 0.5), None)
    assert step is not None and 200 < step < 500


def test_one_layer_control_does_not_form_an_induction_head():
    run = train(layers=1, steps=800, log_points=4)
    rec = run.history[-1]
    # measured at step 797: accuracy 0.27 (it only learns which tokens are in context),
    # best induction score 0.26, best previous-token score 0.09
    assert run.accuracy < 0.5
    assert best(rec.induction_score[0]) < 0.45


def test_scaling_matters_at_d_head_256():
    common = dict(d_model=256, heads=1, steps=100, batch_size=32, log_points=4)
    scaled, unscaled = train(**common), train(**common, scaled=False)
    # measured at step 100: scaled 0.85, unscaled 0.06 (chance 1/64 = 0.016)
    assert scaled.accuracy >= 0.7
    assert unscaled.accuracy <= 0.2
    s0, u0 = scaled.history[0], unscaled.history[0]
    # measured at init: logit std 1.04 vs 19.9; mean largest weight 0.28 vs 0.94
    assert s0.logit_std < 2 and u0.logit_std > 10
    assert s0.max_weight < 0.5 and u0.max_weight > 0.85


# ---------------------------------------------------------------- what a run holds


def test_history_and_snapshots(default_run):
    run = default_run
    steps = [r.step for r in run.history]
    assert steps == log_steps(800, 12) == [s.step for s in run.snapshots]
    assert 40 <= len(log_steps(1500)) <= 80
    snap = run.snapshots[-1].weights
    assert snap.shape == (2, 4, 32, 32) and snap.dtype == np.float16
    np.testing.assert_allclose(snap.astype(np.float32).sum(-1), 1.0, atol=5e-3)
    assert np.all(np.triu(snap.astype(np.float32), 1) == 0)  # causal
    rec = run.history[-1]
    assert isinstance(rec, LogRecord) and len(rec.prev_token_score) == 2
    assert all(len(row) == 4 for row in rec.induction_score)
    for value in (rec.loss, rec.grad_norm, rec.logit_grad_norm, rec.logit_std, rec.max_weight):
        assert math.isfinite(value) and value > 0
    assert run.vocab_size == 64 and run.max_len == 32 and not run.stopped_early
    assert run.probe.shape == (32,) and run.probe_predictable.dtype == torch.bool


def test_attention_is_the_last_snapshot(default_run):
    maps = default_run.attention(default_run.probe)
    assert maps.shape == (2, 4, 32, 32) and maps.dtype == torch.float32
    np.testing.assert_allclose(maps.numpy(), default_run.snapshots[-1].weights, atol=1e-3)
    assert default_run.attention(default_run.probe[:5]).shape == (2, 4, 5, 5)


@pytest.mark.parametrize("tokens, match", [
    (torch.tensor([1.0, 2.0]), "integer"), (torch.zeros(2, 3, dtype=torch.long), "1-D"),
    (torch.tensor([], dtype=torch.long), "1 to 32"), (torch.zeros(33, dtype=torch.long), "1 to 32"),
    (torch.tensor([0, 64]), r"\[0, 63\]"), (torch.tensor([-1]), r"\[0, 63\]")])
def test_attention_rejects_bad_tokens(default_run, tokens, match):
    with pytest.raises(ValueError, match=match):
        default_run.attention(tokens)


# ---------------------------------------------------------------- generation


def test_generate_continues_the_repeat_and_keeps_earlier_rows(default_run):
    probe = default_run.probe  # a 12-token segment at 2..13 repeated at 18..29
    gen = generate(default_run, probe[:22], 8)
    assert torch.equal(gen.tokens[:22], probe[:22]) and gen.tokens.shape == (30,)
    # measured: all 8 continue the repeat
    assert (gen.tokens[22:] == probe[22:30]).sum() >= 6
    assert len(gen.steps) == 8
    for i, maps in enumerate(gen.steps):
        assert maps.shape == (2, 4, 22 + i, 22 + i)
        if i:  # one new query row; every earlier row (and key) unchanged
            torch.testing.assert_close(maps[..., :-1, :-1], gen.steps[i - 1], atol=1e-6, rtol=0)


def test_generate_rejects_bad_requests(default_run):
    with pytest.raises(ValueError, match="n_new"):
        generate(default_run, default_run.probe[:4], -1)
    with pytest.raises(ValueError, match="context"):
        generate(default_run, default_run.probe[:30], 5)
    with pytest.raises(ValueError, match=r"\[0, 63\]"):
        generate(default_run, torch.tensor([99]), 1)
    assert generate(default_run, default_run.probe[:4], 0).tokens.shape == (4,)


# ---------------------------------------------------------------- determinism, stopping


def small(**kw):
    return train(**{"d_model": 16, "heads": 2, "steps": 12, "batch_size": 8, **kw})


def strip_time(history):
    return [{**vars(r), "seconds": 0} for r in history]


def test_same_seed_same_numbers_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a, b, c = small(), small(), small(seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert strip_time(a.history) == strip_time(b.history)
    assert all(np.array_equal(x.weights, y.weights) for x, y in zip(a.snapshots, b.snapshots, strict=True))
    assert strip_time(a.history) != strip_time(c.history)


def test_should_stop_and_on_log():
    polls, seen = [], []

    def stop():
        polls.append(1)
        return len(polls) > 5

    run = small(steps=100, should_stop=stop, on_log=lambda r: seen.append(r.history[-1].step))
    assert run.stopped_early and run.stop_reason == "stopped"
    assert run.steps_done == 5 and run.history[-1].step == 5
    assert seen == [r.step for r in run.history]  # one call per record, in order


def test_max_seconds_stops_on_wall_time():
    run = small(steps=100, max_seconds=1e-9)
    assert run.stopped_early and run.stop_reason == "time" and run.steps_done == 0
    with pytest.raises(ValueError, match="max_seconds"):
        small(max_seconds=-1)
    with pytest.raises(ValueError, match="log_points"):
        small(log_points=0)
    assert [r.step for r in small(log_points=2).history] == log_steps(12, 2)


# ---------------------------------------------------------------- save and load


def test_save_load_round_trip(default_run, tmp_path):
    paths = save_run(default_run, tmp_path, "run")
    assert sorted(p.name for p in paths) == ["run.json", "run.npz", "run.safetensors"]
    with np.load(tmp_path / "run.npz", allow_pickle=False) as z:
        assert set(z.files) == {"steps", "weights"} and z["weights"].dtype == np.float16
    back = load_run(tmp_path, "run")
    assert back.config == default_run.config and back.history == default_run.history
    assert back.accuracy == default_run.accuracy
    assert torch.equal(back.probe, default_run.probe)
    assert all(np.array_equal(a.weights, b.weights)
               for a, b in zip(back.snapshots, default_run.snapshots, strict=True))
    assert torch.equal(back.attention(back.probe), default_run.attention(default_run.probe))
    prefix = default_run.probe[:20]
    assert torch.equal(generate(back, prefix, 4).tokens, generate(default_run, prefix, 4).tokens)


def test_save_without_weights_and_bad_files(tmp_path):
    run = small()
    save_run(run, tmp_path, "light", weights=False)
    back = load_run(tmp_path, "light")
    assert back.model is None and not (tmp_path / "light.safetensors").exists()
    with pytest.raises(ValueError, match="no model weights"):
        back.attention(back.probe)
    with pytest.raises(ValueError, match="cannot read"):
        load_run(tmp_path, "missing")
    with pytest.raises(ValueError, match="run name"):
        load_run(tmp_path, "../etc/passwd")
    doc = json.loads((tmp_path / "light.json").read_text())
    del doc["history"][0]["loss"]
    (tmp_path / "light.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="valid lab run"):
        load_run(tmp_path, "light")
    save_run(run, tmp_path, "a", weights=True)
    save_run(small(d_model=8), tmp_path / "other", "a", weights=True)
    (tmp_path / "other" / "a.safetensors").replace(tmp_path / "a.safetensors")
    with pytest.raises(ValueError, match="does not match"):
        load_run(tmp_path, "a")  # weights of another shape
    (tmp_path / "light.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a lab run"):
        load_run(tmp_path, "light")


# ---------------------------------------------------------------- configs and caps


@pytest.mark.parametrize("field, value, match", [
    ("task", "sorting", "unknown task"), ("layers", 0, "layers"), ("heads", 3, "divisible"),
    ("d_model", 2.5, "d_model must be an integer"), ("vocab_size", 1, "vocab_size"),
    ("max_len", 8, "max_len >= 12"), ("batch_size", 0, "batch_size"), ("steps", -1, "steps"),
    ("seed", -3, "seed"), ("lr", float("nan"), "lr"), ("lr", 0, "lr"),
    ("scaled", "yes", "scaled must be True or False"), ("layers", True, "layers"),
    ("device", None, "device")])
def test_bad_configs_raise(field, value, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**{field: value})


def test_unavailable_device_raises():
    with pytest.raises(ValueError, match="not available"):
        small(device="no-such-device")


def test_caps():
    hosted = PROFILES["hosted"]
    check_caps(TrainConfig(), hosted)  # the default run fits the hosted caps
    with pytest.raises(ValueError, match="steps = 5000 is above this server's cap of 1500"):
        check_caps(TrainConfig(steps=5000), hosted)
    with pytest.raises(ValueError, match="d_model"):
        check_caps(TrainConfig(d_model=256, heads=1), hosted)
    assert hosted.max_train_seconds <= PROFILES["local"].max_train_seconds
    assert hosted.max_live_trainings >= 1


def test_copy_task_is_solved_by_one_layer():
    assert "induction" in TASKS and "copy" in TASKS
    run = train(task="copy", layers=1, steps=150, log_points=2)
    # measured: 0.50 at step 75, 0.99 at 112, 1.00 at 150 (a fixed offset: position suffices)
    assert run.accuracy >= 0.9
    assert run.probe_predictable.sum() == 15  # second half 16..31 predicts 17..31


def test_the_model_takes_one_config_and_its_seed_alone_draws_the_weights():
    config = TrainConfig(layers=3, heads=2, d_model=8, vocab_size=10, max_len=12, seed=4)
    model = LabTransformer(config)
    assert model.config is config and len(model.blocks) == 3
    assert model.embed.weight.shape == (10, 8) and model.pos.weight.shape == (12, 8)
    state = torch.random.get_rng_state()
    a, b = LabTransformer.from_config(config), LabTransformer.from_config(config)
    other = LabTransformer.from_config(TrainConfig(**{**vars(config), "seed": 5}))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(),
                                                 strict=True))
    assert not torch.equal(a.embed.weight, other.embed.weight)
    logits, results = a(torch.arange(5)[None], need_weights=True)
    assert logits.shape == (1, 5, 10) and results[0].weights.shape == (1, 2, 5, 5)


def test_mlp_and_layernorm_options(tmp_path):
    run = small(mlp=True, layernorm=True, steps=3)
    names = {n for n, _ in run.model.named_parameters()}
    assert {"blocks.0.mlp.0.weight", "blocks.1.norm2.bias", "norm.weight"} <= names
    assert all(math.isfinite(r.loss) for r in run.history)
    save_run(run, tmp_path, "full")
    back = load_run(tmp_path, "full")
    assert torch.equal(back.attention(back.probe), run.attention(run.probe))
