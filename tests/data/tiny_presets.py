"""Tiny grids for the runner tests (a user presets file, as `aha grid --presets-file` loads)."""

from toymodels.grid import GridSpec

TINY = {
    "task": "ModChain",
    "horizon": 3,
    "pretrain_tokens": 6000,
    "rl_updates": 3,
    "prompts_per_update": 4,
    "group_size": 4,
    "k_max": 4,
    "eval_prompts": 8,
    "log_every": 1,
    "device": "cpu",
}


def tiny() -> GridSpec:
    return GridSpec("tiny", axes={"width": [8, 12, 16, 24, 32], "depth": [1], "seed": [0, 1]}, fixed=dict(TINY))


PRESETS = {"tiny": tiny}
