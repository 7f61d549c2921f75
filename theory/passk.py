"""Unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code").

With ``n`` samples per prompt of which ``c`` are correct, the unbiased estimate of the probability
that at least one of ``k`` samples is correct is ``1 - C(n - c, k) / C(n, k)``. The ratio of
binomial coefficients is computed in log space as a sum of k terms log1p(-c / (n - j)), so it
stays exact to float precision, and the whole function broadcasts over numpy arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pass_at_k", "pass_at_k_curve"]


def pass_at_k(n: np.ndarray | int, c: np.ndarray | int, k: np.ndarray | int) -> np.ndarray | float:
    """Unbiased pass@k for ``n`` samples with ``c`` correct; broadcasts over arrays.

    Raises ``ValueError`` naming the argument when ``n < 1``, ``c`` outside ``[0, n]`` or ``k``
    outside ``[1, n]``. Returns a float for scalar input, an array otherwise.
    """
    n_a, c_a, k_a = np.broadcast_arrays(np.asarray(n), np.asarray(c), np.asarray(k))
    if np.any(n_a < 1):
        raise ValueError("pass_at_k: n (samples per prompt) must be >= 1")
    if np.any((c_a < 0) | (c_a > n_a)):
        raise ValueError("pass_at_k: c (correct samples) must lie in [0, n]")
    if np.any((k_a < 1) | (k_a > n_a)):
        raise ValueError("pass_at_k: k must lie in [1, n]")
    n_f, c_f, k_f = (a.astype(np.float64) for a in (n_a, c_a, k_a))
    fail = n_f - c_f  # incorrect samples
    sure = fail < k_f  # every k-subset contains a correct sample
    # C(n - c, k) / C(n, k) = prod_{j < k} (1 - c / (n - j)), summed in log1p: exact to ~1 ulp per term
    log_ratio = np.zeros(n_f.shape)
    for j in range(int(k_a.max(initial=0))):
        active = (j < k_f) & ~sure
        term = np.log1p(-c_f / np.where(active, n_f - j, np.inf))
        log_ratio += np.where(active, term, 0.0)
    out = np.where(sure, 1.0, -np.expm1(log_ratio))
    out = np.where(c_f == 0, 0.0, out)
    return float(out) if out.ndim == 0 else out


def pass_at_k_curve(n: int, c: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """pass@k averaged over prompts: ``c`` (P,) correct counts, ``ks`` (K,) -> (K,)."""
    c = np.asarray(c)[None, :]  # (1, P)
    ks = np.asarray(ks)[:, None]  # (K, 1)
    return np.asarray(pass_at_k(n, c, ks)).mean(axis=1)
