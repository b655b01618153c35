"""MultiHeadAttention's scale, is_causal and need_weights=False (fused) paths, against its
own weights path and against torch."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from attention import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from tests.tensors import D64, randn


def layer(d_model=16, H=4, scale=None, dtype=D64, seed=0):
    torch.manual_seed(seed)
    mha = MultiHeadAttention(d_model, H, scale=scale, dtype=dtype)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    return mha


def both(mha, *args, **kw):
    """The same call through the weights path and the fused path."""
    return mha(*args, need_weights=True, **kw), mha(*args, need_weights=False, **kw)


def test_fused_path_returns_no_weights_and_matches_weights_path():
    mha = layer()
    x = randn(3, 7, 16)
    slow, fast = both(mha, x)
    assert fast.weights is None and slow.weights.shape == (3, 4, 7, 7)
    torch.testing.assert_close(fast.output, slow.output)
    torch.testing.assert_close(fast.heads, slow.heads)
    torch.testing.assert_close(fast.q, slow.q)


@pytest.mark.parametrize("need_weights", [True, False])
def test_is_causal_equals_causal_mask(need_weights):
    mha = layer()
    x = randn(2, 6, 16)
    a = mha(x, is_causal=True, need_weights=need_weights)
    b = mha(x, mask=causal_mask(6), need_weights=True)
    torch.testing.assert_close(a.output, b.output)
    if need_weights:
        assert torch.equal(a.weights, b.weights)


@pytest.mark.parametrize("Lq,Lk", [(3, 5), (5, 3)])
def test_is_causal_cross_attention_is_top_left_aligned(Lq, Lk):
    mha = layer()
    q, kv = randn(2, Lq, 16, seed=1), randn(2, Lk, 16, seed=2)
    fast = mha(q, kv, is_causal=True, need_weights=False)
    slow = mha(q, kv, mask=causal_mask(Lq, Lk))
    torch.testing.assert_close(fast.output, slow.output)


def test_fused_path_with_padding_and_causal_masks():
    mha = layer()
    x = randn(3, 6, 16)
    mask = padding_mask([6, 4, 2], 6)  # (B, 1, S); every row keeps key 0
    slow, fast = both(mha, x, mask=mask, is_causal=True)
    torch.testing.assert_close(fast.output, slow.output)
    ref = mha(x, mask=mask & causal_mask(6))
    assert torch.equal(slow.weights, ref.weights)


def test_fused_path_row_with_no_key_falls_back_to_zero_weights():
    mha = layer()
    x = randn(2, 4, 16)
    mask = torch.ones(4, 4, dtype=torch.bool)
    mask[1] = False  # query 1 may attend to nothing: zero heads, output = b_O
    slow, fast = both(mha, x, mask=mask)
    torch.testing.assert_close(fast.output, slow.output)
    torch.testing.assert_close(fast.output[:, 1], mha.out_proj.bias.expand(2, 16))


def test_fused_path_huge_inputs_stay_finite_like_weights_path():
    mha = layer(d_model=8, H=2)
    x = randn(1, 5, 8) * 1e154  # q k^T overflows float64
    slow, fast = both(mha, x, is_causal=True)
    assert torch.isfinite(fast.output).all()
    torch.testing.assert_close(fast.output, slow.output)


def test_fused_path_empty_sequence():
    mha = layer()
    out = mha(randn(2, 0, 16), need_weights=False, is_causal=True)
    assert out.output.shape == (2, 0, 16)


@pytest.mark.parametrize("scale", [1.0, 0.05, 3.0])
def test_scale_multiplies_the_logits(scale):
    mha = layer(scale=scale)
    x = randn(2, 5, 16)
    res = mha(x, mask=causal_mask(5))
    ref = scaled_dot_product_attention(res.q, res.k, res.v, mask=causal_mask(5), scale=scale)
    torch.testing.assert_close(res.weights, ref.weights)
    fast = mha(x, is_causal=True, need_weights=False)
    torch.testing.assert_close(fast.output, res.output)
    assert mha.scale == scale


def test_default_scale_is_inverse_sqrt_d_head():
    mha = MultiHeadAttention(64, 4)
    assert mha.scale == pytest.approx(1 / math.sqrt(16))


def test_unscaled_layer_differs_from_scaled_one():
    a, b = layer(), layer(scale=1.0)
    b.load_state_dict(a.state_dict())
    x = randn(1, 5, 16)
    assert not torch.allclose(a(x).weights, b(x).weights)


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_scale_raises(scale):
    with pytest.raises(ValueError, match="scale"):
        MultiHeadAttention(8, 2, scale=scale)


def test_fused_causal_training_matches_torch_multihead_attention():
    """Forward and gradients of the fused path against torch's need_weights=False."""
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(16, 4, batch_first=True, dtype=D64)
    ours = MultiHeadAttention.from_torch(ref)
    x = randn(3, 7, 16).requires_grad_()
    x2 = x.detach().clone().requires_grad_()
    blocked = torch.ones(7, 7, dtype=torch.bool).triu(1)
    out_ref, _ = ref(x, x, x, attn_mask=blocked, is_causal=True, need_weights=False)
    out = ours(x2, is_causal=True, need_weights=False).output
    torch.testing.assert_close(out, out_ref)
    out_ref.square().sum().backward()
    out.square().sum().backward()
    torch.testing.assert_close(x2.grad, x.grad)
    torch.testing.assert_close(ours.in_proj_weight.grad, ref.in_proj_weight.grad)
    torch.testing.assert_close(ours.out_proj.weight.grad, ref.out_proj.weight.grad)


def test_fused_path_gradients_match_weights_path():
    mha = layer(d_model=8, H=2)
    x = randn(2, 5, 8)
    grads = []
    for need_weights in (True, False):
        mha.zero_grad()
        mha(x, is_causal=True, need_weights=need_weights).output.sum().backward()
        grads.append(mha.in_proj_weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


def test_fused_path_matches_torch_sdpa_float32():
    mha = layer(d_model=32, H=4, dtype=torch.float32)
    x = randn(2, 9, 32, dtype=torch.float32)
    res = mha(x, is_causal=True, need_weights=False)
    q, k, v = mha.project(x)
    heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(res.heads, heads)


def test_fused_kernel_nan_falls_back_to_weights_path(monkeypatch):
    """A backend whose fused kernel overflows to NaN: the answer still comes back finite."""
    import attention.core.modules as modules

    mha = layer(d_model=8, H=2)
    x = randn(1, 5, 8)
    expected = mha(x, is_causal=True).output
    monkeypatch.setattr(modules.F, "scaled_dot_product_attention",
                        lambda q, k, v, **kw: torch.full_like(q, float("nan")))
    torch.testing.assert_close(mha(x, is_causal=True, need_weights=False).output, expected)
