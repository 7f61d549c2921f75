"""A validation split: held-out prompts that the final evaluation does not use, for choosing a recipe.

The final evaluation reads the first `eval_prompts` distinct held-out questions of the evaluation
stream (`evaluate.eval_items`); the validation split is the next `val_prompts` of the same scan, so
it is held out from training by content (`envs.splits`) and disjoint from the evaluation prompts.
A choice made on it (the per-width RL learning rate, `theory.lr_select`) never sees the numbers it
is later judged by.

val_pass_at_1: the fraction of correct answers among `n_samples` samples per validation prompt at
the evaluation temperature, averaged over prompts (pass@1's unbiased estimate), per seed.
"""

from __future__ import annotations

import numpy as np
import torch

from envs import splits
from envs.task import Task

from .evaluate import generate
from .sampling import EVAL_STREAM, SAMPLE, stream

VAL_SLOT = 7_500_000  # sampling slots apart from the evaluation's (EVAL_SLOT + 1000 * split)


def val_items(task: Task, n_eval: int, n_val: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out prompts (n_val, P) and targets (n_val, C) after the n_eval the evaluation uses."""
    prompts, targets = splits.heldout(task, n_eval + n_val, EVAL_STREAM, device)
    return prompts[n_eval:], targets[n_eval:]


@torch.no_grad()
def val_pass_at_1(model, task: Task, n_eval: int, n_val: int, n_samples: int, temperature: float) -> np.ndarray:
    """(S,) pass@1 of every seed on the validation prompts."""
    dev = next(model.parameters()).device
    S, C = model.n_seeds, task.completion_len
    prompts, targets = val_items(task, n_eval, n_val, dev)  # (B, P), (B, C)
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds], device=dev)
    comps = generate(model, prompts[None].expand(S, -1, -1), C, n_samples, temperature, streams, VAL_SLOT)
    rep = n_val * n_samples
    v = task.verify(prompts.repeat_interleave(n_samples, 0).repeat(S, 1), comps.reshape(S * rep, C),
                    targets.repeat_interleave(n_samples, 0).repeat(S, 1))  # fmt: skip
    return v.correct.view(S, rep).float().mean(1).cpu().numpy()
