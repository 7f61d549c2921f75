"""`rl_health`: what happened to a cell's RL run, before its gain is read as evidence about a model.

A cell whose RL never received a signal, broke a model that could already do the task, or taught
it to write malformed answers says something about the recipe, not about the model's size. One
label per cell, the first of these that applies (issue 22):

- ``diverged``: the run stopped on a non-finite loss or gradient (status "diverged");
- ``broke-capable``: the base could do the task (base pass@1 >= CAPABLE) and RL left it worse by
  more than N_SE binomial standard errors: base - rl > N_SE * sqrt((b (1 - b) + r (1 - r)) / n),
  the standard error of the difference of two pass@1 estimates over the n held-out prompts;
- ``no-signal``: the informative-group fraction was exactly 0 over the first 10% of the updates
  (every group's rewards equal: GRPO's gradient is exactly zero, nothing was learned then);
- ``malformed``: more than MALFORMED of the RL rollouts over the last 10% of the updates were not
  well formed (the layout broke: RL taught the model to write something else than an answer);
- ``ok``: none of these.

A failed cell (no numbers) is ``n/a``. A measurement that is missing (NaN, e.g. a grid written
before the ill-formed rate was recorded) never triggers its label.

The order: a run that broke a capable base is a recipe failure whatever else it did; a run without
signal is next (an untrained base that writes garbage is malformed too, but RL did not make it so:
it never had a signal); malformed last, the run had a signal and its answers lost their layout.
Pure numpy.
"""

from __future__ import annotations

import numpy as np

HEALTH = ("ok", "no-signal", "broke-capable", "malformed", "diverged")
NOT_JUDGED = "n/a"
CAPABLE = 0.5
"""Base pass@1 at or above which a base counts as capable."""
N_SE = 3.0
"""Binomial standard errors by which RL pass@1 must fall below a capable base to count as broken."""
MALFORMED = 0.5
"""Ill-formed rate of the late RL rollouts above which a cell is malformed."""


def pass1_drop_se(base: np.ndarray, rl: np.ndarray, n_prompts) -> np.ndarray:
    """Binomial standard error of base - rl pass@1, each estimated over n_prompts held-out prompts."""
    b, r = np.asarray(base, float), np.asarray(rl, float)
    return np.sqrt((b * (1 - b) + r * (1 - r)) / np.asarray(n_prompts, float))


def broke_capable(base, rl, n_prompts) -> np.ndarray:
    """base >= CAPABLE and base - rl > N_SE standard errors (False where either is NaN)."""
    b, r = np.asarray(base, float), np.asarray(rl, float)
    with np.errstate(invalid="ignore"):
        return (b >= CAPABLE) & (b - r > N_SE * pass1_drop_se(b, r, n_prompts))


def rl_health(status, base_pass1, rl_pass1, n_prompts, informative_early, ill_formed_late) -> np.ndarray:
    """One label of HEALTH (or NOT_JUDGED) per cell; every argument broadcasts (arrays of cells).

    status: "ok", "diverged" or "failed"; base_pass1, rl_pass1: pass@1 on the held-out prompts
    before and after RL; n_prompts: held-out prompts per evaluation; informative_early: mean
    informative-group fraction over the first 10% of the updates; ill_formed_late: fraction of
    rollouts that were not well formed over the last 10% of the updates."""
    st = np.asarray(status).astype(str)
    b, r, inf, ill = (np.asarray(x, float) for x in (base_pass1, rl_pass1, informative_early, ill_formed_late))
    st, b, r, inf, ill, n = np.broadcast_arrays(st, b, r, inf, ill, np.asarray(n_prompts, float))
    with np.errstate(invalid="ignore"):
        conditions = [
            st == "failed",
            st == "diverged",
            broke_capable(b, r, n),
            inf == 0,
            ill > MALFORMED,
        ]
    labels = [NOT_JUDGED, "diverged", "broke-capable", "no-signal", "malformed"]
    out = np.select(conditions, labels, default="ok").astype(object)
    return out.astype(str) if out.ndim else str(out)


def counts(labels) -> dict[str, int]:
    """Cells per label, every label of HEALTH listed (NOT_JUDGED only when present)."""
    flat = [str(x) for x in np.asarray(labels, dtype=object).ravel()]
    out = {h: flat.count(h) for h in HEALTH}
    if NOT_JUDGED in flat:
        out[NOT_JUDGED] = flat.count(NOT_JUDGED)
    unknown = sorted(set(flat) - set(out))
    if unknown:
        raise ValueError(f"rl_health labels must be among {', '.join((*HEALTH, NOT_JUDGED))}; got {unknown}")
    return out
