"""The per-width RL learning-rate rule, stated before any sweep was run (docs/recipe.md).

Inputs, for one width: the swept learning rates and, per learning rate and seed, the RL gain on
the validation prompts (pass@1 after RL minus before, `toymodels.validate`: held out by content
and disjoint from the prompts of the final evaluation), and whether the seed's run diverged.

Rule (the one-standard-error rule of cross-validation, Breiman et al. 1984; Hastie, Tibshirani and
Friedman, ESL 7.10):
1. a learning rate is eligible when every one of its seeds finished (none diverged) with a finite
   validation gain;
2. best = the eligible rate with the highest mean validation gain over seeds;
3. the choice = the *smallest* eligible rate whose mean gain is at least best's mean minus best's
   standard error (sd over seeds / sqrt(n), 0 with one seed): among rates the validation split
   cannot tell apart, the smallest step, the one least likely to break a capable base.
No eligible rate: no choice (None), and the reason.

The rule never reads the evaluation prompts, the size trend or any claim's outcome. Pure numpy.
"""

from __future__ import annotations

import numpy as np


def select_lr(lrs, val_gain, diverged=None) -> dict:
    """lrs (n,), val_gain (n, seeds), diverged (n, seeds) bool or None -> the choice and its numbers:
    {"lr", "best_lr", "mean" (n,), "se" (n,), "eligible" (n,), "reason"}."""
    lrs = np.asarray(lrs, float)
    gain = np.atleast_2d(np.asarray(val_gain, float))
    if gain.shape[0] != lrs.shape[0]:
        raise ValueError(f"val_gain needs one row per learning rate ({lrs.shape[0]}), got shape {gain.shape}")
    div = np.zeros(gain.shape, bool) if diverged is None else np.asarray(diverged, bool)
    eligible = ~div.any(1) & np.isfinite(gain).all(1)
    n = gain.shape[1]
    with np.errstate(invalid="ignore"):
        mean = gain.mean(1)
        se = gain.std(1, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(len(lrs))
    out = {"mean": mean, "se": se, "eligible": eligible, "lr": None, "best_lr": None}
    if not eligible.any():
        return out | {"reason": "no learning rate finished every seed with a finite validation gain"}
    best = int(np.nanargmax(np.where(eligible, mean, -np.inf)))
    floor = mean[best] - se[best]
    near = eligible & (mean >= floor)
    choice = float(lrs[near].min())
    out |= {"lr": choice, "best_lr": float(lrs[best])}
    reason = (
        f"highest mean validation gain {mean[best]:+.3f} at lr {lrs[best]:g} (s.e. {se[best]:.3f}); "
        f"smallest rate within one s.e.: {choice:g}"
    )
    return out | {"reason": reason}
