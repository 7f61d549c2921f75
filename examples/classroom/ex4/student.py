"""Exercise 4: sparse against dense (process) rewards on a chain task, with tiny transformers.

ModChain asks for L running sums mod 10 (the steps) and then the answer. The sparse reward pays 1 for
a right answer at the end. The dense (process) reward pays 1/(L+1) for each right step, and 1/(L+1)
for the right answer. Which model sizes does each reward help?

Fill in the three TODOs, run this file (it trains 2 x 3 tiny models: a minute or two on a laptop), then
grade it: pytest examples/classroom/ex4
(in a folder handed out alone: `pytest` inside it).
"""

from __future__ import annotations

import os

import numpy as np


# TODO 1 -------------------------------------------------------------------------------------------
def sparse_reward(step_ok: np.ndarray, answer_ok: np.ndarray) -> np.ndarray:
    """Episodes (n,) from step_ok (n, L) booleans and answer_ok (n,) booleans: 1.0 for a right answer, else 0.0."""
    raise NotImplementedError("TODO 1: the sparse reward of each episode, as floats")


# TODO 2 -------------------------------------------------------------------------------------------
def dense_reward(step_ok: np.ndarray, answer_ok: np.ndarray) -> np.ndarray:
    """Episodes (n,): 1/(L+1) per right step plus 1/(L+1) for the right answer (the env's reward='dense')."""
    raise NotImplementedError("TODO 2: the dense reward of each episode: (right steps + right answer) / (L + 1)")


# TODO 3 -------------------------------------------------------------------------------------------
def smallest_helped(widths, gains, min_gain: float) -> float:
    """The smallest width whose gain is at least min_gain (widths in any order); NaN if none."""
    raise NotImplementedError("TODO 3: the smallest width whose gain reaches min_gain (NaN if none)")


def main() -> None:
    from toymodels.config import CellConfig  # noqa: PLC0415  (torch: only when training)
    from toymodels.run import run_cell  # noqa: PLC0415

    tiny = bool(os.environ.get("CLASSROOM_SMOKE"))  # the test suite: seconds, numbers mean nothing
    budget = (
        dict(pretrain_tokens=4_000, rl_updates=2, eval_prompts=8, k_max=4)
        if tiny
        else dict(pretrain_tokens=300_000, rl_updates=60, eval_prompts=32, k_max=8)
    )
    widths = (8, 16) if tiny else (16, 32, 64)
    gains = {}
    for reward in ("sparse", "dense"):
        gains[reward] = []
        for width in widths:
            ds = run_cell(
                CellConfig(task="ModChain", horizon=4, width=width, reward=reward, seeds=(0, 1), device="cpu", **budget)
            )
            g = (ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").mean("seed")
            gains[reward].append(float(g))
        per_width = {w: round(g, 3) for w, g in zip(widths, gains[reward])}
        print(f"{reward:>6s} reward: RL gain in pass@1 per width {per_width}")
    if tiny:
        print("(smoke budget: these numbers mean nothing)")
    print("Which sizes does each reward help, and why does the dense one reach smaller models?")
    try:
        for reward in ("sparse", "dense"):
            print(
                f"{reward}: the smallest width that gains at least 0.05 is "
                f"{smallest_helped(widths, gains[reward], 0.05)}"
            )
    except NotImplementedError as e:
        print(e)


if __name__ == "__main__":
    main()
