"""Credit-assignment closed forms (sympy) against the numba Monte-Carlo; numba vs numpy core step."""

import numpy as np
import pytest

from theory.credit import exact_match, first_signal_updates, gradient_moments, p_reward, phi, snr
from theory.simulate import grad_step, grad_step_numpy, sample_gradients, train_chain, train_tree


@pytest.mark.parametrize(
    "reward,estimator,chance",
    [
        ("sparse", "reinforce", 0.0),
        ("sparse", "grpo", 0.0),
        ("sparse", "grpo", 0.1),
        ("dense", "reinforce", 0.0),
        ("dense", "grpo", 0.0),
    ],
)
def test_gradient_moments_match_monte_carlo(reward, estimator, chance):
    q, L, K, G, n = 0.6, 3, 4, 4, 60_000
    g = sample_gradients(q, L, K, G, n, reward, estimator, chance, seed=3)[:, 1]  # step l = 1
    mean, var = gradient_moments(q, L, G, reward, estimator, chance)
    se_mean = g.std() / np.sqrt(n)
    se_var = np.sqrt(np.mean((g - g.mean()) ** 4) - g.var() ** 2) / np.sqrt(n)
    assert abs(g.mean() - mean) < 4.5 * se_mean
    assert abs(g.var() - var) < 4.5 * se_var


def test_closed_form_identities():
    assert exact_match(0.9, 10) == pytest.approx(0.9**10)
    assert phi(0.0, 8) == 0 and phi(1.0, 8) == 0
    assert phi(0.5, 2) == pytest.approx(0.5)
    assert p_reward(0.0, 0.1) == pytest.approx(0.1)
    # the sparse GRPO gradient is (G-1)/G (1-chance) q^L (1-q)
    m, _ = gradient_moments(0.7, 5, 8, "sparse", "grpo", 0.2)
    assert m == pytest.approx(7 / 8 * 0.8 * 0.7**5 * 0.3)
    # SNR of the sparse reward decays geometrically with L, the dense one's only slowly
    Ls = np.arange(1, 21)
    s_sparse, s_dense = snr(0.6, Ls, 8, "sparse"), snr(0.6, Ls, 8, "dense")
    assert np.all(np.diff(s_sparse) < 0) and np.all(np.diff(s_dense / s_sparse) > 0)
    assert s_dense[-1] > 10 * s_sparse[-1]


def test_numba_step_equals_numpy():
    rng = np.random.default_rng(0)
    for estimator in (0, 1):
        logits = rng.normal(size=(7, 3))
        states = rng.integers(0, 7, size=(5, 3))
        actions = rng.integers(0, 3, size=(5, 3))
        rewards = rng.random(5)
        np.testing.assert_allclose(
            grad_step(logits, states, actions, rewards, estimator),
            grad_step_numpy(logits, states, actions, rewards, estimator),
            atol=1e-12,
        )


def test_first_signal_waiting_time():
    q0, L, G = 0.5, 4, 4  # p = 1/16
    waits = np.array([train_chain(q0, L, 4, G, 80, lr=0.0, seed=s)[1] for s in range(600)])
    assert np.all(waits > 0)
    expected = first_signal_updates(q0**L, G)
    assert abs(waits.mean() - expected) < 4 * waits.std() / np.sqrt(len(waits))


def test_training_learns_when_signal_exists():
    p_chain, _ = train_chain(0.6, 3, 4, 8, 150, lr=2.0, prompts_per_update=2, seed=1)
    p_tree, _ = train_tree(0.6, 3, 3, 8, 150, lr=2.0, prompts_per_update=2, seed=1)
    assert p_chain[-1] > p_chain[0] + 0.3 and p_tree[-1] > p_tree[0] + 0.3
    p_none, first = train_chain(0.02, 6, 4, 8, 30, lr=2.0, seed=1)  # p ~ 6e-11: no signal ever
    assert first == -1 and p_none[-1] == pytest.approx(p_none[0])
