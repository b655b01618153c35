"""MultiHeadAttention's fast paths equal the readable scaled_dot_product_attention, head by
head: weights, each head's output and the final output, with masks, causal, a row with no
key and overflowing logits, through the weights path and the fused (need_weights=False) one."""

import pytest
import torch
import torch.nn.functional as F

from attention import (
    MultiHeadAttention,
    MultiHeadResult,
    causal_mask,
    combine_masks,
    padding_mask,
    scaled_dot_product_attention,
)
from tests.tensors import D64, randn

B, L, D, H = 2, 6, 16, 4


def layer(scale=None, d_model=D, heads=H, dtype=D64):
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model, heads, scale=scale, dtype=dtype)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    return mha


def readable(mha, x, mask):
    """What the layer should give: the readable function on each head, then Concat and W_O."""
    q, k, v = mha.project(x)  # (B, H, L, d_head)
    per_head = None if mask is None else mask.unsqueeze(-3)  # (..., 1, L, L): every head
    r = scaled_dot_product_attention(q, k, v, mask=per_head, scale=mha.scale)
    concat = r.output.transpose(-3, -2).reshape(*x.shape[:-1], D)  # (B, L, H * d_head)
    return r.weights, r.output, F.linear(concat, mha.out_proj.weight, mha.out_proj.bias)


def no_key_row():
    m = torch.ones(L, L, dtype=torch.bool)
    m[2] = False  # query 2 may attend no key: zero weights, zero head output
    return m


# name -> (mask, is_causal); the readable function gets combine_masks(mask, causal_mask(L))
CASES = {
    "none": (None, False),
    "bool mask": (torch.rand(L, L, generator=torch.Generator().manual_seed(1)) < 0.7, False),
    "padding": (padding_mask([L, 3]), False),  # (B, 1, L)
    "causal": (None, True),
    "causal and padding": (padding_mask([L, 4]), True),
    "row with no key": (no_key_row(), False),
    "causal and a row with no key": (no_key_row(), True),
}


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights path", "fused path"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("scale", [None, 1.0])
def test_layer_equals_readable_function_per_head(case, need_weights, scale):
    mask, is_causal = CASES[case]
    mha = layer(scale)
    x = randn(B, L, D)
    weights, heads, output = readable(
        mha, x, combine_masks(mask, causal_mask(L) if is_causal else None))
    with torch.no_grad():
        res = mha(x, mask=mask, is_causal=is_causal, need_weights=need_weights)
    torch.testing.assert_close(res.heads, heads)
    torch.testing.assert_close(res.output, output)
    if need_weights or res.weights is not None:  # the fused path may fall back to the maps
        torch.testing.assert_close(res.weights, weights)
        assert not res.weights.isnan().any()


def test_the_row_with_no_key_is_zero_not_nan_on_both_paths():
    mha = layer()
    x = randn(B, L, D)
    for need_weights in (True, False):
        with torch.no_grad():
            res = mha(x, mask=no_key_row(), need_weights=need_weights)
        assert torch.equal(res.heads[:, :, 2], torch.zeros(B, H, D // H, dtype=D64))
        if need_weights:
            assert torch.equal(res.weights[:, :, 2], torch.zeros(B, H, L, dtype=D64))


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights path", "fused path"])
@pytest.mark.parametrize("is_causal", [False, True])
def test_overflowing_logits_equal_the_readable_function(need_weights, is_causal):
    mha = layer()
    x = randn(1, L, D) * 1e154  # q k^T overflows float64
    mask = causal_mask(L) if is_causal else None
    weights, heads, output = readable(mha, x, mask)
    assert torch.isfinite(output).all()
    with torch.no_grad():
        res = mha(x, is_causal=is_causal, need_weights=need_weights)
    torch.testing.assert_close(res.heads, heads)
    torch.testing.assert_close(res.output, output)
    if need_weights:
        torch.testing.assert_close(res.weights, weights)


def test_attend_on_projected_heads_equals_readable_function():
    mha = layer()
    q, k, v = randn(B, H, L, 4, seed=1), randn(B, H, L, 4, seed=2), randn(B, H, L, 4, seed=3)
    with torch.no_grad():
        res = mha.attend(q, k, v, mask=no_key_row())
    ref = scaled_dot_product_attention(q, k, v, mask=no_key_row(), scale=mha.scale)  # (L, L)
    torch.testing.assert_close(res.weights, ref.weights)
    torch.testing.assert_close(res.heads, ref.output)


def test_result_stages_are_consistent():
    mha = layer(d_model=12, heads=3)
    x = randn(2, 5, 12)
    mask = causal_mask(5)
    with torch.no_grad():
        res = mha(x, mask=mask)
    assert isinstance(res, MultiHeadResult)
    # q, k, v: the projections split into heads
    proj = F.linear(x, mha.in_proj_weight, mha.in_proj_bias)
    proj = proj.view(2, 5, 3, 3, 4)  # (B, L, 3, H, d_head)
    torch.testing.assert_close(res.q, proj[:, :, 0].transpose(1, 2))
    torch.testing.assert_close(res.k, proj[:, :, 1].transpose(1, 2))
    torch.testing.assert_close(res.v, proj[:, :, 2].transpose(1, 2))
    torch.testing.assert_close(res.q, mha.split_heads(x @ mha.W_Q.T + mha.in_proj_bias[:12]))
    # each head is an ordinary scaled dot-product attention
    single = scaled_dot_product_attention(res.q, res.k, res.v, mask=mask)
    torch.testing.assert_close(res.weights, single.weights)
    torch.testing.assert_close(res.heads, single.output)
    # concatenation and W_O
    assert res.concat.shape == (2, 5, 12)
    torch.testing.assert_close(res.concat[..., 4:8], res.heads[:, 1])
    torch.testing.assert_close(res.output, res.concat @ mha.W_O.T + mha.out_proj.bias)


def test_attend_accepts_any_heads():
    mha = layer()
    q, k, v = randn(4, 5, 4, seed=1), randn(4, 5, 4, seed=2), randn(4, 5, 4, seed=3)
    with torch.no_grad():
        res = mha.attend(q, k, v)
    torch.testing.assert_close(res.weights, scaled_dot_product_attention(q, k, v).weights)
    assert res.output.shape == (5, 16)
    # non-contiguous heads, and leading dimensions that broadcast as in matmul
    qt = randn(4, 4, 5, seed=4).transpose(-2, -1)  # (H, Lq, d_head), a strided view
    qb = torch.stack([q, qt])  # (2, H, Lq, d_head) against k, v (H, Lk, d_head)
    with torch.no_grad():
        res = mha.attend(qb, k, v, mask=causal_mask(5))
    ref = scaled_dot_product_attention(qb, k, v, mask=causal_mask(5))
    assert res.weights.shape == (2, 4, 5, 5) and res.output.shape == (2, 5, 16)
    torch.testing.assert_close(res.weights, ref.weights)
    torch.testing.assert_close(res.heads, ref.output)


# ---------------------------------------------------------------- no NaN, ever


def test_row_with_no_allowed_key_gives_zero_weights():
    mha = layer()
    x = randn(2, 4, 16)
    keep = padding_mask([0, 4], S=4)  # the first sequence is all padding
    with torch.no_grad():
        res = mha(x, mask=keep)
    assert torch.equal(res.weights[0], torch.zeros(4, 4, 4, dtype=D64))
    assert torch.equal(res.heads[0], torch.zeros(4, 4, 4, dtype=D64))
    torch.testing.assert_close(res.output[0], mha.out_proj.bias.expand(4, 16))  # W_O 0 + b_O
    assert torch.isfinite(res.output).all()


@pytest.mark.parametrize("masked", [False, True])
def test_huge_inputs_stay_finite(masked):
    mha = layer(dtype=torch.float32)
    x = randn(2, 6, 16).float() * 1e20  # q k^T overflows float32
    mask = causal_mask(6) if masked else None
    with torch.no_grad():
        q, k, _ = mha.project(x)
        assert not torch.isfinite(q @ k.transpose(-2, -1)).all()
        res = mha(x, mask=mask)
    assert torch.isfinite(res.weights).all() and torch.isfinite(res.output).all()
    torch.testing.assert_close(res.weights.sum(-1), torch.ones(2, 4, 6))
    if masked:
        assert (res.weights.triu(1) == 0).all()
