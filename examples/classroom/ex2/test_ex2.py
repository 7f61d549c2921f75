"""Autograder of exercise 2: advantages on random rewards, gradient moments against theory/credit.py."""

import numpy as np
import pytest

from theory.credit import gradient_moments

rng = np.random.default_rng(7)
REWARDS = rng.integers(0, 2, size=(5, 6)).astype(float)  # binary groups, not in the student file
REWARDS[0] = 1.0  # an all-pass group
REAL = rng.normal(size=(4, 5))  # real-valued rewards too


def test_no_baseline_is_the_reward(graded):
    for r in (REWARDS, REAL):
        np.testing.assert_allclose(graded.advantages(r, "none"), r, err_msg="kind='none': the advantage is R itself")


def test_mean_baseline(graded):
    for r in (REWARDS, REAL):
        got = graded.advantages(r, "mean")
        assert got.shape == r.shape, f"advantages must keep the shape {r.shape}, got {np.shape(got)}"
        np.testing.assert_allclose(
            got,
            r - r.mean(1, keepdims=True),
            atol=1e-12,
            err_msg="kind='mean': subtract each group's own mean (axis 1), not the batch's",
        )


def test_leave_one_out(graded):
    for r in (REWARDS, REAL):
        G = r.shape[1]
        want = np.array([[r[b, i] - np.delete(r[b], i).mean() for i in range(G)] for b in range(r.shape[0])])
        np.testing.assert_allclose(
            graded.advantages(r, "loo"),
            want,
            atol=1e-12,
            err_msg="kind='loo': A_i = R_i - mean of the OTHER G - 1 rewards of the group",
        )


def test_group_norm(graded):
    for r in (REWARDS, REAL):
        got = graded.advantages(r, "group_norm")
        assert np.all(np.isfinite(got)), (
            "kind='group_norm' gave NaN or inf: an all-equal group has standard deviation 0; add EPS to it"
        )
        want = (r - r.mean(1, keepdims=True)) / (r.std(1, keepdims=True) + 1e-6)
        np.testing.assert_allclose(
            got,
            want,
            rtol=1e-6,
            atol=1e-9,
            err_msg="kind='group_norm': (R - group mean) / (group std with ddof=0 + EPS)",
        )
    assert np.all(graded.advantages(REWARDS, "group_norm")[0] == 0), "an all-pass group must get zero advantages"


@pytest.mark.parametrize(
    "kind, estimator, scale", [("none", "reinforce", 1.0), ("mean", "grpo", 1.0), ("loo", "grpo", None)]
)
def test_gradient_moments(graded, kind, estimator, scale):
    q, L, G, n = 0.65, 3, 5, 60_000
    m, v = (float(x) for x in gradient_moments(q, L, G, "sparse", estimator))
    if scale is None:  # leave-one-out = G / (G - 1) times the mean baseline, exactly
        scale = G / (G - 1)
    m, v = m * scale, v * scale**2
    g = np.asarray(graded.group_gradients(q, L, G, kind, n, seed=11))
    assert g.shape == (n,), f"group_gradients must return one estimate per group: shape ({n},), got {g.shape}"
    se = np.sqrt(v / n)
    assert abs(g.mean() - m) < 5 * se, (
        f"baseline {kind!r}: mean gradient {g.mean():.5f}, expected {m:.5f} (q={q}, L={L}, G={G}); "
        "g = mean over the group of A_i * s_i with s_i = c_i1 - q"
    )
    assert g.var() == pytest.approx(v, rel=0.08), f"baseline {kind!r}: variance {g.var():.6f}, expected {v:.6f}"


def test_mean_baseline_lowers_the_variance_when_success_is_rare(graded):
    g_none = np.asarray(graded.group_gradients(0.6, 4, 8, "none", 60_000, seed=3))  # p = 0.6^4 = 0.13
    g_mean = np.asarray(graded.group_gradients(0.6, 4, 8, "mean", 60_000, seed=3))
    assert g_mean.var() < g_none.var(), (
        "at p = 0.13 the group-mean baseline must lower the variance below no "
        "baseline's (theory/credit.py: 0.00201 against 0.00226)"
    )
    assert g_none.var() > 0, "group_gradients returned a constant: sample the episodes"
