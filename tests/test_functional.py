"""scaled_dot_product_attention and the masks, against torch and against the maths."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from attention import (
    causal_mask,
    combine_masks,
    entropy,
    padding_mask,
    scaled_dot_product_attention,
)
from tests.tensors import D64, qkv, randn, random_mask

# ---------------------------------------------------------------- parity with torch


def test_matches_torch_sdpa_without_mask():
    q, k, v = qkv()
    r = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(r.output, F.scaled_dot_product_attention(q, k, v))
    assert r.output.shape == (2, 3, 5, 6) and r.weights.shape == (2, 3, 5, 7)


def test_matches_torch_sdpa_with_bool_mask():
    q, k, v = qkv()
    mask = random_mask(2, 3, 5, 7, seed=4)
    r = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(r.output, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def test_mask_broadcasts_over_batch_like_torch():
    q, k, v = qkv()
    mask = random_mask(5, 7, seed=5)  # (Lq, Lk), shared by every batch and head
    r = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(r.output, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


@pytest.mark.parametrize("Lq,Lk", [(6, 6), (4, 9), (9, 4)])
def test_causal_mask_matches_torch_is_causal(Lq, Lk):
    q, k, v = qkv(Lq=Lq, Lk=Lk)
    r = scaled_dot_product_attention(q, k, v, mask=causal_mask(Lq, Lk))
    torch.testing.assert_close(r.output, F.scaled_dot_product_attention(q, k, v, is_causal=True))


@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0])
def test_custom_scale_matches_torch(scale):
    q, k, v = qkv()
    r = scaled_dot_product_attention(q, k, v, scale=scale)
    torch.testing.assert_close(r.output, F.scaled_dot_product_attention(q, k, v, scale=scale))


@pytest.mark.parametrize("temperature", [0.25, 1.0, 4.0])
def test_temperature_divides_the_scale(temperature):
    q, k, v = qkv()
    r = scaled_dot_product_attention(q, k, v, temperature=temperature)
    expected = F.scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(8) / temperature)
    torch.testing.assert_close(r.output, expected)


def test_every_stage_matches_the_formula():
    q, k, v = qkv()
    mask = random_mask(2, 3, 5, 7, seed=6)
    scale, temperature = 0.3, 1.7
    r = scaled_dot_product_attention(q, k, v, mask=mask, scale=scale, temperature=temperature)
    scores = q @ k.transpose(-2, -1)
    torch.testing.assert_close(r.scores, scores)
    torch.testing.assert_close(r.logits[mask], (scores * scale / temperature)[mask])
    assert torch.isneginf(r.logits[~mask]).all()
    weights = torch.softmax(scores.masked_fill(~mask, -math.inf) * scale / temperature, dim=-1)
    torch.testing.assert_close(r.weights, weights)
    torch.testing.assert_close(r.output, weights @ v)
    assert (r.weights[~mask] == 0).all()


def test_default_scale_is_one_over_sqrt_dk():
    q, k, v = qkv(d_k=16)
    r = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(r.logits, r.scores / 4.0)


def test_float32_close_to_float64():
    q, k, v = qkv()
    r64 = scaled_dot_product_attention(q, k, v)
    r32 = scaled_dot_product_attention(q.float(), k.float(), v.float())
    assert r32.weights.dtype == torch.float32
    torch.testing.assert_close(r32.output, r64.output.float(), atol=1e-5, rtol=1e-5)


def test_inputs_are_left_unchanged():
    q, k, v = qkv()
    copies = [t.clone() for t in (q, k, v)]
    scaled_dot_product_attention(q, k, v, mask=random_mask(5, 7))
    for t, c in zip((q, k, v), copies, strict=True):
        assert torch.equal(t, c)


def test_gradients_flow_through_every_stage():
    q, k, v = (t.requires_grad_() for t in qkv(B=(2,), Lq=3, Lk=4, d_k=2, d_v=2))
    mask = random_mask(3, 4, seed=1)

    def f(q, k, v):
        r = scaled_dot_product_attention(q, k, v, mask=mask, temperature=0.7)
        return r.output, r.weights

    assert torch.autograd.gradcheck(f, (q, k, v))


# ---------------------------------------------------------------- masks


def test_causal_mask_is_lower_triangle():
    m = causal_mask(4)
    assert m.dtype == torch.bool and m.shape == (4, 4)
    expected = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]).bool()
    assert torch.equal(m, expected)
    assert torch.equal(causal_mask(2, 3), torch.tensor([[1, 0, 0], [1, 1, 0]]).bool())
    assert causal_mask(0).shape == (0, 0)


def test_padding_mask_marks_real_tokens():
    m = padding_mask([3, 1, 0], S=4)
    assert m.shape == (3, 1, 4) and m.dtype == torch.bool
    assert torch.equal(m[:, 0], torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]]).bool())
    assert padding_mask(torch.tensor([2, 5])).shape == (2, 1, 5)  # S defaults to the longest


def test_combine_masks_is_a_broadcast_and():
    c, p = causal_mask(4), padding_mask([2, 4])
    both = combine_masks(c, None, p)
    assert both.shape == (2, 4, 4)
    assert torch.equal(both, c[None] & p)
    assert combine_masks(None, None) is None
    assert combine_masks(c) is c


# ---------------------------------------------------------------- properties

shapes = st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.integers(1, 8),
                   st.integers(0, 2**31 - 1))


@given(shapes, st.floats(0.0, 1.0), st.floats(0.05, 20.0))
def test_rows_sum_to_one_or_zero_when_fully_masked(shape, p, temperature):
    B, Lq, Lk, d, seed = shape
    q, k, v = qkv(B=(B,), Lq=Lq, Lk=Lk, d_k=d, d_v=3, seed=seed)
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(B, Lq, Lk, generator=g) < p  # rows with no key happen
    r = scaled_dot_product_attention(q, k, v, mask=mask, temperature=temperature)
    sums = r.weights.sum(-1)
    allowed = mask.any(-1)
    torch.testing.assert_close(sums[allowed], torch.ones_like(sums[allowed]))
    assert (r.weights[~allowed] == 0).all() and (r.output[~allowed] == 0).all()
    assert (r.weights[~mask] == 0).all() and (r.weights >= 0).all()
    assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
    h = entropy(r.weights)  # within [0, ln(number of allowed keys)]
    bound = mask.sum(-1).clamp(min=1).double().log()
    assert (h >= -1e-12).all() and (h <= bound + 1e-9).all()


@given(st.integers(1, 12), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_causal_weights_are_zero_above_the_diagonal(L, d, seed):
    q, k, v = qkv(B=(2,), Lq=L, Lk=L, d_k=d, seed=seed)
    w = scaled_dot_product_attention(q, k, v, mask=causal_mask(L)).weights
    assert (w.triu(diagonal=1) == 0).all()
    assert w[..., 0, 0].eq(1).all()  # the first query sees only itself
    torch.testing.assert_close(w.sum(-1), torch.ones(2, L, dtype=D64))


@given(st.integers(1, 10), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_self_attention_is_permutation_equivariant(L, d, seed):
    x = randn(L, d, seed=seed)
    perm = torch.randperm(L, generator=torch.Generator().manual_seed(seed))
    r = scaled_dot_product_attention(x, x, x)
    rp = scaled_dot_product_attention(x[perm], x[perm], x[perm])
    torch.testing.assert_close(rp.output, r.output[perm])
    torch.testing.assert_close(rp.weights, r.weights[perm][:, perm])


def test_equal_keys_give_uniform_weights_of_entropy_ln_8():
    q = randn(3, 4)
    k = torch.ones(8, 4, dtype=D64)
    r = scaled_dot_product_attention(q, k, randn(8, 2))
    torch.testing.assert_close(r.weights, torch.full((3, 8), 1 / 8, dtype=D64))
    assert entropy(r.weights) == pytest.approx([2.0794] * 3, abs=1e-4)
