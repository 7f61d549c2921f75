"""Exercise 2: baselines. None, the group mean, leave-one-out, group-normalised: what each does to the
policy gradient's mean and variance, measured.

Setting of exercise 1 (L steps, each right with probability q, sparse terminal reward R), now with a
group of G samples of the same prompt. The gradient estimate of one group for step 1's right logit is
g = (1/G) * sum_i A_i * s_i, with s_i = c_i1 - q the score and A_i the advantage of sample i.

Fill in the two TODOs, run this file, then grade it: pytest examples/classroom/ex2
(in a folder handed out alone: `pytest` inside it).
"""

from __future__ import annotations

import numpy as np

KINDS = ("none", "mean", "loo", "group_norm")
EPS = 1e-6


# TODO 1 -------------------------------------------------------------------------------------------
def advantages(rewards: np.ndarray, kind: str) -> np.ndarray:
    """Advantages of rewards (n_groups, G) -> (n_groups, G).

    none: A = R;  mean: A = R - mean of the group;  loo: A_i = R_i - mean of the other G - 1 rewards;
    group_norm: (R - group mean) / (group standard deviation (ddof=0) + EPS), as GRPO does.
    """
    raise NotImplementedError(f"TODO 1: advantages for kind={kind!r} (one of {', '.join(KINDS)})")


# TODO 2 -------------------------------------------------------------------------------------------
def group_gradients(q: float, L: int, G: int, kind: str, n_groups: int, seed: int) -> np.ndarray:
    """Sample n_groups groups of G episodes; return each group's estimate g (n_groups,) for step 1."""
    # Hint: an (n_groups, G, L) array of right/wrong steps from np.random.default_rng(seed), then advantages().
    raise NotImplementedError("TODO 2: sample the groups and return g = mean over the group of A_i * s_i")


def main() -> None:
    G = 8
    for q, L in ((0.6, 4), (0.9, 2)):  # success rare (p = 0.13), then common (p = 0.81)
        true = q**L * (1 - q)  # dE[R]/dz for step 1 (exercise 1)
        print(f"\nq={q} L={L} G={G} (p = {q**L:.2f}); the true gradient is {true:.5f}")
        print(f"{'baseline':>10s} {'mean':>9s} {'bias':>9s} {'variance':>9s}")
        for kind in KINDS:
            try:
                g = group_gradients(q, L, G, kind, 100_000, seed=0)
            except NotImplementedError as e:
                print(e)
                return
            print(f"{kind:>10s} {g.mean():>9.5f} {g.mean() - true:>+9.5f} {g.var():>9.6f}")
    print("\nWhich baseline lowers the variance, and when? Which one is biased, by how much, and why?")


if __name__ == "__main__":
    main()
