"""The facts the lesson texts state, computed from the views (no Streamlit)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from attention.core.functional import causal_mask
from attention.core.inputs import HEAD_KINDS, positional_qk, sinusoidal_positions
from attention.core.stats import entropy, head_statistics, max_entropy, normalized_entropy
from attention.toy import teaching, views

MEAN_LN = float(np.mean(np.log(np.arange(1, 9))))  # 1.326: mean ln(i + 1) over 8 rows


def seq(positional=True, text=views.DEFAULT_TEXT, d_model=64, seed=0):
    return views.build_input(text, None, d_model, seed, positional, 1024)


# ------------------------------------------------ causal maximum (mean ln(i + 1))

def test_causal_mean_maximum_is_mean_ln_i_plus_one():
    assert round(MEAN_LN, 3) == 1.326
    assert max_entropy(causal_mask(8)).mean().item() == pytest.approx(MEAN_LN)
    m = views.multi_head(seq(), 4, 0, preset="designed", causal=True)
    assert m.max_entropy.mean() == pytest.approx(MEAN_LN, abs=1e-6)
    # the designed global head sits exactly at that maximum, not 36 % short of ln 8
    assert m.entropy[HEAD_KINDS.index("global")].mean() == pytest.approx(MEAN_LN, abs=1e-5)


# ------------------------------------------------ designed heads read the positions

@pytest.mark.parametrize("L, d_model", [(8, 64), (8, 4), (128, 64), (300, 512)])
def test_positional_heads_look_where_they_should(L, d_model):
    P = sinusoidal_positions(L, d_model)
    want = {"local": torch.arange(L), "previous": (torch.arange(L) - 1).clamp(min=0),
            "first": torch.zeros(L, dtype=torch.long)}
    for kind, target in want.items():
        q, k = positional_qk(kind, P, 16)
        w = torch.softmax(q @ k.T / 4.0, -1)  # (L, L)
        assert torch.equal(w.argmax(-1), target), kind
        if kind != "local":
            assert w.max(-1).values.min() > 0.99, kind


def test_positional_heads_go_uniform_without_positions():
    for kind in HEAD_KINDS:
        q, k = positional_qk(kind, torch.zeros(8, 64), 16)
        w = torch.softmax(q @ k.T / 4.0, -1)
        torch.testing.assert_close(w, torch.full((8, 8), 1 / 8))


def test_designed_preset_depends_on_the_positional_toggle():
    on = views.multi_head(seq(True), 4, 0, preset="designed")
    off = views.multi_head(seq(False), 4, 0, preset="designed")
    np.testing.assert_allclose(off.entropy, math.log(8), atol=1e-5)  # every head uniform
    e = dict(zip(on.kinds, on.entropy.mean(1), strict=True))
    # The lesson's numbers: previous-token and first near 0, local near 1.25, global ln 8.
    assert e["previous"] < 0.05 and e["first"] < 0.05
    assert 1.15 < e["local"] < 1.35
    assert e["global"] == pytest.approx(math.log(8), abs=1e-5)


# ------------------------------------------------ entropy page: focus without trivial rows

def test_normalised_entropy_leaves_one_key_rows_out():
    mask = torch.ones(8, 8, dtype=torch.bool).tril()
    w = mask / mask.sum(-1, keepdim=True)  # uniform over allowed keys
    got = normalized_entropy(entropy(w), max_entropy(mask))
    assert got.item() == pytest.approx(1.0)  # 100 %, not 7/8 with row 0 counted as 0 %
    stats = head_statistics(w[None], mask)
    assert stats.normalized_entropy.item() == pytest.approx(1.0)
    v = views.single_head(seq(), 16, 0, causal=True)
    share = v.entropy[1:] / v.max_entropy[1:]  # row 0 has one key: left out
    assert v.normalized_entropy == pytest.approx(share.mean(), rel=1e-5)


def test_sweep_extremes_skip_the_one_key_row():
    v = views.single_head(seq(), 16, 0, causal=True)
    sweep = views.temperature_sweep(v.scores, v.mask, v.scale, np.array([0.5, 1.0, 4.0]))
    curves = teaching.sweep_curves(sweep, v.max_entropy)
    assert (sweep[:, 0] == 0).all()  # row 0: one key, entropy 0 whatever the temperature
    assert (curves["most focused row"] > 0).all()
    np.testing.assert_allclose(curves["most focused row"], sweep[:, 1:].min(1))
    np.testing.assert_allclose(curves["mean"], sweep.mean(1))


def test_multi_head_temperature_divides_the_logits():
    base = views.multi_head(seq(), 4, 0)
    hot = views.multi_head(seq(), 4, 0, temperature=4.0)
    assert (hot.entropy.mean(1) > base.entropy.mean(1)).all()
    cold = views.multi_head(seq(), 4, 0, temperature=0.25)
    assert (cold.entropy.mean(1) < base.entropy.mean(1)).all()


# ------------------------------------------------ worked example, repeats, values

@pytest.mark.parametrize("causal, temperature", [(False, 1.0), (True, 0.5)])
def test_worked_example_is_the_charts_arithmetic(causal, temperature):
    v = views.single_head(seq(), 16, 0, temperature=temperature, causal=causal)
    for query in (0, 5):
        ex = teaching.worked_example(v, query)
        keys = ex.table["position"].to_numpy()
        assert len(keys) == (query + 1 if causal else 8)
        np.testing.assert_allclose(ex.table["logit"], ex.table["q·k"] * v.scale / temperature,
                                   rtol=1e-5, atol=1e-6)
        e = ex.table["exp(logit − max)"]
        np.testing.assert_allclose(ex.table["weight α"], e / e.sum(), rtol=1e-5)
        np.testing.assert_allclose(ex.table["weight α"], v.weights[query, keys])
        np.testing.assert_allclose(ex.recomputed, ex.output, atol=1e-5)
        np.testing.assert_allclose(ex.table["α·v[0]"].sum(), v.output[query, 0], atol=1e-5)


def test_repeated_words_get_identical_rows_only_without_positions():
    off = views.single_head(seq(False), 16, 0)
    on = views.single_head(seq(True), 16, 0)
    toks = off.tokens  # "The" ... "the": one embedding, case-folded
    [r_off] = teaching.repeated_rows(toks, off.weights)
    [r_on] = teaching.repeated_rows(toks, on.weights)
    assert (r_off.first, r_off.second) == (0, 4) and r_off.gap == 0.0
    assert r_on.gap > 0.01


@pytest.mark.parametrize("causal", [False, True])
def test_uniform_head_outputs_the_mean_of_its_values(causal):
    m = views.multi_head(seq(), 4, 0, preset="designed", causal=causal)
    table = teaching.head_table(m)
    gaps = dict(zip(m.kinds, table["output − mean of v"], strict=True))
    assert gaps["global"] < 1e-5
    assert min(gaps["local"], gaps["previous"], gaps["first"]) > 0.1


def test_padded_positions_hold_the_pad_token():
    plain = views.single_head(seq(), 16, 0)
    padded = views.single_head(seq(), 16, 0, pad=2)
    L = len(plain.tokens)
    assert padded.tokens == plain.tokens + ["[PAD]", "[PAD]"]  # appended: every word stays
    assert not padded.mask[:, L:].any() and padded.mask[:, :L].all()
    # the real rows see exactly the keys they saw before: padding changes nothing for them
    np.testing.assert_allclose(padded.weights[:L, :L], plain.weights, atol=1e-6)
    np.testing.assert_allclose(padded.output[:L], plain.output, atol=1e-5)
    # the [PAD] rows are the [PAD] token's queries at the next positions
    assert padded.q.shape[0] == L + 2 and not np.allclose(padded.q[L], padded.q[L + 1])


# ------------------------------------------------ other claims of the lesson texts

def test_unscaled_large_d_k_collapses_rows():
    v = views.single_head(seq(), 512, 0, scaled=False)
    assert v.weights.max(1).mean() > 0.85


def test_temperature_sharpens_and_flattens():
    means = [views.single_head(seq(), 16, 0, temperature=t).entropy.mean() for t in (0.05, 1, 20)]
    assert means[0] < 0.2 < means[1] < means[2] < math.log(8)


def test_causal_rows_are_the_unmasked_rows_renormalised():
    full = views.single_head(seq(), 16, 0)
    masked = views.single_head(seq(), 16, 0, causal=True)
    cut = np.tril(full.weights)
    np.testing.assert_allclose(masked.weights, cut / cut.sum(1, keepdims=True), atol=1e-6)


def test_earlier_rows_do_not_change_when_a_token_is_added():
    short = views.single_head(seq(text="The cat sat on the"), 16, 0, causal=True)
    long = views.single_head(seq(), 16, 0, causal=True)
    np.testing.assert_allclose(long.weights[:5, :5], short.weights, atol=1e-6)


def test_random_heads_are_mostly_diffuse():
    labels = [k for s in range(4) for k in views.multi_head(seq(seed=s), 4, s).kinds]
    assert labels.count("global") >= 0.75 * len(labels)


def test_reveal_answers_hold():
    """The answers behind "Predict, then reveal" that are plain arithmetic."""
    from attention.core.functional import scaled_dot_product_attention
    q, k, v = torch.zeros(1, 4), torch.randn(6, 4), torch.randn(6, 3)  # equal scores in the row
    for t in (0.1, 1.0, 10.0):
        r = scaled_dot_product_attention(q, k, v, temperature=t)
        torch.testing.assert_close(r.weights, torch.full((1, 6), 1 / 6))
    two = torch.tensor([0.5, 0.5, 0.0, 0.0, 0.0])
    assert entropy(two).item() == pytest.approx(math.log(2))


def test_values_side_by_side_match_the_concat_layout():
    m = views.multi_head(seq(), 4, 0, preset="designed")
    V = teaching.values_side_by_side(m)  # (L, H * d_head)
    np.testing.assert_array_equal(V[:, 16:32], m.values[1])
    # the global head outputs the mean of its values: the same block of Concat
    np.testing.assert_allclose(m.concat[:, 32:48], V[:, 32:48].mean(0, keepdims=True).repeat(8, 0),
                               atol=1e-5)
