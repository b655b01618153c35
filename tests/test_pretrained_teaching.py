"""What the pretrained page says about pronouns, sinks and rollout, computed (not hard-coded)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from attention.pretrained import attention_rollout, hide_special
from attention.pretrained import views as pv
from attention.pretrained.encoder import load_model

ANIMAL = "The animal didn't cross the street because it was too tired"


def test_link_heads_and_strongest_links_on_a_known_map():
    w = np.zeros((2, 2, 4, 4))
    w[..., 0] = 1.0  # every head parks on position 0 ("[CLS]")
    w[1, 0, 2] = [0.1, 0.7, 0.0, 0.2]  # layer 1 head 0: token 2 -> token 1
    w[0, 1, 2] = [0.5, 0.0, 0.1, 0.4]  # layer 0 head 1: token 2 -> token 3
    special = np.array([True, False, False, False])
    pair = pv.link_heads(w, query=2, key=1, top=2)
    assert list(zip(pair["layer"], pair["head"], strict=True)) == [(1, 0), (0, 0)]
    links = pv.strongest_links(w, ["[CLS]", "a", "it", "b"], special, query=2, top=2)
    assert list(zip(links["layer"], links["head"], links["key"], strict=True)) == [(1, 0, "a"), (0, 1, "b")]
    np.testing.assert_allclose(links["weight"], [0.7, 0.4])


def test_default_query_is_the_first_pronoun():
    special = np.array([True, False, False, False, True])
    assert pv.default_query(["[CLS]", "dog", "it", "ran", "[SEP]"], special) == 2
    assert pv.default_query(["[CLS]", "dog", "ran", "[SEP]"], special[[0, 1, 2, 4]]) == 2  # last word


def test_sink_summary_weighs_the_value_lengths():
    L = 3
    weights = np.array([[0.9, 0.05, 0.05]] * L)
    v = np.array([[0.1, 0.0], [2.0, 0.0], [0.0, 2.0]])
    d = pv.HeadDetail(tokens=["[CLS]", "a", "b"], q=v, k=v, scores=weights, logits=weights,
                      weights=weights, scale=1.0, d_head=2, v=v, output=weights @ v,
                      value_norms=np.linalg.norm(v, axis=-1))
    s = pv.sink_summary(d)
    assert s.weight == pytest.approx(0.9) and s.norm_first == pytest.approx(0.1)
    assert s.contribution == pytest.approx(0.09 / (0.09 + 0.1 + 0.1))  # 31 %, not 90 %


def test_without_special_hides_the_maps_and_rolls_out_without_the_sink():
    w = torch.full((2, 1, 4, 4), 0.1)
    w[..., 0] = 0.7  # every row parks on position 0, [CLS]
    run = SimpleNamespace(weights=w, special=torch.tensor([True, False, False, True]),
                          tokens=["[CLS]", "a", "b", "[SEP]"])
    h = pv.without_special(run)
    assert h.tokens == ["a", "b"]
    np.testing.assert_allclose(h.weights, 0.5)  # rows of 0.1 and 0.1, renormalised
    # Two layers of A = ½·uniform + ½·I = [[.75, .25], [.25, .75]]: A·A.
    np.testing.assert_allclose(h.plain_rollout, [[0.625, 0.375], [0.375, 0.625]], atol=1e-6)
    # The other rollout runs through the full maps first, [CLS] included, then hides it.
    np.testing.assert_allclose(h.rollout, hide_special(attention_rollout(w), run.special))
    np.testing.assert_allclose(h.rollout.sum(-1), 1.0, atol=1e-6)


@pytest.mark.slow
def test_real_model_pronoun_sinks_and_rollout():
    m = load_model()
    r = m.attend(ANIMAL)
    view = pv.model_view(r)
    it, animal = view.tokens.index("it"), view.tokens.index("animal")
    assert pv.default_query(view.tokens, view.special) == it
    pair = pv.link_heads(view.weights, it, animal, top=3)
    heads = set(zip(pair["layer"], pair["head"], strict=True))
    assert {(3, 1), (5, 11)} <= heads and (pair["weight"].iloc[:2] > 0.6).all()
    # The full rollout of "it" is mostly [CLS]; without special tokens it spreads over words.
    assert view.rollout[it].argmax() == 0
    hidden = pv.without_special(r)
    L2 = int((~view.special).sum())
    plain = hidden.plain_rollout
    assert plain.shape == (L2, L2) and hidden.tokens == [t for t in view.tokens if t not in ("[CLS]", "[SEP]")]
    np.testing.assert_allclose(plain.sum(-1), 1.0, atol=1e-5)
    assert plain[it - 1].max() < 0.5
    # A [CLS]-sink head: most of its weight on [CLS], little of what flows from it.
    stats = view.stats
    sink = stats.sort_values("cls", ascending=False).iloc[0]
    d = pv.head_detail(m, r, int(sink.layer), int(sink["head"]))
    s = pv.sink_summary(d)
    assert s.weight > 0.5 and s.norm_first < 0.5 * s.norm_others and s.contribution < s.weight / 2


@pytest.mark.slow
def test_lesson_claims_about_the_model_view():
    """The "What to try" text: layer 0 has one sharp previous-token head (head 2); in layers
    1-4 most heads put over half their weight on [CLS]."""
    from attention.toy.views import DEFAULT_TEXT
    stats = load_model().attend(DEFAULT_TEXT).head_stats()
    layer0 = stats[stats.layer == 0]
    assert list(layer0[layer0.previous_token >= 0.5]["head"]) == [2]
    for layer in range(1, 5):
        assert (stats[stats.layer == layer].cls >= 0.5).sum() > 6


def test_the_stats_table_colours_entropy_and_distance_up_to_their_maximum():
    stats = pd.DataFrame({"layer": [0, 0], "head": [0, 1], "entropy": [0.4, 2.2],
                          "mean_distance": [1.0, 3.5], "cls": [0.1, 0.9], "label": ["", ""]})
    assert pv.stats_heat_frame(stats, "entropy", n_keys=10)[1] == pytest.approx(math.log(10))
    assert pv.stats_heat_frame(stats, "mean_distance", n_keys=10)[1] == 9.0
    assert pv.stats_heat_frame(stats, "entropy")[1] == 5.0  # no n: the largest, rounded up
    assert pv.stats_heat_frame(stats, "cls", n_keys=10)[1] == 1.0
