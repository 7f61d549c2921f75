"""Autograder of exercise 6: the score against theory/amplifier.py, the rank correlation against scipy."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from theory.amplifier import gain_feature

rng = np.random.default_rng(6)


def test_gain_score_is_theorys(graded):
    p1 = rng.uniform(0, 1, 8)
    for chance, G in ((0.0, 8), (0.1, 8), (0.25, 4)):
        got = np.asarray(graded.gain_score(p1, chance, G), dtype=float)
        np.testing.assert_allclose(
            got,
            gain_feature(p1, chance=chance, G=G),
            rtol=1e-9,
            atol=1e-12,
            err_msg=(
                f"gain_score with chance={chance}, G={G}: correct p1 for chance first, "
                "p = (p1 - chance) / (1 - chance) "
                "clipped to [0, 1]; then phi(p, G) * (1 - p1) with the uncorrected p1 in the headroom"
            ),
        )


def test_gain_score_below_chance_is_zero(graded):
    assert float(graded.gain_score(0.05, 0.1, 8)) == 0.0, "below chance, p clips to 0 and no group carries signal"


def test_spearman(graded):
    for n in (5, 9, 30):
        x, y = rng.normal(size=n), rng.normal(size=n)
        y[: n // 3] = x[: n // 3] * 2  # some dependence
        want = spearmanr(x, y).statistic
        assert graded.spearman(x, y) == pytest.approx(want), "the rank correlation differs from scipy's"
    x = np.array([1, 2, 2, 3, 5, 5, 5])  # ties
    y = np.array([3, 1, 4, 1, 5, 9, 2])
    assert graded.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic), "tied values share their average rank"
    assert graded.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert graded.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_top_k_overlap(graded):
    scores = [0.9, 0.1, 0.5, 0.7, 0.3]
    assert graded.top_k_overlap(scores, [0.2, 0.0, 0.1, 0.3, 0.05], 2) == pytest.approx(1.0)
    assert graded.top_k_overlap(scores, [0.0, 0.3, 0.1, 0.05, 0.2], 2) == pytest.approx(0.0)
    assert graded.top_k_overlap(scores, [0.3, 0.0, 0.2, 0.1, 0.05], 3) == pytest.approx(1.0)
    assert graded.top_k_overlap(scores, [0.3, 0.25, 0.0, 0.1, 0.05], 2) == pytest.approx(0.5)
