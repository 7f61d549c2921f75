"""Threshold predictor (H4): from per-step accuracy q(N) of base models and the RL budget, predict
the gain curve and N_c(L) before running RL.

Mean-field model (expected-gradient flow of ``credit``'s chain, GRPO, sparse reward): each step's
correct logit z moves by ``lr`` · E[g] = lr · (G−1)/G · (1 − chance) · q^L · (1 − q) per update,
for ``n_updates`` updates; q = sigmoid(z). The predicted trace gain is q_T^L − q_0^L. ``lr`` is the
one free scale (logit units per update); it must be set once, not tuned per hypothesis.
Prompts per update do not change the mean drift; they enter the waiting time for the first signal.
N_c is where the predicted gain reaches half its maximum over the supplied range of N.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ._result import JsonMixin
from .credit import first_signal_updates, gradient_moments

__all__ = [
    "ThresholdPrediction",
    "mean_field_gain",
    "predict_threshold",
    "PredictionTable",
    "compare_prediction",
]


def mean_field_gain(q0, L: int, G: int, n_updates: int, lr: float = 1.0, chance: float = 0.0) -> np.ndarray:
    """Final trace accuracy q_T^L minus q_0^L under the expected-gradient flow; broadcasts over q0."""
    q = np.clip(np.asarray(q0, dtype=float), 1e-9, 1 - 1e-9)
    z = np.log(q / (1 - q))
    for _ in range(n_updates):
        qt = 1 / (1 + np.exp(-z))
        z = z + lr * gradient_moments(qt, L, G, "sparse", "grpo", chance)[0]  # E[g] w.r.t. z
    return (1 / (1 + np.exp(-z))) ** L - q**L


@dataclass
class ThresholdPrediction(JsonMixin):
    """Predicted gain per size and the predicted threshold."""

    L: int
    n_params: list[float]
    q: list[float]
    p0: list[float]
    gain: list[float]
    first_signal_updates: list[float]
    N_c: float
    budget: dict[str, float]
    notes: list[str] = field(default_factory=list)


def predict_threshold(
    q,
    n_params=None,
    *,
    L: int,
    n_updates: int,
    G: int,
    prompts_per_update: int = 1,
    lr: float = 1.0,
    chance: float = 0.0,
) -> ThresholdPrediction:
    """``q``: per-step accuracy over sizes (DataArray with coord ``n_params``, other dims averaged;
    or an array with ``n_params`` given)."""
    if isinstance(q, xr.DataArray):
        other = [d for d in q.dims if d not in q["n_params"].dims]
        qm = q.mean(other) if other else q
        n = np.ravel(qm["n_params"].values).astype(float)
        qv = np.ravel(qm.values).astype(float)
    else:
        if n_params is None:
            raise ValueError("predict_threshold: n_params is required when q is not a DataArray")
        n, qv = np.ravel(np.asarray(n_params, float)), np.ravel(np.asarray(q, float))
    order = np.argsort(n)
    n, qv = n[order], qv[order]
    gain = mean_field_gain(qv, L, G, n_updates, lr, chance)
    wait = first_signal_updates(qv**L, G, prompts_per_update)
    notes = []
    # Dense curve: q interpolated in logit space over ln N.
    lnN = np.linspace(np.log(n[0]), np.log(n[-1]), 200)
    qc = np.clip(qv, 1e-9, 1 - 1e-9)
    q_dense = 1 / (1 + np.exp(-np.interp(lnN, np.log(n), np.log(qc / (1 - qc)))))
    g_dense = mean_field_gain(q_dense, L, G, n_updates, lr, chance)
    half = 0.5 * g_dense.max()
    above = np.flatnonzero(g_dense >= half)
    N_c = float("nan")
    if g_dense.max() < 0.02:
        notes.append("predicted gain < 0.02 everywhere: no threshold inside the range")
    elif above[0] == 0:
        notes.append("predicted gain already at half its maximum at the smallest size: N_c below the range")
    else:
        i = above[0]
        t = (half - g_dense[i - 1]) / (g_dense[i] - g_dense[i - 1])
        N_c = float(np.exp(lnN[i - 1] + t * (lnN[i] - lnN[i - 1])))
    return ThresholdPrediction(
        L,
        n.tolist(),
        qv.tolist(),
        (qv**L).tolist(),
        np.asarray(gain).tolist(),
        np.asarray(wait).tolist(),
        N_c,
        {
            "n_updates": n_updates,
            "G": G,
            "prompts_per_update": prompts_per_update,
            "lr": lr,
            "chance": chance,
        },
        notes,
    )


@dataclass
class PredictionTable(JsonMixin):
    """Prediction vs observation per size."""

    rows: list[dict[str, float]]
    rmse: float
    corr: float
    N_c_predicted: float
    N_c_observed: float | None


def compare_prediction(
    pred: ThresholdPrediction, observed_gain: xr.DataArray, N_c_observed: float | None = None
) -> PredictionTable:
    """Observed gain (coord ``n_params``; seeds etc. averaged per size) against the prediction."""
    n_obs = observed_gain["n_params"].broadcast_like(observed_gain).values.ravel()
    y = observed_gain.values.ravel()
    rows = []
    for n, g in zip(pred.n_params, pred.gain, strict=True):
        sel = np.isclose(n_obs, n) & np.isfinite(y)
        m = int(sel.sum())
        rows.append(
            {
                "n_params": float(n),
                "predicted": float(g),
                "observed": float(y[sel].mean()) if m else float("nan"),
                "observed_se": float(y[sel].std(ddof=1) / np.sqrt(m)) if m > 1 else float("nan"),
                "n_cells": m,
            }
        )
    p = np.array([r["predicted"] for r in rows])
    o = np.array([r["observed"] for r in rows])
    ok = np.isfinite(o)
    rmse = float(np.sqrt(np.mean((p[ok] - o[ok]) ** 2))) if ok.any() else float("nan")
    corr = float(np.corrcoef(p[ok], o[ok])[0, 1]) if ok.sum() > 2 and np.std(p[ok]) > 0 else float("nan")
    return PredictionTable(rows, rmse, corr, pred.N_c, N_c_observed)
