"""pass@k: the unbiased estimator against brute-force enumeration of k-subsets."""

from itertools import combinations

import numpy as np
import pytest

from theory.passk import pass_at_k, pass_at_k_curve


def _brute(n: int, c: int, k: int) -> float:
    samples = [1] * c + [0] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_matches_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute(n, c, k), abs=1e-12)


def test_vectorised_and_stable():
    n = np.array([10, 10, 1000, 5000])
    c = np.array([0, 3, 1, 4999])
    k = np.array([1, 10, 1, 64])
    out = pass_at_k(n, c, k)
    assert out.shape == (4,)
    np.testing.assert_allclose(out, [0.0, 1.0, 1e-3, 1.0], rtol=1e-9)
    assert pass_at_k(5000, 1, 2) == pytest.approx(1 - (4999 * 4998) / (5000 * 4999), rel=1e-10)
    curve = pass_at_k_curve(16, np.array([0, 4, 16]), np.array([1, 4, 16]))
    assert curve.shape == (3,) and np.all(np.diff(curve) >= 0)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="k must"):
        pass_at_k(4, 1, 5)
    with pytest.raises(ValueError, match="c"):
        pass_at_k(4, 5, 1)
