"""The √d_k experiment the single-head page plots: what it shows must be the fact it states."""

import numpy as np

from attention.toy.views import scaling_experiment


def test_variance_grows_like_d_k_unscaled_and_stays_one_scaled():
    e = scaling_experiment(seed=0)
    np.testing.assert_allclose(e.var_unscaled / e.d_k, 1.0, rtol=0.1)
    np.testing.assert_allclose(e.var_scaled, 1.0, rtol=0.1)


def test_unscaled_softmax_saturates_and_scaled_does_not():
    e = scaling_experiment(seed=0)
    assert np.all(np.diff(e.max_weight_unscaled) > 0)  # more one-hot with every doubling
    assert e.max_weight_unscaled[-1] > 0.9  # d_k = 512: nearly one-hot
    assert e.max_weight_scaled.max() < 0.4  # every d_k: well spread over 8 keys
    assert e.max_weight_unscaled[0] == e.max_weight_scaled[0]  # d_k = 1: the same logits
