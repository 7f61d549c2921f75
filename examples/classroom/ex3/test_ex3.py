"""Autograder of exercise 3: phi against theory/credit.py and a simulation, thresholds on random inputs."""

import numpy as np
import pytest

from theory.credit import phi as phi_ref

rng = np.random.default_rng(3)


def test_phi_matches_the_closed_form(graded):
    p = rng.uniform(0, 1, 7)
    for G in (2, 5, 8, 13):
        got = np.asarray(graded.phi(p, G), dtype=float)
        assert got.shape == p.shape, f"phi must accept an array of p and return the same shape, got {got.shape}"
        np.testing.assert_allclose(
            got,
            phi_ref(p, G),
            rtol=1e-10,
            err_msg=(
                f"phi(p, G={G}) is wrong: a group is uninformative when all G rewards fail (probability (1-p)^G) "
                "or all pass (p^G)"
            ),
        )


def test_phi_matches_a_simulation(graded):
    p, G = 0.17, 6
    groups = rng.random((200_000, G)) < p
    informative = (groups.any(1) & ~groups.all(1)).mean()
    assert float(graded.phi(p, G)) == pytest.approx(informative, abs=0.005), "phi disagrees with simulated groups"


def test_min_accuracy(graded):
    for G, target in ((8, 0.5), (4, 0.3), (16, 0.9), (64, 0.2)):
        got = graded.min_accuracy(G, target)
        assert float(phi_ref(got, G)) >= target - 1e-5, (
            f"min_accuracy({G}, {target}) = {got}: phi is below target there"
        )
        assert float(phi_ref(got - 1e-5, G)) < target, (
            f"min_accuracy({G}, {target}) = {got} is not the smallest: phi already reaches the target below it"
        )
    assert np.isnan(graded.min_accuracy(2, 0.9)), "with G = 2, phi never exceeds 0.5: return NaN for target 0.9"


def test_size_threshold(graded):
    sizes = np.array([5e5, 2e3, 8e4, 1e4, 3e5])  # not sorted on purpose
    acc = np.array([0.7, 0.0005, 0.08, 0.01, 0.4])
    for G, target in ((8, 0.5), (32, 0.5), (8, 0.95)):
        ok = phi_ref(acc, G) >= target
        want = sizes[ok].min() if ok.any() else np.nan
        got = graded.size_threshold(sizes, acc, G, target)
        assert got == pytest.approx(want, nan_ok=True), (
            f"size_threshold(G={G}, target={target}) = {got}, expected {want}: the smallest size (the sizes are "
            "not sorted) whose base accuracy gives phi >= target"
        )
    assert np.isnan(graded.size_threshold(sizes, np.full(5, 1e-6), 8, 0.5)), "no size qualifies: return NaN"
