"""Entropy, head statistics and head similarity."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from attention import (
    causal_mask,
    entropy,
    head_similarity,
    head_statistics,
    max_entropy,
    scaled_dot_product_attention,
)
from attention.core.inputs import positional_qk, sinusoidal_positions

D64 = torch.float64


def random_weights(*shape, seed=0, mask=None):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(*shape, generator=g, dtype=D64) * 3
    if mask is not None:
        logits = logits.masked_fill(~mask, -math.inf)
    return torch.softmax(logits, -1).nan_to_num(0.0)


def designed_weights(kinds, L, mask=None, d_head=8):
    maps = []
    for kind in kinds:
        q, k = positional_qk(kind, sinusoidal_positions(L, 64), d_head)
        maps.append(scaled_dot_product_attention(q, k, torch.eye(L), mask=mask).weights)
    return torch.stack(maps)  # (H, L, L)


# ---------------------------------------------------------------- entropy


def test_uniform_over_8_keys_is_ln_8():
    w = torch.full((8,), 1 / 8)
    assert entropy(w).item() == pytest.approx(math.log(8))
    assert entropy(w).item() == pytest.approx(2.0794, abs=1e-4)  # the seed notebook's figure


def test_entropy_of_one_hot_and_empty_rows_is_zero():
    w = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert torch.equal(entropy(w), torch.zeros(2))


def test_entropy_matches_the_formula_and_dim():
    w = random_weights(3, 4, 5)
    expected = -(w * w.log()).sum(-1)
    torch.testing.assert_close(entropy(w), expected)
    torch.testing.assert_close(entropy(w.transpose(-1, -2), dim=-2), expected)


@given(st.integers(1, 10), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_entropy_within_zero_and_ln_allowed(L, p, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(4, L, generator=g) < p
    w = random_weights(4, L, seed=seed, mask=mask)
    h = entropy(w)
    assert not h.isnan().any()
    assert (h >= -1e-12).all()
    assert (h <= max_entropy(mask).double() + 1e-6).all()
    assert torch.equal(h[~mask.any(-1)], torch.zeros(int((~mask.any(-1)).sum()), dtype=D64))


def test_max_entropy_under_causal_mask_is_ln_i_plus_1():
    L = 7
    expected = torch.log(torch.arange(1, L + 1, dtype=torch.float32))
    torch.testing.assert_close(max_entropy(causal_mask(L)), expected)
    # reached by uniform weights over the allowed keys
    w = causal_mask(L).double() / torch.arange(1, L + 1, dtype=D64)[:, None]
    torch.testing.assert_close(entropy(w).float(), expected)


def test_max_entropy_without_mask_and_with_empty_rows():
    torch.testing.assert_close(max_entropy(L=4), torch.full((4,), math.log(4)))
    assert torch.equal(max_entropy(L=0), torch.zeros(0))
    mask = torch.tensor([[True, True], [False, False]])
    torch.testing.assert_close(max_entropy(mask), torch.tensor([math.log(2), 0.0]))
    with pytest.raises(ValueError):
        max_entropy()


# ---------------------------------------------------------------- head statistics


@pytest.mark.parametrize("L", [12, 24])
def test_designed_heads_get_their_labels(L):
    stats = head_statistics(designed_weights(["local", "previous", "global", "first"], L))
    assert stats.labels() == ["local", "previous-token", "global", "sink"]
    assert stats.previous_token[1] > 0.99 and stats.first_token[3] > 0.99
    torch.testing.assert_close(stats.normalized_entropy[2], torch.tensor(1.0))
    torch.testing.assert_close(stats.entropy[2], torch.tensor(math.log(L)))
    assert stats.mean_distance[0] < 1.0 < stats.mean_distance[2]


def test_designed_heads_under_a_causal_mask():
    L = 12
    mask = causal_mask(L)
    stats = head_statistics(designed_weights(["previous", "global", "first"], L, mask=mask), mask)
    assert stats.labels() == ["previous-token", "global", "sink"]
    # uniform over the allowed keys: entropy ln(i + 1) in every row
    torch.testing.assert_close(stats.entropy[1], max_entropy(mask).mean())


def test_statistics_of_known_maps():
    L = 4
    eye = torch.eye(L)
    prev = torch.diag(torch.ones(L - 1), -1)
    prev[0, 0] = 1.0
    stats = head_statistics(torch.stack([eye, prev]))
    torch.testing.assert_close(stats.self_score, torch.tensor([1.0, 0.25]))
    torch.testing.assert_close(stats.previous_token, torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(stats.mean_distance, torch.tensor([0.0, 0.75]))
    torch.testing.assert_close(stats.first_token, torch.tensor([0.25, 0.5]))
    assert stats.labels() == ["self", "previous-token"]


def test_single_token_statistics():
    stats = head_statistics(torch.ones(2, 1, 1))
    assert torch.equal(stats.previous_token, torch.zeros(2))
    assert torch.equal(stats.normalized_entropy, torch.zeros(2))


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 4), (1, 2, 3, 3)])
def test_head_statistics_needs_square_maps(shape):
    with pytest.raises(ValueError):
        head_statistics(torch.rand(*shape))


# ---------------------------------------------------------------- similarity


def test_head_similarity_is_one_minus_jensen_shannon_in_bits():
    # half overlap: p = [1, 0], q = [1/2, 1/2], m = [3/4, 1/4]
    kl_pm = math.log2(1 / 0.75)
    kl_qm = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    w = torch.tensor([[[1.0, 0.0]], [[0.5, 0.5]]])  # (H=2, Lq=1, Lk=2)
    assert head_similarity(w)[0, 1].item() == pytest.approx(1 - 0.5 * (kl_pm + kl_qm), rel=1e-6)


@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_head_similarity_is_symmetric_bounded_with_unit_diagonal(H, L, seed):
    w = random_weights(H, L, L, seed=seed, mask=causal_mask(L))
    s = head_similarity(w)
    assert s.shape == (H, H)
    torch.testing.assert_close(s.diagonal(), torch.ones(H, dtype=D64))
    torch.testing.assert_close(s, s.T)
    assert (s >= 0).all() and (s <= 1).all()


def test_head_similarity_of_identical_and_disjoint_heads():
    L = 5
    first = torch.zeros(L, L)
    first[:, 0] = 1.0
    w = torch.stack([torch.eye(L), torch.eye(L), first])
    w[2, 0] = torch.tensor([0.0, 1.0, 0, 0, 0])  # make head 2 disjoint from the diagonal everywhere
    s = head_similarity(w)
    assert s[0, 1].item() == pytest.approx(1.0)
    assert s[0, 2].item() == pytest.approx(0.0, abs=1e-6)
