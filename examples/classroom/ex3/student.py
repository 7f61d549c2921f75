"""Exercise 3: why GRPO learns nothing from all-fail or all-pass groups, and the size threshold that follows.

GRPO's advantage is the reward minus the group mean (divided by the group's standard deviation). With
binary rewards, a group of G answers that all fail, or all pass, has zero advantage everywhere: it
contributes nothing to the gradient. With success probability p per answer, what fraction of groups
carries any signal?

Fill in the three TODOs, run this file, then grade it: pytest examples/classroom/ex3
"""

from __future__ import annotations

import numpy as np


# TODO 1 -------------------------------------------------------------------------------------------
def phi(p, G: int):
    """Fraction of informative groups (not all rewards equal) for success probability p (scalar or array)."""
    raise NotImplementedError("TODO 1: the probability that a group of G binary rewards is neither all 0 nor all 1")


# TODO 2 -------------------------------------------------------------------------------------------
def min_accuracy(G: int, target: float) -> float:
    """The smallest p in [0, 0.5] with phi(p, G) >= target (to 1e-6); NaN if even p = 0.5 falls short."""
    # Hint: phi rises on [0, 0.5]; bisection works.
    raise NotImplementedError("TODO 2: find the smallest base accuracy whose phi reaches the target")


# TODO 3 -------------------------------------------------------------------------------------------
def size_threshold(n_params, base_accuracy, G: int, target: float) -> float:
    """The smallest model size (n_params) whose base accuracy gives phi >= target; NaN if none does.

    n_params and base_accuracy are arrays of the same length, in any order.
    """
    raise NotImplementedError("TODO 3: the smallest n_params whose base accuracy gives phi >= target")


def main() -> None:
    try:
        print("phi(p, G=8):", {p: round(float(phi(p, 8)), 4) for p in (0.001, 0.01, 0.1, 0.5)})
        for G in (4, 8, 16, 64):
            print(f"G={G:>2d}: half the groups carry signal from base accuracy p = {min_accuracy(G, 0.5):.4f}")
        sizes = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
        acc = np.array([0.001, 0.005, 0.03, 0.2, 0.6])  # base accuracy of each size (made up)
        for G in (8, 64):
            print(f"G={G}: the smallest size with phi >= 0.5 is {size_threshold(sizes, acc, G, 0.5):.0f}")
    except NotImplementedError as e:
        print(e)
    print("What does a larger group buy, and what does it cost?")


if __name__ == "__main__":
    main()
