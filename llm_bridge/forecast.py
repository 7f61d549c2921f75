"""The pooled gain law in capability units: base pass@1 -> RL gain in pass@1, with an honest interval.

`aha forecast` no longer pools starting points: it uses llm_bridge.by_start (a law per starting point,
judged by leave-one-checkpoint-group-out). This pooled law stays as the `p+phi` candidate there and as
bridge.md's pooled leave-one-source-out check (llm_bridge.transfer); `recommend` words every forecast.

    fc = fit_forecast(table)                  # table: DataFrame with columns source, before, gain
    fc.predict([0.3])                         # -> Prediction(mean, lo, hi, level)
    fc.prob_at_least([0.3], margin=0.05)      # P(gain >= margin)

The law (fixed before looking at the transfer results): gain ≈ a + b·p + c·φ(p, G), least squares,
with p the chance-corrected base pass@1, (p1 − chance) / (1 − chance) clipped at 0, and
φ(p, G) = 1 − p^G − (1 − p)^G the informative-group fraction at group size G = 8 (theory.credit).
No parameter count enters.

The interval is split-conformal *by source*: each training source is left out in turn, the law is
refitted on the others and the held-out source's residuals (observed − forecast) are kept. Those
out-of-source residuals are the forecast's error distribution: the interval is forecast + their
(1 − level)/2 and (1 + level)/2 quantiles, and P(gain ≥ margin) is the share of them that would
put the gain at or above the margin. Residuals inside a source are correlated (one recipe, one
evaluation setup), so in-sample residuals would understate the error on a new source; the
out-of-source ones do not, as far as the published sources are representative of the next one.

Baselines, fitted on the same rows: `constant` (mean gain) and `ln N` (gain linear in ln of the
total parameter count, rows with a known count only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from theory.amplifier import chance_corrected
from theory.credit import phi

G_DEFAULT = 8
LEVEL = 0.9
FEATURES = ("p_sig", "phi_sig")
MIN_SOURCES = 3  # fewer training sources give too few out-of-source residuals for an interval


def capability(p1, chance=0.0, G: int = G_DEFAULT) -> pd.DataFrame:
    """Feature columns of the law: chance-corrected pass@1 `p_sig` and φ(p_sig, G) `phi_sig`."""
    p1 = np.atleast_1d(np.asarray(p1, dtype=float))
    p = chance_corrected(p1, np.broadcast_to(np.asarray(chance, dtype=float), p1.shape), 1)
    return pd.DataFrame({"p_sig": p, "phi_sig": phi(p, G)})


def lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares with an intercept: coefficients (intercept first); X (n, f), y (n,)."""
    A = np.column_stack([np.ones(len(y)), X])
    return np.linalg.lstsq(A, y, rcond=None)[0]


@dataclass
class Prediction:
    """Forecast gains (rates, 0.1 = 10 points) with a `level` interval [lo, hi] per row."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    level: float


@dataclass
class GainForecast:
    """gain ≈ coef[0] + coef[1]·p_sig + coef[2]·φ(p_sig, G), with out-of-source residuals."""

    coef: list[float]
    residuals: np.ndarray = field(repr=False)
    """Out-of-source residuals (observed − forecast) of the training rows; empty: no interval."""
    G: int = G_DEFAULT
    level: float = LEVEL
    n_rows: int = 0
    n_sources: int = 0
    fitted_on: str = "published"

    def point(self, p1, chance=0.0) -> np.ndarray:
        X = capability(p1, chance, self.G)[list(FEATURES)].to_numpy(float)
        return self.coef[0] + X @ np.asarray(self.coef[1:])

    def predict(self, p1, chance=0.0) -> Prediction:
        m = self.point(p1, chance)
        if self.residuals.size == 0:
            nan = np.full_like(m, np.nan)
            return Prediction(m, nan, nan.copy(), self.level)
        q = np.quantile(self.residuals, [(1 - self.level) / 2, (1 + self.level) / 2])
        return Prediction(m, m + q[0], m + q[1], self.level)

    def prob_at_least(self, p1, margin: float, chance=0.0) -> np.ndarray:
        """P(gain ≥ margin): share of out-of-source residuals that put the gain at or above margin."""
        m = self.point(p1, chance)
        if self.residuals.size == 0:
            return np.full_like(m, np.nan)
        return (m[:, None] + self.residuals[None, :] >= margin).mean(axis=1)

    def to_dict(self) -> dict:
        q = np.quantile(self.residuals, [(1 - self.level) / 2, (1 + self.level) / 2]) if self.residuals.size else []
        return {
            "law": "gain = a + b·p_sig + c·φ(p_sig, G)",
            "coef": [float(c) for c in self.coef],
            "G": self.G,
            "level": self.level,
            "residual_quantiles": [float(x) for x in q],
            "n_rows": self.n_rows,
            "n_sources": self.n_sources,
            "fitted_on": self.fitted_on,
        }


def _chance(df: pd.DataFrame) -> np.ndarray:
    return df["chance"].to_numpy(float) if "chance" in df else np.zeros(len(df))


def fit_coef(df: pd.DataFrame, G: int = G_DEFAULT) -> np.ndarray:
    """Least-squares coefficients of the law on rows of `df` (columns before, gain; optional chance)."""
    X = capability(df["before"].to_numpy(float), _chance(df), G)[list(FEATURES)].to_numpy(float)
    return lstsq(X, df["gain"].to_numpy(float))


def fit_forecast(df: pd.DataFrame, G: int = G_DEFAULT, level: float = LEVEL) -> GainForecast:
    """Fit the law on every row of `df` (columns source, before, gain; optional chance); the interval
    comes from leaving each of its sources out in turn (none when it has < MIN_SOURCES sources)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    sources = list(dict.fromkeys(df["source"]))
    res = []
    if len(sources) >= MIN_SOURCES:
        for s in sources:
            te = (df["source"] == s).to_numpy()
            inner = GainForecast(list(fit_coef(df[~te], G)), np.empty(0), G, level)
            res.append(df["gain"].to_numpy(float)[te] - inner.point(df["before"].to_numpy(float)[te], _chance(df)[te]))
    r = np.concatenate(res) if res else np.empty(0)
    return GainForecast([float(x) for x in fit_coef(df, G)], r, G, level, len(df), len(sources))


@dataclass
class Baselines:
    """constant: mean training gain; ln N: gain linear in ln(total params), where N is known."""

    constant: float
    lnN: tuple[float, float] | None
    """(slope, intercept) of gain on ln N, or None when fewer than 2 distinct sizes are known."""

    def predict_lnN(self, params_B) -> np.ndarray:
        n = np.atleast_1d(np.asarray(params_B, dtype=float))
        if self.lnN is None:
            return np.full(n.shape, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, np.polyval(self.lnN, np.log(np.where(n > 0, n, 1.0) * 1e9)), np.nan)


def fit_baselines(df: pd.DataFrame) -> Baselines:
    y = df["gain"].to_numpy(float)
    n = df["params_total_B"].to_numpy(float) if "params_total_B" in df else np.full(len(df), np.nan)
    ok = np.isfinite(n) & (n > 0)
    lin = tuple(np.polyfit(np.log(n[ok] * 1e9), y[ok], 1)) if len(np.unique(n[ok])) >= 2 else None
    return Baselines(float(y.mean()), lin)


RECOMMEND_RULES = (
    "pass@1 not above the task's chance level (> 0): `at chance`; else φ < 0.05 at G: `no signal`; "
    "else P(gain ≥ margin) ≥ 0.7: `likely`; ≥ 0.3: `uncertain`; else `unlikely` "
    "(fixed before any forecast was made)"
)


def recommend(
    informative: float,
    prob: float,
    mean: float,
    lo: float,
    hi: float,
    margin: float,
    G: int,
    pass1: float = float("nan"),
    chance: float = 0.0,
) -> str:
    """One line in words, by RECOMMEND_RULES."""
    pts = lambda x: f"{100 * x:+.1f}"  # noqa: E731
    if chance > 0 and np.isfinite(pass1) and pass1 <= chance:
        return (
            f"Do not start RL as it is: base pass@1 {pass1:.3f} is not above the chance level {chance:.3f}, so the "
            "rewards it earns are lucky guesses and RL would reinforce them; get the base above chance first."
        )
    band = f"forecast {pts(mean)} points, {pts(lo)} to {pts(hi)}" if np.isfinite(lo) else f"forecast {pts(mean)} points"
    if np.isfinite(informative) and informative < 0.05:
        return (
            f"Do not start RL as it is: only {100 * informative:.1f}% of groups of {G} samples mix right and "
            "wrong answers, so a group-relative update has almost no signal; make the task easier, raise G, "
            "or fine-tune first."
        )
    if not np.isfinite(prob):
        return f"No interval (too few calibration sources): {band}; treat it as a guess."
    head = (
        "RL is likely to pay"
        if prob >= 0.7
        else "Uncertain; run a short RL pilot before committing GPUs"
        if prob >= 0.3
        else "RL is unlikely to pay"
    )
    return f"{head}: {band}, P(gain ≥ {100 * margin:.0f} points) = {prob:.2f}."
