"""The shipped lab runs: present, small, in the format save_run writes, loadable without
pickle, and true to the config they claim."""

import json

import numpy as np
import pytest
from safetensors.torch import load_file

from attention.lab.loop import log_steps
from attention.lab.runs import DIRECTORY, SHIPPED, load_shipped
from attention.lab.store import FORMAT, VERSION
from attention.lab.training import run_training

NAMES = sorted(SHIPPED)
TEXT = [n for n in NAMES if not SHIPPED[n][0].vision]  # the vision run: tests/test_vision_run.py


pytestmark = pytest.mark.usefixtures("one_thread")  # torch on one thread, as the lab trains


def test_the_five_runs_and_their_size():
    assert NAMES == ["digits_vit", "induction_1l", "induction_2l", "scaling_scaled",
                     "scaling_unscaled"]
    total = sum(p.stat().st_size for p in DIRECTORY.iterdir() if p.suffix in (".json", ".npz",
                                                                                ".safetensors"))
    assert total < 4 * 2**20  # a few MB at most


@pytest.mark.parametrize("name", TEXT)
def test_files_have_the_written_format(name):
    config, _ = SHIPPED[name]
    doc = json.loads((DIRECTORY / f"{name}.json").read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["config"] == vars(config)  # the config it claims is the one in SHIPPED
    assert [r["step"] for r in doc["history"]] == log_steps(config.steps)
    with np.load(DIRECTORY / f"{name}.npz", allow_pickle=False) as z:
        assert set(z.files) == {"steps", "weights"}
        assert z["steps"].tolist() == log_steps(config.steps)
        L = config.max_len
        assert z["weights"].shape == (len(z["steps"]), config.layers, config.heads, L, L)
        assert z["weights"].dtype == np.float16
    weights = DIRECTORY / f"{name}.safetensors"
    assert weights.exists() == doc["has_weights"]
    if doc["has_weights"]:
        state = load_file(str(weights))
        assert state["embed.weight"].shape == (config.vocab_size, config.d_model)


@pytest.mark.parametrize("name", TEXT)
def test_loads_and_matches_its_first_steps(name):
    """Training the claimed config again gives the same first records (the trajectory
    does not depend on how many steps are asked for)."""
    run = load_shipped(name)
    config, _ = SHIPPED[name]
    assert run.config == config and not run.stopped_early
    again = run_training(config.__class__(**{**vars(config), "steps": 2}))
    for a, b in zip(again.history, run.history[:3], strict=False):
        assert a.step == b.step
        assert a.loss == pytest.approx(b.loss, rel=1e-4)
        assert a.grad_norm == pytest.approx(b.grad_norm, rel=1e-3)
        np.testing.assert_allclose(a.prev_token_score, b.prev_token_score, atol=1e-4)
    np.testing.assert_allclose(again.snapshots[-1].weights.astype(np.float32),
                               run.snapshots[2].weights.astype(np.float32), atol=2e-3)


def test_what_the_shipped_runs_show():
    runs = {name: load_shipped(name) for name in TEXT}
    assert runs["induction_2l"].accuracy >= 0.9  # measured 0.933
    assert runs["induction_1l"].accuracy < 0.5  # measured 0.255
    assert runs["scaling_scaled"].accuracy >= 0.9
    assert runs["scaling_unscaled"].accuracy < 0.2
    two = runs["induction_2l"]
    assert two.attention(two.probe).shape == (2, 4, 32, 32)
    assert runs["scaling_scaled"].model is None  # too large to ship its weights
    assert all(SHIPPED[n][1] for n in NAMES)
