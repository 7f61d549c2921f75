"""Predicting the RL gain before RL (C8): base-only predictors, an early-RL forecast, the ln N
baseline, and their leave-one-setting-out evaluation.

Every predictor is a linear map gain ≈ a + b·x (least squares over cells) of its feature(s):

- ``coverage``:    base trace pass@k_max (every step and the answer right in some of k samples)
- ``step_prob^L``: base per-step probability of the correct step under sampling, to the power L
- ``phi0``:        φ(p, G) = 1 − p^G − (1 − p)^G at the start of RL, p = base pass@1
- ``greedy``:      base greedy accuracy
- ``combination``: the subset of those four with the least inner leave-one-setting-out MAE,
                   chosen on the training settings only (nested: the held-out one never votes)
- ``early-RL forecast``: the rise of the reward curve forecast from the first quarter of the
                   updates (theory.compute_curve.forecast_final) — needs RL, so it is a yardstick
- ``ln N``:        ln n_params, the size baseline;  ``constant``: the training mean

P(gain ≥ threshold) = 1 − Φ((threshold − mean) / resid_sd) with the fit's residual sd. A cell's
*setting* is everything but its width and seed (one task, horizon, prior, budget, depth, recipe).
Leave one setting out: fit on every other setting, predict each cell of the left-out one; score
MAE of the gain, AUROC of "gain ≥ threshold", and the error of the predicted N_c (the size where
the mean gain over seeds first rises through the threshold, interpolated in ln N) in √2 steps of
width, i.e. in units of ln 2 of N (N ∝ width²).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._result import JsonMixin
from .credit import phi

__all__ = [
    "BASE_FEATURES",
    "PREDICTORS",
    "THRESHOLD",
    "base_features",
    "LinearPredictor",
    "fit_predictor",
    "select_combination",
    "auroc",
    "crossing_N",
    "setting_N_c",
    "LosoResult",
    "leave_one_setting_out",
]

THRESHOLD = 0.1
BASE_FEATURES = ("coverage", "step_prob_L", "phi0", "greedy")
PREDICTORS: dict[str, tuple[str, ...] | None] = {
    "coverage": ("coverage",),
    "step_prob^L": ("step_prob_L",),
    "phi0": ("phi0",),
    "greedy": ("greedy",),
    "combination": None,
    "early-RL forecast": ("forecast_rise",),
    "ln N": ("lnN",),
    "constant": (),
}
"""Predictor name -> its feature columns (None: chosen per fit by ``select_combination``)."""
BASE_ONLY = ("coverage", "step_prob^L", "phi0", "greedy", "combination", "ln N", "constant")
"""Predictors that need no RL (``aha predict`` may use these)."""
STEP_LN_N = float(np.log(2.0))
"""One √2 step of width in ln N (N ∝ width²)."""


def base_features(coverage, step_prob, L, base_pass1, G, greedy, n_params) -> dict[str, np.ndarray]:
    """The feature columns from base-only measurements (arrays broadcast together)."""
    f = lambda a: np.asarray(a, dtype=float)  # noqa: E731
    return {
        "coverage": f(coverage),
        "step_prob_L": f(step_prob) ** f(L),
        "phi0": phi(f(base_pass1), f(G)),
        "greedy": f(greedy),
        "lnN": np.log(f(n_params)),
    }


@dataclass
class LinearPredictor(JsonMixin):
    """gain ≈ intercept + coef · features; resid_sd for P(gain ≥ threshold)."""

    name: str
    features: list[str]
    coef: list[float]
    intercept: float
    resid_sd: float
    n_fit: int
    threshold: float = THRESHOLD

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        X = df[self.features].to_numpy(float) if self.features else np.zeros((len(df), 0))
        return self.intercept + X @ np.asarray(self.coef, dtype=float)

    def prob_gain(self, df: pd.DataFrame) -> np.ndarray:
        sd = max(self.resid_sd, 1e-6)
        return 1 - norm.cdf((self.threshold - self.predict(df)) / sd)

    @classmethod
    def from_dict(cls, d: dict) -> LinearPredictor:
        return cls(**d)


def fit_predictor(
    df: pd.DataFrame, name: str, features: tuple[str, ...] | list[str], threshold: float = THRESHOLD
) -> LinearPredictor:
    """Least squares of ``gain`` on ``features`` (+ intercept) over the rows with everything finite."""
    feats = list(features)
    cols = df[[*feats, "gain"]].to_numpy(float)
    ok = np.isfinite(cols).all(1)
    X, y = cols[ok, :-1], cols[ok, -1]
    if len(y) == 0:
        return LinearPredictor(name, feats, [0.0] * len(feats), float("nan"), float("nan"), 0, threshold)
    A = np.column_stack([np.ones(len(y)), X])
    ridge = 1e-6 * np.eye(A.shape[1])
    ridge[0, 0] = 0.0
    beta = np.linalg.solve(A.T @ A + ridge, A.T @ y)
    resid = y - A @ beta
    sd = float(np.sqrt(np.sum(resid**2) / max(len(y) - A.shape[1], 1)))
    return LinearPredictor(name, feats, [float(b) for b in beta[1:]], float(beta[0]), sd, int(len(y)), threshold)


def _loso_mae(df: pd.DataFrame, features: tuple[str, ...]) -> float:
    errs = []
    for s in df["setting"].unique():
        tr, te = df[df["setting"] != s], df[df["setting"] == s]
        pred = fit_predictor(tr, "", features).predict(te)
        errs.append(np.abs(pred - te["gain"].to_numpy(float)))
    e = np.concatenate(errs) if errs else np.array([np.nan])
    return float(np.nanmean(e))


def select_combination(df: pd.DataFrame, threshold: float = THRESHOLD) -> LinearPredictor:
    """The subset of BASE_FEATURES with the least leave-one-setting-out MAE within ``df``, refit on
    all of ``df``. With fewer than 3 settings the inner loop cannot vote: all four are used."""
    usable = [f for f in BASE_FEATURES if f in df and np.isfinite(df[f].to_numpy(float)).any()]
    if df["setting"].nunique() < 3 or not usable:
        return fit_predictor(df, "combination", usable, threshold)
    subsets = [c for r in range(1, len(usable) + 1) for c in itertools.combinations(usable, r)]
    best = min(subsets, key=lambda c: (_loso_mae(df, c), len(c)))
    return fit_predictor(df, "combination", best, threshold)


def _fit_named(df: pd.DataFrame, name: str, threshold: float) -> LinearPredictor:
    feats = PREDICTORS[name]
    return select_combination(df, threshold) if feats is None else fit_predictor(df, name, feats, threshold)


def auroc(score, label) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half); NaN when a class is absent."""
    s, y = np.asarray(score, dtype=float), np.asarray(label, dtype=bool)
    ok = np.isfinite(s)
    s, y = s[ok], y[ok]
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(gt / (pos.size * neg.size))


def crossing_N(n_params, gain_mean, threshold: float = THRESHOLD) -> tuple[float, str]:
    """N where the mean gain first rises through ``threshold`` (interpolated in ln N), and '' —
    or NaN and 'below' (the smallest size already gains), 'above' (no size gains), 'none'."""
    n, g = np.asarray(n_params, dtype=float), np.asarray(gain_mean, dtype=float)
    ok = np.isfinite(n) & np.isfinite(g)
    order = np.argsort(n[ok])
    n, g = n[ok][order], g[ok][order]
    if n.size == 0:
        return float("nan"), "none"
    if g[0] >= threshold:
        return float("nan"), "below"
    for i in range(1, n.size):
        if g[i - 1] < threshold <= g[i]:
            t = (threshold - g[i - 1]) / (g[i] - g[i - 1])
            return float(np.exp(np.log(n[i - 1]) + t * (np.log(n[i]) - np.log(n[i - 1])))), ""
    return float("nan"), "above"


def setting_N_c(df: pd.DataFrame, column: str, threshold: float = THRESHOLD) -> dict[str, tuple[float, str]]:
    """Per setting: ``crossing_N`` of the mean of ``column`` over seeds per size."""
    out = {}
    for s, sub in df.groupby("setting", sort=False):
        m = sub.groupby("n_params")[column].mean()
        out[s] = crossing_N(m.index.to_numpy(float), m.to_numpy(float), threshold)
    return out


@dataclass
class LosoResult(JsonMixin):
    """Leave-one-setting-out scores per predictor."""

    table: dict[str, dict[str, float]]
    """Predictor -> {mae, auroc, nc_err_steps (median |Δ ln N_c| / ln 2 where both exist),
    nc_defined (settings where both N_c exist), nc_agree (settings where neither crosses the
    same way), n_cells, n_settings}."""
    predictions: pd.DataFrame = field(repr=False)
    """Per cell: setting, width, n_params, seed, gain, and one column per predictor (held-out)."""
    n_settings: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        from ._result import to_jsonable  # noqa: PLC0415

        return to_jsonable({"table": self.table, "n_settings": self.n_settings, "notes": self.notes})


def leave_one_setting_out(
    df: pd.DataFrame, predictors: tuple[str, ...] | None = None, threshold: float = THRESHOLD
) -> LosoResult:
    """Hold out each setting, fit every predictor on the others, predict the held-out cells."""
    names = [p for p in (predictors or tuple(PREDICTORS)) if p in PREDICTORS]
    names = [p for p in names if all(f in df for f in (BASE_FEATURES[:1] if PREDICTORS[p] is None else PREDICTORS[p]))]
    df = df[np.isfinite(df["gain"].to_numpy(float))].reset_index(drop=True)
    settings = list(df["setting"].unique())
    out = df[[c for c in ("setting", "width", "n_params", "seed", "gain") if c in df]].copy()
    notes = []
    if len(settings) < 2:
        notes.append(f"only {len(settings)} setting: nothing to leave out")
    for name in names:
        pred = np.full(len(df), np.nan)
        for s in settings:
            te = (df["setting"] == s).to_numpy()
            model = _fit_named(df[~te], name, threshold)
            pred[te] = model.predict(df[te]) if model.n_fit else np.nan
        out[name] = pred
    obs_nc = setting_N_c(out, "gain", threshold)
    table = {}
    for name in names:
        err = np.abs(out[name].to_numpy(float) - out["gain"].to_numpy(float))
        pred_nc = setting_N_c(out, name, threshold)
        both, agree = [], 0
        for s in settings:
            (no, so), (np_, sp) = obs_nc[s], pred_nc[s]
            if np.isfinite(no) and np.isfinite(np_):
                both.append(abs(np.log(np_) - np.log(no)) / STEP_LN_N)
            elif so and so == sp:
                agree += 1
        table[name] = {
            "mae": float(np.nanmean(err)) if np.isfinite(err).any() else float("nan"),
            "auroc": auroc(out[name], out["gain"] >= threshold),
            "nc_err_steps": float(np.median(both)) if both else float("nan"),
            "nc_defined": len(both),
            "nc_agree": agree,
            "n_cells": int(np.isfinite(out[name]).sum()),
            "n_settings": len(settings),
        }
    return LosoResult(table, out, len(settings), notes)
