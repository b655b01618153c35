"""scaled_dot_product_attention and the masks, against torch and against the maths."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from attention import (causal_mask, combine_masks, entropy, padding_mask,
                       scaled_dot_product_attention)

D64 = torch.float64


def randn(*shape, seed=0, dtype=D64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def random_mask(*shape, seed=0, p=0.5):
    """A bool mask with at least one allowed key in every row (torch gives NaN otherwise)."""
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(*shape, generator=g) < p
    mask[..., 0] = True
    return mask[..., torch.randperm(shape[-1], generator=g)]


def qkv(B=(2, 3), Lq=5, Lk=7, d_k=8, d_v=6, seed=0, dtype=D64):
    return (randn(*B, Lq, d_k, seed=seed, dtype=dtype),
            randn(*B, Lk, d_k, seed=seed + 1, dtype=dtype),
            randn(*B, Lk, d_v, seed=seed + 2, dtype=dtype))


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
    for t, c in zip((q, k, v), copies):
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
