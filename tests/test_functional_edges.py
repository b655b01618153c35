"""scaled_dot_product_attention at the edges: no NaN ever, and bad input refused clearly."""

import math

import pytest
import torch
import torch.nn.functional as F

from attention import causal_mask, padding_mask, scaled_dot_product_attention
from tests.tensors import D64, qkv, randn

# ---------------------------------------------------------------- no NaN, ever


def test_row_with_no_allowed_key_gives_zero_weights_and_output():
    q, k, v = qkv(B=(), Lq=3, Lk=4)
    mask = torch.tensor([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]).bool()
    r = scaled_dot_product_attention(q, k, v, mask=mask)
    assert torch.equal(r.weights[1], torch.zeros(4, dtype=D64))
    assert torch.equal(r.output[1], torch.zeros(2 * 3, dtype=D64))
    assert not r.weights.isnan().any() and not r.output.isnan().any()
    assert torch.isneginf(r.logits[1]).all()
    torch.testing.assert_close(r.weights[2], torch.tensor([0, 0, 0, 1.0], dtype=D64))


def test_empty_sequences():
    r = scaled_dot_product_attention(randn(0, 4), randn(0, 4), randn(0, 2))
    assert r.weights.shape == (0, 0) and r.output.shape == (0, 2)
    r = scaled_dot_product_attention(randn(3, 4), randn(0, 4), randn(0, 2))
    assert torch.equal(r.output, torch.zeros(3, 2, dtype=D64))


def test_all_padding_sequence_gives_zeros():
    q, k, v = qkv(B=(2,), Lq=3, Lk=3)
    r = scaled_dot_product_attention(q, k, v, mask=padding_mask([0, 2], S=3))
    assert torch.equal(r.weights[0], torch.zeros(3, 3, dtype=D64))
    torch.testing.assert_close(r.weights[1].sum(-1), torch.ones(3, dtype=D64))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_huge_entries_stay_finite(sign):
    g = torch.Generator().manual_seed(0)
    q = torch.randn(4, 8, generator=g).sign() * 1e20  # q k^T overflows float32 to +-inf
    k = sign * torch.randn(6, 8, generator=g).sign() * 1e20
    v = torch.randn(6, 3, generator=g)
    r = scaled_dot_product_attention(q, k, v)
    assert not torch.isfinite(r.scores).all()  # the case really overflowed
    assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(4))


def test_huge_entries_with_a_mask_stay_masked():
    q = torch.full((3, 4), 1e20)
    k = torch.full((5, 4), 1e20)
    mask = causal_mask(3, 5)
    r = scaled_dot_product_attention(q, k, torch.randn(5, 2), mask=mask)
    assert torch.isfinite(r.weights).all()
    assert (r.weights[~mask] == 0).all()
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(3))
    torch.testing.assert_close(r.weights[2], torch.tensor([1 / 3, 1 / 3, 1 / 3, 0, 0]))


def test_tiny_temperature_becomes_argmax():
    q, k, v = qkv(B=(), Lq=4, Lk=6, dtype=torch.float32)
    r = scaled_dot_product_attention(q, k, v, temperature=1e-30)
    assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
    one_hot = F.one_hot(r.scores.argmax(-1), 6).float()
    torch.testing.assert_close(r.weights, one_hot)


@pytest.mark.parametrize("temperature", [1e-300, 5e-324])
def test_temperature_that_overflows_stays_finite(temperature):
    q, k, v = qkv(B=(2,), Lq=4, Lk=6, dtype=torch.float32)
    r = scaled_dot_product_attention(q, k, v, temperature=temperature)
    assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(2, 4))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf, -math.inf, "1", None])
def test_bad_temperature_raises(temperature):
    q, k, v = qkv()
    with pytest.raises(ValueError, match="temperature"):
        scaled_dot_product_attention(q, k, v, temperature=temperature)


@pytest.mark.parametrize("scale", [math.nan, math.inf, "0.5"])
def test_bad_scale_raises(scale):
    q, k, v = qkv()
    with pytest.raises(ValueError, match="scale"):
        scaled_dot_product_attention(q, k, v, scale=scale)


@pytest.mark.parametrize("q,k,v,match", [
    (randn(5, 8), randn(7, 4), randn(7, 6), "d_k"),
    (randn(5, 8), randn(7, 8), randn(6, 6), "number of keys"),
    (randn(8), randn(7, 8), randn(7, 6), "q must have shape"),
    (randn(5, 8), randn(7, 8), [[0.0]], "v must be a torch.Tensor"),
    (torch.ones(5, 8, dtype=torch.long), randn(7, 8), randn(7, 6), "floating-point"),
    (randn(5, 8), randn(7, 8, dtype=torch.float32), randn(7, 6), "dtype"),
    (randn(2, 5, 8), randn(3, 7, 8), randn(3, 7, 6), "broadcast"),
    (randn(5, 0), randn(7, 0), randn(7, 6), "d_k >= 1"),
])
def test_mismatched_qkv_raise(q, k, v, match):
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(q, k, v)


@pytest.mark.parametrize("mask,match", [
    (torch.ones(5, 7), "bool"),
    (torch.ones(5, 7, dtype=torch.long), "bool"),
    (torch.ones(5, 6, dtype=torch.bool), "does not broadcast"),
    (torch.ones(7, 5, dtype=torch.bool), "does not broadcast"),
    (torch.ones(4, 2, 3, 5, 7, dtype=torch.bool), "enlarge"),
    ([[True] * 7] * 5, "bool"),
])
def test_bad_mask_raises(mask, match):
    q, k, v = qkv()
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(q, k, v, mask=mask)


@pytest.mark.parametrize("lengths,S,match", [
    ([[1, 2]], None, "1-D"),
    ([2, -1], None, "non-negative"),
    ([1.5, 2.0], None, "integers"),
    ([2, 5], 4, "exceeds"),
])
def test_bad_padding_lengths_raise(lengths, S, match):
    with pytest.raises(ValueError, match=match):
        padding_mask(lengths, S=S)


def test_negative_causal_length_raises():
    with pytest.raises(ValueError):
        causal_mask(-1)
    with pytest.raises(ValueError):
        causal_mask(3, -2)
