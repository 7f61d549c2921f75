"""Onsets over a grid: the change-point call (theory.onset) of every cell's RL curve, and what a run's
onsets say together (counts per call and per size, and how the onset relates to size, to φ at the
start of RL and to the predicted first-signal time). Moved from aha/fit_onset.py (issue 21).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .claims_behaviour import spearman
from .onset import RULE, detect_onset

OUTPUTS = ("aha_found", "aha_call", "aha_onset", "aha_jump", "aha_sharpness")
"""Per cell: the call's fields (`aha_call` 'n/a' for cells not ok, 'curriculum' for cells not judged)."""
NOT_JUDGED = ("n/a", "curriculum")


def detect_onsets(t, curves, ok, scheduled) -> dict[str, np.ndarray]:
    """Per cell of ``curves`` (shape (..., len(t))): the change-point call of its curve; cells not
    ``ok`` get 'n/a', cells whose RL horizon is ``scheduled`` to change (a curriculum) 'curriculum'
    (their jumps are the schedule's), both with aha_found False and NaN numbers."""
    values = np.asarray(curves, float)
    shape = values.shape[:-1]
    out = {"aha_found": np.zeros(shape, bool), "aha_call": np.full(shape, "n/a", dtype=object)}
    out |= {k: np.full(shape, np.nan) for k in ("aha_onset", "aha_jump", "aha_sharpness")}
    for idx in np.ndindex(shape):
        if not ok[idx]:
            continue
        if scheduled[idx]:
            out["aha_call"][idx] = "curriculum"
            continue
        o = detect_onset(t, values[idx])
        out["aha_found"][idx], out["aha_call"][idx] = o.found, o.call
        out["aha_onset"][idx], out["aha_jump"][idx], out["aha_sharpness"][idx] = o.onset, o.jump, o.sharpness
    out["aha_call"] = out["aha_call"].astype(str)
    return out


def _rho(x: np.ndarray, y: np.ndarray) -> dict:
    """theory's Spearman rule (at least MIN_RHO cells) as JSON: None where it is not computed."""
    rho, p, n = spearman(x, y)
    return {"rho": None, "p": None, "n": n} if not np.isfinite(rho) else {"rho": rho, "p": p, "n": n}


def summarize_onsets(flat: pd.DataFrame, curve: str = "reward") -> dict:
    """What a run's onsets say (fits.json's "onset"), from one row per cell (columns OUTPUTS,
    n_params, width, and phi_start / first_signal_updates where measured): calls, per-size counts
    and onsets, and Spearman ρ of the onset (cells with an aha; at least 5) against ln N, φ at the
    start of RL and the predicted first-signal time."""
    judged = flat[~flat["aha_call"].isin(NOT_JUDGED)]
    aha = judged[judged["aha_found"].astype(bool)]
    by_size = []
    for n, grp in judged.groupby("n_params"):
        a = grp[grp["aha_found"].astype(bool)]
        by_size.append(
            {
                "n_params": float(n),
                "width": int(grp["width"].iloc[0]),
                "cells": len(grp),
                "aha": len(a),
                "onsets": sorted(float(x) for x in a["aha_onset"]),
                "jumps": [float(x) for x in a["aha_jump"]],
            }
        )
    col = lambda name: aha[name].to_numpy(float) if name in aha else np.full(len(aha), np.nan)  # noqa: E731
    fs = col("first_signal_updates")
    ratio = col("aha_onset") / fs
    return {
        "rule": RULE,
        "curve": curve,
        "cells": len(judged),
        "aha": len(aha),
        "calls": dict(Counter(judged["aha_call"])),
        "by_size": by_size,
        "onset_vs_lnN": _rho(np.log(col("n_params")), col("aha_onset")),
        "onset_vs_phi_start": _rho(col("phi_start"), col("aha_onset")),
        "onset_vs_first_signal": _rho(fs, col("aha_onset")),
        "median_onset_over_first_signal": float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else None,
    }
