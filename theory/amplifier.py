"""RL as an amplifier (H2, H5): coverage, the pass@k crossover, and a gain model from base-only data.

Gain model (one fitted scale s, chosen before looking at any real-LLM data):

- ``phi``:      gain ≈ s · φ(p_sig, G) · (1 − p1)   with p_sig the chance-corrected base pass@1
- ``coverage``: gain ≈ s · c_k · (1 − p1)          with c_k the chance-corrected base pass@k (large k)

Lucky guesses are coverage of nothing: c = (pass@k − g_k) / (1 − g_k), g_k = 1 − (1 − chance)^k,
clipped to [0, 1]. Parameters serialise to JSON (``GainParams.to_json`` / ``GainParams.from_json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.stats import norm

from ._result import JsonMixin
from .credit import phi

__all__ = [
    "chance_corrected",
    "crossover",
    "gain_feature",
    "GainParams",
    "GainPrediction",
    "fit_gain_model",
    "predict_gain",
    "LOOResult",
    "loo_compare",
]


def chance_corrected(pass_at_k, chance, k):
    """(pass@k − g_k) / (1 − g_k) clipped to [0, 1], g_k = 1 − (1 − chance)^k; broadcasts (numpy/xarray)."""
    g = 1 - (1 - chance) ** k
    out = (pass_at_k - g) / np.maximum(1 - g, 1e-12)
    return out.clip(0, 1) if isinstance(out, xr.DataArray) else np.clip(out, 0, 1)


def _crossover_1d(diff: np.ndarray, k: np.ndarray) -> float:
    """First k where rl − base turns from > 0 to <= 0, interpolated in log2 k; NaN when none."""
    for i in range(1, len(k)):
        if diff[i - 1] > 0 >= diff[i]:
            lk = np.log2(k[i - 1]) + diff[i - 1] / (diff[i - 1] - diff[i]) * (np.log2(k[i]) - np.log2(k[i - 1]))
            return float(2.0**lk)
    return float("nan")


def crossover(base: xr.DataArray, rl: xr.DataArray, k_dim: str = "k") -> xr.Dataset:
    """Per cell: ``k_star`` (base overtakes RL) and ``expanded`` (RL's pass@k_max > base's)."""
    diff = (rl - base).sortby(k_dim)
    k = diff[k_dim].values.astype(float)
    k_star = xr.apply_ufunc(_crossover_1d, diff, kwargs={"k": k}, input_core_dims=[[k_dim]], vectorize=True)
    kmax = diff[k_dim].max()
    return xr.Dataset({"k_star": k_star, "expanded": diff.sel({k_dim: kmax}) > 0})


def gain_feature(base_pass1, base_pass_at_k=None, chance=0.0, G: int = 8, kind: str = "phi", k: float = 64):
    """The base-only predictor f that the gain model scales (numpy arrays)."""
    p1 = np.asarray(base_pass1, dtype=float)
    headroom = 1 - p1
    if kind == "phi":
        return phi(chance_corrected(p1, chance, 1), G) * headroom
    if kind == "coverage":
        if base_pass_at_k is None:
            raise ValueError("gain_feature: kind='coverage' needs base_pass_at_k")
        return chance_corrected(np.asarray(base_pass_at_k, dtype=float), chance, k) * headroom
    raise ValueError(f"gain_feature: kind must be 'phi' or 'coverage', got {kind!r}")


@dataclass
class GainParams(JsonMixin):
    """Fitted gain model: gain = scale · feature + noise(resid_sd)."""

    kind: str
    """``phi`` or ``coverage`` (module docstring)."""
    scale: float
    scale_se: float
    resid_sd: float
    G: int
    k: float
    """k of the coverage feature."""
    n_fit: int
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> GainParams:
        return cls(**json.loads(text))


@dataclass
class GainPrediction(JsonMixin):
    """Predicted RL gain with a prediction interval (``level``); lo/hi NaN when uncalibrated."""

    mean: np.ndarray | float
    lo: np.ndarray | float
    hi: np.ndarray | float
    level: float
    calibrated: bool


def fit_gain_model(
    base_pass1, gain, base_pass_at_k=None, chance=0.0, G: int = 8, kind: str = "phi", k: float = 64
) -> GainParams:
    """Least-squares scale through the origin: s = Σ f·y / Σ f²."""
    f = np.ravel(gain_feature(base_pass1, base_pass_at_k, chance, G, kind, k))
    y = np.ravel(np.asarray(gain, dtype=float))
    ok = np.isfinite(f) & np.isfinite(y)
    f, y = f[ok], y[ok]
    notes = []
    ff = float(np.sum(f**2))
    if ff <= 0:
        return GainParams(
            kind,
            float("nan"),
            float("nan"),
            float("nan"),
            G,
            k,
            int(len(y)),
            ["feature is zero everywhere: scale not identifiable"],
        )
    s = float(np.sum(f * y) / ff)
    dof = max(len(y) - 1, 1)
    sd = float(np.sqrt(np.sum((y - s * f) ** 2) / dof))
    if len(y) < 5:
        notes.append(f"fitted on only {len(y)} points")
    return GainParams(kind, s, sd / np.sqrt(ff), sd, G, k, int(len(y)), notes)


def predict_gain(
    base_pass1,
    base_pass_at_k=None,
    chance=0.0,
    G: int | None = None,
    params: GainParams | None = None,
    level: float = 0.9,
) -> GainPrediction:
    """Predicted gain (mean, lo, hi) from base-only measurements.

    Without ``params`` the scale is 1 (an uncalibrated amplifier) and lo/hi are NaN.
    """
    p1 = np.asarray(base_pass1, dtype=float)
    if params is None:
        f = gain_feature(p1, base_pass_at_k, chance, G or 8, "phi")
        nan = np.full_like(f, np.nan)
        return GainPrediction(_out(f), _out(nan), _out(nan), level, False)
    f = gain_feature(p1, base_pass_at_k, chance, G or params.G, params.kind, params.k)
    mean = params.scale * f
    half = norm.ppf(0.5 + level / 2) * np.sqrt((f * params.scale_se) ** 2 + params.resid_sd**2)
    lo, hi = np.maximum(mean - half, -p1), np.minimum(mean + half, 1 - p1)  # gain stays feasible
    return GainPrediction(_out(mean), _out(lo), _out(hi), level, True)


def _out(a):
    a = np.asarray(a, dtype=float)
    return float(a) if a.ndim == 0 else a


@dataclass
class LOOResult(JsonMixin):
    """Leave-one-group-out prediction error of the gain model against size-based baselines."""

    rmse: dict[str, float]
    """Per model: ``gain_model``, ``constant``, ``linear_lnN``."""
    n_groups: int
    frac_groups_better_than_linear: float
    verdict: str


def loo_compare(
    base_pass1,
    gain,
    n_params,
    groups,
    base_pass_at_k=None,
    chance=0.0,
    G: int = 8,
    kind: str = "phi",
    k: float = 64,
) -> LOOResult:
    """Hold out each group (a size/setting with all its seeds), fit on the rest, predict it.

    ``chance`` is one value or one per cell (e.g. per horizon), broadcast like ``base_pass1``."""
    p1, y, n, grp = (np.ravel(np.asarray(a, dtype=float)) for a in (base_pass1, gain, n_params, groups))
    pk = None if base_pass_at_k is None else np.ravel(np.asarray(base_pass_at_k, dtype=float))
    ch = np.ravel(np.broadcast_to(np.asarray(chance, dtype=float), np.shape(base_pass1)))  # per cell
    ok = np.isfinite(p1) & np.isfinite(y) & np.isfinite(n)
    p1, y, n, grp, ch = p1[ok], y[ok], n[ok], grp[ok], ch[ok]
    pk = None if pk is None else pk[ok]
    err = {"gain_model": [], "constant": [], "linear_lnN": []}
    uniq = np.unique(grp)
    for g in uniq:
        tr, te = grp != g, grp == g
        params = fit_gain_model(p1[tr], y[tr], None if pk is None else pk[tr], ch[tr], G, kind, k)
        pred = predict_gain(p1[te], None if pk is None else pk[te], ch[te], G, params).mean
        err["gain_model"].append(np.mean((np.asarray(pred) - y[te]) ** 2))
        err["constant"].append(np.mean((y[tr].mean() - y[te]) ** 2))
        if len(np.unique(n[tr])) >= 2:
            c = np.polyfit(np.log(n[tr]), y[tr], 1)
            err["linear_lnN"].append(np.mean((np.polyval(c, np.log(n[te])) - y[te]) ** 2))
        else:
            err["linear_lnN"].append(np.nan)
    rmse = {m: float(np.sqrt(np.nanmean(e))) for m, e in err.items()}
    better = float(np.nanmean(np.array(err["gain_model"]) < np.array(err["linear_lnN"])))
    if len(uniq) < 4:
        verdict = f"undetermined: only {len(uniq)} groups to leave out"
    elif rmse["gain_model"] < min(rmse["constant"], rmse["linear_lnN"]):
        verdict = "base-only model predicts gain better than size"
    else:
        verdict = "base-only model does not beat size-based baselines"
    return LOOResult(rmse, int(len(uniq)), better, verdict)
