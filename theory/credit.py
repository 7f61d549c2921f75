"""Credit assignment in closed form (H3, H4): sympy derivations exported as numpy functions.

Model: an answer needs L steps; at every step a softmax policy picks the correct action with
probability q. With the correct action's logit z (others fixed), the score of step l is
s_l = d log pi(a_l) / dz_l = c_l - q with c_l ~ Bernoulli(q), the steps independent.

- sparse terminal reward: R = prod_l c_l (exact match, p = q^L); optional lucky guesses:
  R = T + (1 - T) U with U ~ Bernoulli(chance), which adds reward but no step credit.
- dense per-step reward: R = (1/L) sum_l c_l (fraction of correct steps, as one return).

Estimators of dE[R]/dz_l from a group of G samples:
- ``reinforce``: (1/G) sum_i R_i s_i (no baseline);
- ``grpo``: (1/G) sum_i (R_i - mean_j R_j) s_i (group-mean baseline, no std normalisation: the
  "Dr. GRPO" form; with binary rewards it is exactly zero on all-equal groups).

Means and variances are derived symbolically: E[estimator^2] is a sum over index patterns of the
group (set partitions), each weighted by the falling factorial G (G-1) ... and a product of
per-sample joint moments E[R^a s^b].
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp
from sympy.utilities.iterables import multiset_partitions

__all__ = [
    "q",
    "L",
    "G",
    "chance",
    "exact_match",
    "phi",
    "p_reward",
    "gradient_moments",
    "first_signal_updates",
    "snr",
    "symbolic_moments",
]

q_s, L_s, G_s, c_s, p_s, pt_s = sp.symbols("q L G chance p p_trace", positive=True)


def _moment_sparse(a: int, b: int) -> sp.Expr:
    """E[R^a s^b] for R = T + (1-T) U (exact match with lucky guesses), s = c_l - q."""
    # E[(c-q)^b | c] weighted by P(c); R given c_l: T needs c_l = 1 and the L-1 others correct.
    others = q_s ** (L_s - 1)
    total = 0
    for c_val, pc in ((1, q_s), (0, 1 - q_s)):
        if a == 0:
            r_moment = 1
        else:  # R is binary: E[R^a | c_l] = P(R = 1 | c_l)
            p_t = others if c_val == 1 else 0
            r_moment = p_t + (1 - p_t) * c_s
        total += pc * (c_val - q_s) ** b * r_moment
    return sp.simplify(total)


def _moment_dense(a: int, b: int) -> sp.Expr:
    """E[R^a s^b] for R = (c_l + S) / L, S ~ Binomial(L-1, q), s = c_l - q."""
    S1 = (L_s - 1) * q_s
    S2 = (L_s - 1) * q_s * (1 - q_s) + S1**2
    S_mom = {0: 1, 1: S1, 2: S2}
    total = 0
    for c_val, pc in ((1, q_s), (0, 1 - q_s)):
        r_moment = sum(sp.binomial(a, r) * c_val ** (a - r) * S_mom[r] for r in range(a + 1)) / L_s**a
        total += pc * (c_val - q_s) ** b * r_moment
    return sp.simplify(total)


def _pattern_sum(factors: list[tuple[str, int, int]], distinct: list[tuple[str, str]], moment) -> sp.Expr:
    """E[sum over index tuples of prod factors], factors (index, power of R, power of s).

    Sums over set partitions of the index names (which indices coincide); ``distinct`` pairs may
    not share a block. Each partition with k blocks occurs ff(G, k) times.
    """
    names = sorted({f[0] for f in factors})
    total = 0
    for part in multiset_partitions(names):
        block_of = {n: i for i, blk in enumerate(part) for n in blk}
        if any(block_of[i] == block_of[j] for i, j in distinct):
            continue
        term = sp.ff(G_s, len(part))
        for blk in range(len(part)):
            a = sum(f[1] for f in factors if block_of[f[0]] == blk)
            b = sum(f[2] for f in factors if block_of[f[0]] == blk)
            term *= moment(a, b)
        total += term
    return total


@cache
def symbolic_moments(reward: str, estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """(E[g], Var[g]) of one group's estimate of dE[R]/dz_l, as sympy expressions in q, L, G, chance."""
    moment = {"sparse": _moment_sparse, "dense": _moment_dense}[reward]
    T1 = [("i", 1, 1)]  # sum_i R_i s_i
    T1T1 = _pattern_sum([("i", 1, 1), ("k", 1, 1)], [], moment)
    if estimator == "reinforce":
        mean = moment(1, 1)
        second = T1T1 / G_s**2
    elif estimator == "grpo":  # g = a T1 - b T2, T2 = sum_{i != j} R_j s_i
        a, b = (G_s - 1) / G_s**2, 1 / G_s**2
        mean = a * G_s * moment(1, 1)  # E[T2] = 0 because E[s] = 0
        T1T2 = _pattern_sum([("i", 1, 1), ("j", 1, 0), ("k", 0, 1)], [("j", "k")], moment)
        T2T2 = _pattern_sum([("j", 1, 0), ("i", 0, 1), ("m", 1, 0), ("k", 0, 1)], [("i", "j"), ("k", "m")], moment)
        second = a**2 * T1T1 - 2 * a * b * T1T2 + b**2 * T2T2
    else:
        raise ValueError(f"estimator must be 'reinforce' or 'grpo', got {estimator!r}")
    del T1
    return sp.simplify(mean), sp.simplify(second - mean**2)


@cache
def _lambdified(reward: str, estimator: str):
    mean, var = symbolic_moments(reward, estimator)
    args = (q_s, L_s, G_s, c_s)
    return sp.lambdify(args, mean, "numpy"), sp.lambdify(args, var, "numpy")


def gradient_moments(
    q, L, G, reward: str = "sparse", estimator: str = "grpo", chance=0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) of one group's estimate of dE[R]/dz_l; broadcasts over arrays.

    ``chance`` (lucky-guess rate) only applies to the sparse reward.
    """
    f_mean, f_var = _lambdified(reward, estimator)
    args = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (q, L, G, chance)))
    return np.asarray(f_mean(*args) + 0.0 * args[0]), np.asarray(f_var(*args) + 0.0 * args[0])


def snr(q, L, G, reward: str = "sparse", estimator: str = "grpo", chance=0.0, batch: int = 1) -> np.ndarray:
    """Signal-to-noise |E g| / sd(g) of the gradient averaged over ``batch`` groups (prompts)."""
    m, v = gradient_moments(q, L, G, reward, estimator, chance)
    return np.abs(m) / np.sqrt(np.maximum(v, 1e-300) / batch)


# --- success probabilities and informative groups ---------------------------------------------
exact_match = sp.lambdify((q_s, L_s), q_s**L_s, "numpy")
"""p = q^L: exact-match success with L steps of per-step accuracy q."""
_phi_expr = 1 - p_s**G_s - (1 - p_s) ** G_s
_phi = sp.lambdify((p_s, G_s), _phi_expr, "numpy")
_p_reward = sp.lambdify((pt_s, c_s), pt_s + (1 - pt_s) * c_s, "numpy")


def phi(p, G) -> np.ndarray:
    """Informative-group fraction 1 - p^G - (1-p)^G: a group of G binary rewards is not all equal."""
    return np.asarray(_phi(np.asarray(p, dtype=float), np.asarray(G, dtype=float)))


def p_reward(p_trace, chance) -> np.ndarray:
    """Reward rate including lucky guesses: p_trace + (1 - p_trace) * chance."""
    return np.asarray(_p_reward(np.asarray(p_trace, dtype=float), np.asarray(chance, dtype=float)))


def first_signal_updates(p, G, prompts_per_update: int = 1, estimator: str = "grpo") -> np.ndarray:
    """Expected number of updates up to and including the first with a non-zero gradient.

    GRPO (sparse binary reward): a group contributes iff it is informative (probability phi);
    REINFORCE without baseline: iff any sample succeeds (1 - (1-p)^G). Geometric waiting time.
    """
    p = np.asarray(p, dtype=float)
    per_group = phi(p, G) if estimator == "grpo" else 1 - (1 - p) ** G
    per_update = 1 - (1 - per_group) ** prompts_per_update
    with np.errstate(divide="ignore"):
        return np.where(per_update > 0, 1.0 / np.maximum(per_update, 1e-300), np.inf)


q, L, G, chance = q_s, L_s, G_s, c_s
