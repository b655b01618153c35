"""MultiHeadAttention against torch's nn.MultiheadAttention, and its own contract."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from attention import MultiHeadAttention, causal_mask, combine_masks, padding_mask
from tests.tensors import D64, randn


def torch_pair(d_model=16, H=4, bias=True, seed=0, dtype=D64):
    """A torch MHA with random weights and biases, and our copy of it."""
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, H, bias=bias, batch_first=True, dtype=dtype)
    if bias:
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    return ref, MultiHeadAttention.from_torch(ref)


def reference(ref, query, key, value, fast, **kw):
    """torch's output and per-head weights; `fast` = eval + no_grad (its native path)."""
    ref.train(not fast)
    with torch.set_grad_enabled(not fast):
        out, w = ref(query, key, value, need_weights=True, average_attn_weights=False, **kw)
    return out.detach(), w.detach()


def assert_matches(res, out, w):
    torch.testing.assert_close(res.output.detach(), out)
    torch.testing.assert_close(res.weights.detach(), w)


# train mode takes torch's Python path; eval + no_grad its native kernel (batched self-attention)
paths = pytest.mark.parametrize("fast", [False, True], ids=["train", "eval-no-grad"])


# ---------------------------------------------------------------- parity with torch


@paths
@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_matches_torch(fast, bias):
    ref, ours = torch_pair(bias=bias)
    x = randn(3, 6, 16)
    res = ours(x)
    assert_matches(res, *reference(ref, x, x, x, fast))
    assert res.weights.shape == (3, 4, 6, 6) and res.output.shape == (3, 6, 16)


@paths
def test_unbatched_self_attention_matches_torch(fast):
    ref, ours = torch_pair()
    x = randn(6, 16)
    res = ours(x)
    assert res.weights.shape == (4, 6, 6) and res.output.shape == (6, 16)
    assert_matches(res, *reference(ref, x, x, x, fast))


@paths
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(2,), ()])
def test_cross_attention_matches_torch(fast, bias, batch):
    ref, ours = torch_pair(bias=bias)
    query = randn(*batch, 5, 16, seed=1)
    key, value = randn(*batch, 7, 16, seed=2), randn(*batch, 7, 16, seed=3)
    res = ours(query, key, value)
    assert res.weights.shape == (*batch, 4, 5, 7)
    assert_matches(res, *reference(ref, query, key, value, fast))
    # key is value (encoder-decoder memory)
    assert_matches(ours(query, key), *reference(ref, query, key, key, fast))


@paths
@pytest.mark.parametrize("batch", [(2,), ()])
def test_causal_mask_matches_torch_inverted_attn_mask(fast, batch):
    ref, ours = torch_pair()
    x = randn(*batch, 6, 16)
    mask = causal_mask(6)
    res = ours(x, mask=mask)
    # torch's MHA bool attn_mask means the opposite: True = may NOT attend.
    assert_matches(res, *reference(ref, x, x, x, fast, attn_mask=~mask))
    assert (res.weights.triu(1) == 0).all()


@paths
def test_padding_mask_matches_torch_key_padding_mask(fast):
    ref, ours = torch_pair()
    x = randn(3, 6, 16)
    lengths = [6, 4, 1]
    keep = padding_mask(lengths)  # (B, 1, S), True = real token
    res = ours(x, mask=keep)
    assert_matches(res, *reference(ref, x, x, x, fast, key_padding_mask=~keep[:, 0]))
    assert (res.weights[2, :, :, 1:] == 0).all()


@paths
def test_causal_and_padding_together_match_torch(fast):
    ref, ours = torch_pair()
    x = randn(2, 6, 16)
    keep = padding_mask([6, 3])
    res = ours(x, mask=combine_masks(causal_mask(6), keep))
    out, w = reference(ref, x, x, x, fast, attn_mask=~causal_mask(6), key_padding_mask=~keep[:, 0])
    assert_matches(res, out, w)


def test_per_head_mask_of_torch_shape_matches():
    ref, ours = torch_pair()
    x = randn(2, 5, 16)
    g = torch.Generator().manual_seed(3)
    mask = torch.rand(2, 5, 5, generator=g) < 0.5
    mask[..., 0] = True
    res = ours(x, mask=mask)  # (B, Lq, Lk), the same for every head
    torch_mask = (~mask).repeat_interleave(4, dim=0)  # (B * H, Lq, Lk)
    assert_matches(res, *reference(ref, x, x, x, False, attn_mask=torch_mask))


def test_float32_matches_torch():
    ref, ours = torch_pair(d_model=32, H=4, dtype=torch.float32)
    x = randn(2, 9, 32, dtype=torch.float32)
    out, w = reference(ref, x, x, x, True)
    res = ours(x)
    torch.testing.assert_close(res.output.detach(), out, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(res.weights.detach(), w, atol=1e-6, rtol=1e-4)


# ---------------------------------------------------------------- what the result holds


def test_project_then_attend_equals_forward():
    _, mha = torch_pair()
    x = randn(2, 5, 16)
    with torch.no_grad():
        q, k, v = mha.project(x)
        a, b = mha.attend(q, k, v, mask=causal_mask(5)), mha(x, mask=causal_mask(5))
    assert torch.equal(a.output, b.output) and torch.equal(a.weights, b.weights)
    assert torch.equal(q, b.q)


def test_batched_equals_one_by_one():
    _, mha = torch_pair()
    x = randn(3, 6, 16)
    with torch.no_grad():
        res = mha(x, mask=causal_mask(6))
        for b in range(3):
            one = mha(x[b], mask=causal_mask(6))
            torch.testing.assert_close(res.output[b], one.output)
            torch.testing.assert_close(res.weights[b], one.weights)


def test_empty_sequences():
    _, mha = torch_pair()
    with torch.no_grad():
        res = mha(randn(2, 0, 16))
        assert res.weights.shape == (2, 4, 0, 0) and res.output.shape == (2, 0, 16)
        res = mha(randn(3, 16), randn(0, 16))  # no keys at all: zero heads, output = b_O
    assert res.weights.shape == (4, 3, 0)
    torch.testing.assert_close(res.output, mha.out_proj.bias.expand(3, 16))


def test_repeated_calls_agree_and_leave_input_alone():
    _, mha = torch_pair()
    x = randn(2, 6, 16)
    x0 = x.clone()
    with torch.inference_mode():
        a, b = mha(x), mha(x)
    assert torch.equal(a.weights, b.weights) and torch.equal(a.output, b.output)
    assert torch.equal(x, x0)


def test_gradients_flow_to_input_and_parameters():
    torch.manual_seed(0)
    mha = MultiHeadAttention(4, 2, dtype=D64)
    x = randn(2, 3, 4).requires_grad_()

    def f(x):
        res = mha(x, mask=causal_mask(3))
        return res.output, res.weights

    assert torch.autograd.gradcheck(f, (x,))
    f(x)[0].sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in mha.parameters())


SMALL = torch_pair(d_model=8, H=2, seed=5)[1]


@given(st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_self_attention_is_permutation_equivariant(L, seed):
    mha = SMALL
    x = randn(L, 8, seed=seed)
    perm = torch.randperm(L, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        r, rp = mha(x), mha(x[perm])
    torch.testing.assert_close(rp.output, r.output[perm])
    torch.testing.assert_close(rp.weights, r.weights[:, perm][:, :, perm])


@given(st.integers(1, 3), st.integers(1, 8), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_weights_rows_sum_to_one_or_zero(B, L, p, seed):
    mha = SMALL
    x = randn(B, L, 8, seed=seed)
    mask = torch.rand(B, L, L, generator=torch.Generator().manual_seed(seed)) < p
    with torch.no_grad():
        res = mha(x, mask=mask)
    allowed = mask.any(-1)[:, None].expand(B, 2, L)  # (B, H, L)
    sums = res.weights.sum(-1)
    torch.testing.assert_close(sums[allowed], torch.ones_like(sums[allowed]))
    assert (sums[~allowed] == 0).all()
    assert torch.isfinite(res.output).all() and torch.isfinite(res.heads).all()


# ---------------------------------------------------------------- constructor and errors


def test_constructor_shapes():
    mha = MultiHeadAttention(12, 3, bias=False)
    assert (mha.d_model, mha.num_heads, mha.d_head) == (12, 3, 4)
    assert mha.in_proj_bias is None and mha.out_proj.bias is None
    assert mha.in_proj_weight.shape == (36, 12)
    assert torch.equal(torch.cat([mha.W_Q, mha.W_K, mha.W_V]), mha.in_proj_weight)
    assert "num_heads=3" in repr(mha)


@pytest.mark.parametrize("d_model,H", [(10, 3), (8, 0), (0, 2), (8, -2), (8.0, 2), (8, 2.0)])
def test_bad_heads_raise(d_model, H):
    with pytest.raises(ValueError):
        MultiHeadAttention(d_model, H)


def test_d_model_not_divisible_names_both():
    with pytest.raises(ValueError, match=r"d_model \(10\) must be divisible by num_heads \(4\)"):
        MultiHeadAttention(10, 4)


@pytest.mark.parametrize("args,match", [
    ((randn(5, 12),), "width"),
    ((randn(16),), "shape"),
    (([[0.0] * 16],), "shape"),
    ((randn(5, 16, dtype=torch.float32),), "dtype"),
    ((randn(5, 16), randn(7, 16), randn(6, 16)), "same length"),
    ((randn(5, 16), randn(7, 8)), "width"),
    ((randn(5, 16), randn(7, 16), randn(7, 16, dtype=torch.float32)), "dtype"),
])
def test_bad_inputs_raise(args, match):
    _, mha = torch_pair()
    with pytest.raises(ValueError, match=match):
        mha(*args)


@pytest.mark.parametrize("mask,match", [
    (torch.ones(5, 5), "bool"),
    (torch.ones(5, 4, dtype=torch.bool), "broadcast"),
    (torch.ones(3, 5, 5, dtype=torch.bool), "broadcast"),
    (torch.ones(4, 2, 5, 5, dtype=torch.bool), "enlarge"),
])
def test_bad_mask_raises(mask, match):
    _, mha = torch_pair()
    with pytest.raises(ValueError, match=match):
        mha(randn(2, 5, 16), mask=mask)


def test_from_torch_rejects_what_it_cannot_copy():
    with pytest.raises(ValueError, match="kdim"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, kdim=4, vdim=4))
    with pytest.raises(ValueError, match="add_bias_kv"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, add_bias_kv=True))
    with pytest.raises(ValueError, match="add_zero_attn"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, add_zero_attn=True))


def test_from_torch_copies_rather_than_shares():
    ref, ours = torch_pair()
    with torch.no_grad():
        ref.in_proj_weight.zero_()
    assert ours.in_proj_weight.abs().sum() > 0
    assert ours.in_proj_weight.dtype == D64


def test_reset_parameters_like_torch():
    torch.manual_seed(0)
    mha = MultiHeadAttention(64, 4)
    assert torch.equal(mha.in_proj_bias, torch.zeros(192))
    bound = math.sqrt(6 / (64 + 192))  # xavier uniform of the packed (3 d_model, d_model)
    assert mha.in_proj_weight.abs().max() <= bound
    assert mha.in_proj_weight.abs().max() > 0.9 * bound
