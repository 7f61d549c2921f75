"""Exercise 1: REINFORCE with a sparse terminal reward, and its variance as the horizon grows.

An answer takes L steps. At every step a softmax policy picks the right token with probability q,
independently. The reward is sparse and terminal: R = 1 when all L steps are right, else 0.
Take the score of step 1 with respect to its right token's logit, s = c - q (c = 1 if step 1 was
right). One sample's REINFORCE estimate of dE[R]/dz is g = R * s.

Fill in the three TODOs, run this file, then grade it: pytest examples/classroom/ex1
(in a folder handed out alone: `pytest` inside it).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

q, L = sp.symbols("q L", positive=True)


# TODO 1 -------------------------------------------------------------------------------------------
def derive() -> tuple[sp.Expr, sp.Expr]:
    """(E[g], Var[g]) of g = R * s as sympy expressions in the symbols q and L above."""
    # Hint: g is non-zero in one kind of episode only. Which, with what probability, and what is g then?
    raise NotImplementedError("TODO 1: return (E[g], Var[g]) as sympy expressions in q and L")


# TODO 2 -------------------------------------------------------------------------------------------
def monte_carlo(q_value: float, L_value: int, n: int, seed: int) -> tuple[float, float]:
    """(mean, variance) of g over n sampled episodes (numpy, generator seeded with `seed`)."""
    # Hint: rng = np.random.default_rng(seed); sample an (n, L) array of right/wrong steps.
    raise NotImplementedError("TODO 2: sample n episodes and return the mean and variance of g = R * s")


# TODO 3 -------------------------------------------------------------------------------------------
def horizon_where_noise_wins(q_value: float) -> int:
    """The smallest L at which the signal-to-noise ratio |E[g]| / sd(g) drops below 1."""
    raise NotImplementedError("TODO 3: use derive() to find the first L with |E[g]| / sd(g) < 1")


def main() -> None:
    try:
        mean, var = derive()
    except NotImplementedError as e:
        print(e)
        return
    print("E[g] =", mean, "  Var[g] =", sp.factor(var))
    print(f"{'L':>3s} {'exact var':>10s} {'MC var':>10s} {'SNR':>6s}")
    for horizon in (1, 2, 4, 8, 16):
        m = float(mean.subs({q: 0.7, L: horizon}))
        v = float(var.subs({q: 0.7, L: horizon}))
        try:
            _, v_mc = monte_carlo(0.7, horizon, 200_000, seed=horizon)
        except NotImplementedError as e:
            print(e)
            return
        print(f"{horizon:>3d} {v:>10.5f} {v_mc:>10.5f} {abs(m) / np.sqrt(v):>6.3f}")
    try:
        print("at q = 0.7 the noise wins from L =", horizon_where_noise_wins(0.7))
    except NotImplementedError as e:
        print(e)


if __name__ == "__main__":
    main()
