"""GGUF -> cached safetensors: converted once, no pickle, the same logits as the GGUF."""

from __future__ import annotations

import json

import pytest
import torch

from attention.pretrained import decoder_cache as dc
from attention.pretrained import load_decoder

pytestmark = pytest.mark.slow


def test_conversion_once_gives_the_ggufs_logits(tmp_path):
    from transformers import AutoModelForCausalLM

    said: list[str] = []
    lm = load_decoder(cache_dir=tmp_path, progress=said.append)
    assert len(said) == 2 and "First load" in said[0]  # a visible message on the first load
    folder = tmp_path / dc.CONVERTED
    files = {p.name for p in folder.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= files
    assert not {n for n in files if n.endswith((".bin", ".pt", ".pkl", ".pth"))}  # never pickle
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["tie_word_embeddings"]
    assert not list(tmp_path.glob(".*"))  # no temporary folder left behind

    gguf = dc.gguf_path()
    direct = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32, attn_implementation="eager",
        local_files_only=True).eval()
    ids = lm.encode("The quick brown fox jumps over the lazy dog.")[None]  # (1, L)
    with torch.inference_mode():
        expected = direct(input_ids=ids).logits  # (1, L, vocab)
        got = lm.model(input_ids=ids).logits
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    assert lm.model.lm_head.weight.data_ptr() == lm.model.model.embed_tokens.weight.data_ptr()

    again: list[str] = []
    load_decoder(cache_dir=tmp_path, progress=again.append)
    assert again == []  # the second load reads the cache


def test_a_half_written_cache_is_not_used(tmp_path):
    folder = tmp_path / dc.CONVERTED
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert not dc.is_converted(folder)
