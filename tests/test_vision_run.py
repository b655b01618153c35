"""The shipped vision run: present, small, in the format save_run writes, true to its
config, and as good as measured."""

import json

import numpy as np
import pytest
from safetensors.torch import load_file

from attention.lab import svc_baseline
from attention.lab.digits import load_split
from attention.lab.loop import log_steps
from attention.lab.runs import DIRECTORY, SHIPPED, load_shipped
from attention.lab.store import FORMAT, VERSION
from attention.lab.training import run_training

NAME = "digits_vit"

pytestmark = pytest.mark.usefixtures("one_thread")


def test_files_have_the_written_format_and_stay_small():
    config, _ = SHIPPED[NAME]
    doc = json.loads((DIRECTORY / f"{NAME}.json").read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["config"] == vars(config) and config.task == "digits"
    assert [r["step"] for r in doc["history"]] == log_steps(config.steps)
    with np.load(DIRECTORY / f"{NAME}.npz", allow_pickle=False) as z:
        assert z["weights"].shape == (len(z["steps"]), 2, 4, 17, 17)
    state = load_file(str(DIRECTORY / f"{NAME}.safetensors"))
    assert state["patch_embed.weight"].shape == (64, 4)
    size = sum((DIRECTORY / f"{NAME}{ext}").stat().st_size
               for ext in (".json", ".npz", ".safetensors"))
    assert size < 700 * 1024  # measured 545 KiB


def test_loads_and_matches_its_first_steps():
    run = load_shipped(NAME)
    config, _ = SHIPPED[NAME]
    assert run.config == config and not run.stopped_early
    again = run_training(config.__class__(**{**vars(config), "steps": 2}))
    for a, b in zip(again.history, run.history[:3], strict=False):
        assert a.step == b.step
        assert a.loss == pytest.approx(b.loss, rel=1e-4)
        np.testing.assert_allclose(a.cls_entropy, b.cls_entropy, atol=1e-4)
    np.testing.assert_allclose(again.snapshots[-1].weights.astype(np.float32),
                               run.snapshots[2].weights.astype(np.float32), atol=2e-3)


def test_what_the_shipped_run_shows():
    run = load_shipped(NAME)
    # measured: 0.970 after 1500 steps; the SVC baseline on the same split 0.997
    assert 0.95 <= run.accuracy <= svc_baseline()
    assert run.attention(load_split().test_images[0]).shape == (2, 4, 17, 17)
    assert run.probe_label == int(load_split().test_labels[0])
