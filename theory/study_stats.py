"""The study's statistics: from the cell table (one row per cell, `toymodels.cells`) to the numbers
each claim's verdict rule reads (pure functions over pandas tables; moved from aha/ in issue 21).

Settings are compared to the *reference* (the study's first grid) one field at a time:
a *factor* setting differs in what the model learns from (task, horizon, prior, budget, depth,
model kind); a *recipe* setting differs only in how RL is run (the fields in RECIPE_FIELDS).
Widths are *small* or *large* by the reference's own mean gain there (theory.claims.GAIN).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .claims import GAIN
from .compute_curve import fit_compute_curve, forecast_final
from .onset import noise_sd
from .sharpening import collapsed
from .takeoff import TAKEOFF, fit_takeoff, takeoff_from_gain

RECIPE_FIELDS = {
    "hint",
    "curriculum",
    "curriculum_start",
    "curriculum_frac",
    "curriculum_budget",
    "reward",
    "delay",
    "format_bonus",
    "noise",
    "algo",
    "kl_coef",
    "entropy_coef",
    "temperature",
    "std_norm",
    "token_sum_norm",
    "clip_low",
    "clip_high",
    "ppo_epochs",
    "minibatches",
    "vf_coef",
    "rl_lr",
    "cot",
}
"""Fields of a recipe (RL-side) comparison; `cot` is here though it also changes the trace format."""
FACTORS = {
    "horizon": "task",
    "task": "task",
    "prior": "data",
    "pretrain_tokens": "data",
    "depth": "architecture",
    "model_kind": "architecture",
}
"""C3's factors and the category of each."""
C6_FIELDS = {"temperature", "entropy_coef"}
C7_FIELDS = {"hint", "curriculum", "curriculum_budget", "reward", "cot", "algo"}
C9_FIELDS = {"curriculum", "curriculum_budget", "temperature", "std_norm", "token_sum_norm"}


def config_of(key: str) -> dict:
    return json.loads(key)


def diff_fields(key: str, ref_key: str) -> set[str]:
    a, b = config_of(key), config_of(ref_key)
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def settings(cells: pd.DataFrame) -> dict[str, str]:
    """setting label -> key (first occurrence)."""
    return dict(cells.drop_duplicates("setting")[["setting", "key"]].itertuples(index=False, name=None))


def recipe_settings(cells: pd.DataFrame, ref_key: str) -> dict[str, tuple[str, set[str]]]:
    """name -> (setting, fields changed) for settings that differ from the reference in RL fields only."""
    out = {}
    for s, key in settings(cells).items():
        d = diff_fields(key, ref_key)
        if d and d <= RECIPE_FIELDS:
            variant = cells.loc[cells.setting == s, "variant"].iloc[0]
            out[variant or ",".join(f"{f}={config_of(key).get(f)}" for f in sorted(d))] = (s, d)
    return out


def size_classes(cells: pd.DataFrame, ref_key: str) -> dict[int, str]:
    m = cells[cells.key == ref_key].groupby("width")["gain"].mean()
    return {int(w): ("large" if g >= GAIN else "small") for w, g in m.items() if np.isfinite(g)}


def nc_interval(sub: pd.DataFrame) -> dict:
    """The threshold of one setting from P(take-off | ln N) over every seed (theory.takeoff):
    {'N_c', 'interval', 'located', 'takeoffs', 'cells', 'verdict', 'note'}. ``located`` only when RL
    takes off somewhere, the take-off fit is trustworthy and P(take-off) reaches one half: then
    ``interval`` is N_c's profile-likelihood interval (0 or inf at an end the data do not bound);
    otherwise N_c and the interval are NaN and ``note`` says why (an unresolved bracket of sizes is
    never a located threshold)."""
    ok = sub[np.isfinite(sub["gain"]) & (sub["n_params"] > 0)]
    out = {"N_c": float("nan"), "interval": (float("nan"), float("nan")), "located": False}
    out |= {"takeoffs": int((ok["gain"] >= TAKEOFF).sum()), "cells": len(ok), "verdict": "", "note": ""}
    if out["takeoffs"] == 0:
        return out | {"note": "RL takes off in no cell" if len(ok) else "no cells"}
    if ok["n_params"].nunique() < 2:
        return out | {"note": "one size only"}
    fit = fit_takeoff(ok["n_params"], takeoff_from_gain(ok["gain"]), ok["gain"])
    out["verdict"] = fit.verdict
    if not fit.trustworthy:
        return out | {"note": "take-off fit not trustworthy: " + "; ".join(fit.problems)}
    if fit.N_c is None:
        return out | {"note": f"P(take-off) stays below one half ({fit.family}, plateau {fit.ceiling:.2f})"}
    return out | {"N_c": fit.N_c, "interval": tuple(fit.N_c_ci), "located": True}


def seed_floor(pred: pd.DataFrame) -> np.ndarray:
    """Per cell: the mean gain of the *other* seeds of its setting and width (NaN when it is alone),
    the leave-one-seed-out floor no predictor of a cell from its setting and size can beat by much."""
    g = pred["gain"].astype(float)
    keys = [pred["setting"], pred["width"]]
    total, count = g.groupby(keys).transform("sum"), g.groupby(keys).transform("count")
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((total - g) / (count - 1)).where(count > 1).to_numpy(float)


def c8_by_setting(pred: pd.DataFrame, names: list[str]) -> tuple[list[dict], dict[str, float]]:
    """C8 per setting from the held-out predictions (theory.predict_gain.LosoResult.predictions):
    rows {setting, takes_off, n, MAE per predictor and 'seed floor'}, and the MAEs over the cells of
    the settings where RL takes off somewhere (any gain >= TAKEOFF) with their counts."""
    pred = pred.assign(**{"seed floor": seed_floor(pred)})
    cols = [n for n in names if n in pred] + ["seed floor"]
    err = pred[cols].sub(pred["gain"], axis=0).abs()  # (cells, predictors)
    rows = []
    for st, idx in pred.groupby("setting").groups.items():
        up = bool((pred.loc[idx, "gain"] >= TAKEOFF).any())
        rows.append({"setting": st, "takes_off": up, "n": len(idx), **{c: float(err.loc[idx, c].mean()) for c in cols}})
    up = pred["setting"].isin([r["setting"] for r in rows if r["takes_off"]])
    over = {c: float(err.loc[up, c].mean()) if up.any() else float("nan") for c in cols}
    return rows, over | {"n_settings": int(sum(r["takes_off"] for r in rows)), "n_cells": int(up.sum())}


def factor_groups(cells: pd.DataFrame, ref_key: str) -> dict[str, dict[str, str]]:
    """factor -> {value label -> setting}: settings equal except in that factor (the reference's
    group where it has one, else the largest)."""
    sets = {s: k for s, k in settings(cells).items() if not (diff_fields(k, ref_key) & RECIPE_FIELDS)}
    out = {}
    for f in FACTORS:
        drop = {f, "horizon", "task_kwargs"} if f == "task" else {f}
        groups: dict[str, dict[str, str]] = {}
        for s, k in sets.items():
            c = config_of(k)
            if f == "task" and c.get("depth") != 1:
                continue
            rest = json.dumps({a: v for a, v in c.items() if a not in drop}, sort_keys=True, default=str)
            value = str(c.get(f)) if f != "task" else f"{c.get('task')}"
            g = groups.setdefault(rest, {})
            if value not in g or k == ref_key:  # two settings with one value (ModChain at L = 5 and 7 for
                g[value] = s  # "task"): the reference's stays, never overwritten by the later one
        cands = [g for g in groups.values() if len(g) >= 2]
        if not cands:
            continue
        with_ref = [g for g in cands if any(sets[s] == ref_key for s in g.values())]
        out[f] = (with_ref or sorted(cands, key=len, reverse=True))[0]
    return out


def paired_diffs(cells: pd.DataFrame, ref_key: str, setting: str, column: str = "gain") -> pd.DataFrame:
    """(width, seed, diff) of ``setting`` minus the reference at the same width and seed."""
    a = cells[cells.key == ref_key].set_index(["width", "seed"])[column]
    b = cells[cells.setting == setting].set_index(["width", "seed"])[column]
    d = (b - a.reindex(b.index)).dropna()
    return d.rename("diff").reset_index()


def by_class(df: pd.DataFrame, classes: dict[int, str], column: str = "diff") -> dict[str, list[float]]:
    out = {"small": [], "large": []}
    for w, v in zip(df["width"], df[column], strict=True):
        if int(w) in classes:
            out[classes[int(w)]].append(float(v))
    return out


# --- per-cell curve measures ---------------------------------------------------------------------
def _final(r: np.ndarray) -> float:
    return float(np.nanmean(r[-3:]))


def rise_fall(r: np.ndarray, effect: float = 0.05) -> bool:
    """The reward rose by >= effect from its start to its (3-point smoothed) peak and then fell by >=
    effect from that peak to its end (mean of the last 3 points)."""
    r = np.asarray(r, float)
    if r.size < 4 or not np.isfinite(r).all():
        return False
    sm = np.convolve(r, np.ones(3) / 3, mode="valid")
    peak = sm.max()
    return bool(peak - r[0] >= effect and peak - _final(r) >= effect)


NULL_REPS = 200
"""Plain-noise curves per cell for the rise-then-fall null (C4)."""


def rise_fall_null(r: np.ndarray, key: tuple[int, ...], reps: int = NULL_REPS) -> float:
    """The rise-then-fall detector's rate on plain-noise curves matched to one cell: its own logged
    points, a flat mean (the curve's) and its own noise sd (from successive differences,
    theory.onset.noise_sd, so a real trend does not inflate it), clipped to [0, 1] like a reward.
    Random numbers keyed on ``key`` (the cell's width and seed), so a cell gets the same null alone
    or in a study. NaN for a curve the detector does not judge."""
    r = np.asarray(r, float)
    if r.size < 4 or not np.isfinite(r).all():
        return float("nan")
    rng = np.random.default_rng([*map(int, key), 4])
    y = np.clip(r.mean() + noise_sd(r) * rng.standard_normal((reps, r.size)), 0.0, 1.0)  # (reps, points)
    return float(np.mean([rise_fall(row) for row in y]))


def entropy_kept(h: np.ndarray, samples: np.ndarray) -> float:
    """Entropy halfway through RL (by episodes consumed) over entropy at its start."""
    h = np.asarray(h, float)
    if h.size < 2 or not np.isfinite(h[0]) or h[0] <= 0:
        return float("nan")
    i = int(np.argmin(np.abs(samples - samples.max() / 2)))
    return float(h[i] / h[0])


def format_share(reward: float, p_correct: float) -> float:
    """Share of the mean reward not explained by correct answers: (R − p) / R, clipped to [0, 1]."""
    if not (np.isfinite(reward) and np.isfinite(p_correct)) or reward <= 0:
        return float("nan")
    return float(np.clip((reward - p_correct) / reward, 0, 1))


def format_share_of_pass1(p_correct, bonus: float) -> np.ndarray:
    """The format share if every wrong answer earned the format bonus: b(1 − p) / (p + b(1 − p))."""
    p = np.asarray(p_correct, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return bonus * (1 - p) / (p + bonus * (1 - p))


def share_vs_pass1(cells: pd.DataFrame, bonus: float) -> float:
    """Pearson r between the cells' format shares (start and end of RL together) and their values
    from pass@1 alone (``format_share_of_pass1``); NaN with fewer than 3 finite pairs or no spread."""
    share = np.concatenate([cells["format_start"], cells["format_end"]]).astype(float)
    model = np.concatenate(
        [format_share_of_pass1(cells["base_p1"], bonus), format_share_of_pass1(cells["rl_p1"], bonus)]
    )
    ok = np.isfinite(share) & np.isfinite(model)
    if ok.sum() < 3 or np.ptp(share[ok]) == 0 or np.ptp(model[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(share[ok], model[ok])[0, 1])


TOKEN_COLUMNS = ("base_format_prob", "rl_format_prob", "base_task_prob", "rl_task_prob")
"""C5's cell-table columns (toymodels.cells, from toymodels.evaluate.token_probs): teacher-forced
probability of the correct token at format and at content positions, before and after RL."""


def format_excess(cells: pd.DataFrame) -> np.ndarray:
    """Per cell, e = Δformat − Δtask = (rl_format_prob − base_format_prob) − (rl_task_prob −
    base_task_prob): how much more RL raised the correct format tokens than the correct content
    tokens (C5); NaN where a column is missing (a grid written before they were recorded)."""
    if any(c not in cells for c in TOKEN_COLUMNS):
        return np.full(len(cells), np.nan)
    col = {c: cells[c].to_numpy(float) for c in TOKEN_COLUMNS}
    return (col["rl_format_prob"] - col["base_format_prob"]) - (col["rl_task_prob"] - col["base_task_prob"])


def pearson(x, y) -> float:
    """Pearson r over the pairs where both are finite; NaN with fewer than 3 or no spread on a side."""
    a, b = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def add_curve_measures(cells: pd.DataFrame, curves: dict) -> pd.DataFrame:
    """Columns: rise_fall, final_reward, entropy_kept, format_start/end, forecast_rise, A, C_mid, B."""
    cells = cells.copy()
    cols = {
        c: []
        for c in (
            "rise_fall",
            "rise_fall_null",
            "final_reward",
            "entropy_kept",
            "format_start",
            "format_end",
            "forecast_rise",
            "A",
            "C_mid",
            "B",
            "collapsed",
        )
    }
    for row in cells.itertuples(index=False):
        cv = curves.get((row.setting, row.width, row.seed))
        ok = cv is not None and row.status == "ok" and "reward" in cv
        r = cv["reward"] if ok else np.array([np.nan])
        C = cv["samples"] if ok else np.array([np.nan])
        cols["rise_fall"].append(rise_fall(r) if ok else np.nan)
        cols["rise_fall_null"].append(rise_fall_null(r, (row.width, row.seed)) if ok else np.nan)
        cols["final_reward"].append(_final(r) if ok else np.nan)
        cols["entropy_kept"].append(entropy_kept(cv["entropy"], C) if ok and "entropy" in cv else np.nan)
        cols["format_start"].append(format_share(r[0], row.base_p1) if ok else np.nan)
        cols["format_end"].append(format_share(_final(r), getattr(row, "rl_p1", np.nan)) if ok else np.nan)
        if ok:
            fc, _ = forecast_final(C, r)
            fit = fit_compute_curve(C, r)
        cols["forecast_rise"].append(fc - r[0] if ok else np.nan)
        for p in ("A", "C_mid", "B"):
            cols[p].append(getattr(fit, p) if ok else np.nan)
        cols["collapsed"].append(
            bool(collapsed(row.base_p1, getattr(row, "rl_p1", np.nan), row.n_samples)) if ok else np.nan
        )
    for c, v in cols.items():
        cells[c] = v
    return cells
