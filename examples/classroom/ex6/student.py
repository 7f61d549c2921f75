"""Exercise 6: predict before you train. From base-only measurements of a few tiny models,
predict which will gain from RL; then run RL and score the prediction.

The prediction is theory's (theory/amplifier.py): a model gains when GRPO's groups carry signal and
there is room to improve, score = phi(p, G) * (1 - p1), with p1 the base pass@1, p its chance-corrected
value (p1 - chance) / (1 - chance) clipped to [0, 1], and phi(p, G) = 1 - p^G - (1 - p)^G.

Fill in the three TODOs, run this file (it trains 4 tiny models twice: a few minutes on a laptop), then
grade it: pytest examples/classroom/ex6
(in a folder handed out alone: `pytest` inside it).
"""

from __future__ import annotations

import os

import numpy as np


# TODO 1 -------------------------------------------------------------------------------------------
def gain_score(base_pass1, chance: float, G: int):
    """phi(p, G) * (1 - p1) with p = clip((p1 - chance) / (1 - chance), 0, 1); p1 scalar or array."""
    raise NotImplementedError("TODO 1: the base-only gain score phi(p, G) * (1 - p1)")


# TODO 2 -------------------------------------------------------------------------------------------
def spearman(x, y) -> float:
    """Spearman rank correlation of x and y (1-D, same length); tied values get their average rank."""
    raise NotImplementedError("TODO 2: the Pearson correlation of the ranks of x and y (ties: average ranks)")


# TODO 3 -------------------------------------------------------------------------------------------
def top_k_overlap(scores, gains, k: int) -> float:
    """Fraction of the k models with the highest score that are also among the k with the highest gain."""
    raise NotImplementedError("TODO 3: |top k by score and top k by gain| / k")


def main() -> None:
    from toymodels.config import CellConfig  # noqa: PLC0415
    from toymodels.run import run_cell  # noqa: PLC0415

    tiny = bool(os.environ.get("CLASSROOM_SMOKE"))  # the test suite: seconds, numbers mean nothing
    budget = (
        dict(pretrain_tokens=4_000, rl_updates=2, eval_prompts=8, k_max=4)
        if tiny
        else dict(pretrain_tokens=700_000, rl_updates=80, eval_prompts=32, k_max=8)
    )
    widths = (8, 16) if tiny else (8, 16, 32, 64)
    cells = [CellConfig(task="ModChain", horizon=5, width=w, seeds=(0,), device="cpu", **budget) for w in widths]

    base = [run_cell(c, base_only=True) for c in cells]  # 1. pretrain and measure the base models, no RL
    p1 = np.array([float(b.base_pass_at_k.sel(k=1, split="id").item()) for b in base])
    chance = float(base[0].chance.sel(split="id"))
    try:
        scores = gain_score(p1, chance, cells[0].group_size)  # 2. predict, before any RL
    except NotImplementedError as e:
        print(e)
        return
    print(
        "base pass@1:",
        {w: round(float(v), 3) for w, v in zip(widths, p1)},
        " predicted score:",
        {w: round(float(v), 4) for w, v in zip(widths, scores)},
    )

    gains = np.array(
        [
            float((ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").item())
            for ds in (run_cell(c) for c in cells)
        ]
    )  # 3. now train with RL
    print("observed RL gain:", {w: round(float(v), 3) for w, v in zip(widths, gains)})
    try:
        print(
            f"4. score: Spearman rho {spearman(scores, gains):+.2f}; top-2 overlap "
            f"{top_k_overlap(scores, gains, 2):.2f}" + (" (smoke budget: numbers mean nothing)" if tiny else "")
        )
    except NotImplementedError as e:
        print(e)
    print("Did the base-only score rank the models right? Where it did not, what did it miss?")


if __name__ == "__main__":
    main()
