"""Autograder of exercise 1: the derivation against theory/credit.py's, the Monte-Carlo against both."""

import numpy as np
import pytest
import sympy as sp

from theory.credit import gradient_moments

rng = np.random.default_rng(20240611)
POINTS = [(float(rng.uniform(0.3, 0.95)), int(rng.integers(1, 13))) for _ in range(6)]  # (q, L) not in the file


def test_derive_matches_the_closed_form(graded):
    mean, var = graded.derive()
    assert isinstance(mean, sp.Expr) and isinstance(var, sp.Expr), "derive() must return two sympy expressions"
    q, L = graded.q, graded.L
    assert L in var.free_symbols, (
        "Var[g] does not depend on L: the horizon must enter through the probability that every step is right"
    )
    for qv, Lv in POINTS:
        want_m, want_v = gradient_moments(qv, Lv, 1, "sparse", "reinforce")
        got_m, got_v = float(mean.subs({q: qv, L: Lv})), float(var.subs({q: qv, L: Lv}))
        assert got_m == pytest.approx(float(want_m), rel=1e-9), (
            f"E[g] at q={qv:.3f}, L={Lv} is {got_m:.6g}, expected {float(want_m):.6g}: g is non-zero only when all "
            "L steps are right (probability q^L), and then s = 1 - q"
        )
        assert got_v == pytest.approx(float(want_v), rel=1e-9), (
            f"Var[g] at q={qv:.3f}, L={Lv} is {got_v:.6g}, expected {float(want_v):.6g}: Var[g] = E[g^2] - E[g]^2, "
            "and g^2 = R s^2 is non-zero in the same episodes as g"
        )


def test_monte_carlo_agrees_with_the_closed_form(graded):
    for i, (qv, Lv) in enumerate(POINTS[:3]):
        n = 100_000
        want_m, want_v = (float(x) for x in gradient_moments(qv, Lv, 1, "sparse", "reinforce"))
        m, v = graded.monte_carlo(qv, Lv, n, seed=100 + i)
        se = np.sqrt(want_v / n)
        assert abs(m - want_m) < 5 * se, (
            f"monte_carlo(q={qv:.3f}, L={Lv}) mean {m:.5g} is {abs(m - want_m) / se:.1f} standard errors from "
            f"{want_m:.5g}: sample every step independently right with probability q, R = all steps right, s = c_1 - q"
        )
        assert v == pytest.approx(want_v, rel=0.1, abs=5e-4), (
            f"monte_carlo(q={qv:.3f}, L={Lv}) variance {v:.5g}, expected about {want_v:.5g}"
        )


def test_monte_carlo_uses_its_seed(graded):
    a = graded.monte_carlo(0.5, 2, 2000, seed=1)
    b = graded.monte_carlo(0.5, 2, 2000, seed=2)
    assert a == graded.monte_carlo(0.5, 2, 2000, seed=1), "the same seed must give the same numbers"
    assert a != b, "different seeds gave identical results: draw the episodes from np.random.default_rng(seed)"


def test_horizon_where_noise_wins(graded):
    for qv in (0.55, 0.8, 0.93):
        want = 1
        while True:
            m, v = gradient_moments(qv, want, 1, "sparse", "reinforce")
            if abs(float(m)) / np.sqrt(float(v)) < 1:
                break
            want += 1
        got = graded.horizon_where_noise_wins(qv)
        assert got == want, (
            f"horizon_where_noise_wins({qv}) = {got}, expected {want}: the first L where "
            "|E[g]| / sd(g) < 1, with both from derive()"
        )
