"""Exercise 1 (solution): REINFORCE with a sparse terminal reward, and its variance as the horizon grows.

An answer takes L steps. At every step a softmax policy picks the right token with probability q,
independently. The reward is sparse and terminal: R = 1 when all L steps are right, else 0.
Take the score of step 1 with respect to its right token's logit, s = c - q (c = 1 if step 1 was
right). One sample's REINFORCE estimate of dE[R]/dz is g = R * s.

Run: python examples/classroom/ex1/solution.py
"""

from __future__ import annotations

import numpy as np
import sympy as sp

q, L = sp.symbols("q L", positive=True)


# TODO 1 -------------------------------------------------------------------------------------------
def derive() -> tuple[sp.Expr, sp.Expr]:
    """(E[g], Var[g]) of g = R * s as sympy expressions in the symbols q and L above."""
    # g is non-zero only when every step is right (R = 1, c = 1, s = 1 - q): probability q**L
    mean = q**L * (1 - q)
    second = q**L * (1 - q) ** 2
    return mean, sp.simplify(second - mean**2)


# TODO 2 -------------------------------------------------------------------------------------------
def monte_carlo(q_value: float, L_value: int, n: int, seed: int) -> tuple[float, float]:
    """(mean, variance) of g over n sampled episodes (numpy, generator seeded with `seed`)."""
    rng = np.random.default_rng(seed)
    c = rng.random((n, L_value)) < q_value  # (n, L): which steps are right
    R = c.all(axis=1).astype(float)  # (n,)
    s = c[:, 0] - q_value  # (n,)
    g = R * s
    return float(g.mean()), float(g.var())


# TODO 3 -------------------------------------------------------------------------------------------
def horizon_where_noise_wins(q_value: float) -> int:
    """The smallest L at which the signal-to-noise ratio |E[g]| / sd(g) drops below 1."""
    mean, var = derive()
    snr = sp.lambdify((q, L), sp.Abs(mean) / sp.sqrt(var))
    horizon = 1
    while snr(q_value, horizon) >= 1:
        horizon += 1
    return horizon


def main() -> None:
    mean, var = derive()
    print("E[g] =", mean, "  Var[g] =", sp.factor(var))
    print(f"{'L':>3s} {'exact var':>10s} {'MC var':>10s} {'SNR':>6s}")
    for horizon in (1, 2, 4, 8, 16):
        m = float(mean.subs({q: 0.7, L: horizon}))
        v = float(var.subs({q: 0.7, L: horizon}))
        _, v_mc = monte_carlo(0.7, horizon, 200_000, seed=horizon)
        print(f"{horizon:>3d} {v:>10.5f} {v_mc:>10.5f} {abs(m) / np.sqrt(v):>6.3f}")
    print("at q = 0.7 the noise wins from L =", horizon_where_noise_wins(0.7))


if __name__ == "__main__":
    main()
