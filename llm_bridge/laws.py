"""Candidate gain laws, stated before any was scored: each maps a base-only measurement to an RL gain.

    law = CANDIDATES["mechanistic"]
    coef = law.fit(rows)            # rows: DataFrame with before (base pass@1), gain; optional chance, params_total_B
    law.predict(coef, rows)         # forecast gains (rates, 0.1 = 10 points)

Features (llm_bridge.gain, theory.amplifier): p1 = base pass@1, p = its chance-corrected value,
f = φ(p, G)·(1 − p1) the mechanistic feature (φ = 1 − p^G − (1 − p)^G, the share of groups of G samples
that mix right and wrong answers: only those carry a group-relative signal; 1 − p1 the room left).

| name | law | free parameters |
|---|---|---|
| constant | gain = a | 1 |
| mechanistic | gain = s·f | 1 (the law of llm_bridge.gain: one scale) |
| mechanistic+offset | gain = a + s·f | 2 |
| headroom | gain = s·(1 − p1) | 1 |
| linear | gain = a + b·p | 2 |
| p+phi | gain = a + b·p + c·φ(p, G) | 3 (the law `aha forecast` used before issue 25) |
| lnN | gain = a + b·ln N | 2 (rows with a published parameter count only) |

The mechanistic law is the project's hypothesis for zero-RL from a base (RL amplifies what the base
already samples); the others are the stated alternatives for every starting point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from theory.amplifier import chance_corrected, gain_feature
from theory.credit import phi

G_DEFAULT = 8


def _col(df: pd.DataFrame, name: str, fill: float = 0.0) -> np.ndarray:
    return df[name].to_numpy(float) if name in df else np.full(len(df), fill)


def features(df: pd.DataFrame, G: int = G_DEFAULT) -> dict[str, np.ndarray]:
    """Every feature a candidate uses, one value per row of `df` (columns before; optional chance,
    params_total_B)."""
    p1 = df["before"].to_numpy(float)
    chance = _col(df, "chance")
    p = chance_corrected(p1, chance, 1)
    n = _col(df, "params_total_B", np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lnN = np.where(n > 0, np.log(np.where(n > 0, n, 1.0) * 1e9), np.nan)
    return {
        "p1": p1,
        "p": p,
        "phi": phi(p, G),
        "mech": gain_feature(p1, None, chance, G, "phi"),
        "headroom": 1 - p1,
        "lnN": lnN,
    }


@dataclass(frozen=True)
class Law:
    """A candidate: `columns` are the features of its design matrix, `intercept` whether it has one."""

    name: str
    formula: str
    columns: tuple[str, ...]
    intercept: bool

    def design(self, df: pd.DataFrame, G: int = G_DEFAULT) -> np.ndarray:
        f = features(df, G)
        cols = [np.ones(len(df))] if self.intercept else []
        return np.column_stack(cols + [f[c] for c in self.columns])  # (n, n_coef)

    def usable(self, df: pd.DataFrame, G: int = G_DEFAULT) -> np.ndarray:
        """Rows whose features are all finite (lnN needs a published N)."""
        return np.isfinite(self.design(df, G)).all(axis=1)

    def fit(self, df: pd.DataFrame, G: int = G_DEFAULT) -> np.ndarray:
        """Least-squares coefficients on the usable rows of `df` (column gain)."""
        X, y = self.design(df, G), df["gain"].to_numpy(float)
        ok = np.isfinite(X).all(axis=1) & np.isfinite(y)
        if ok.sum() < X.shape[1] or (self.name == "lnN" and len(np.unique(X[ok, 1])) < 2):
            return np.full(X.shape[1], np.nan)
        return np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]

    def predict(self, coef, df: pd.DataFrame, G: int = G_DEFAULT) -> np.ndarray:
        return self.design(df, G) @ np.asarray(coef, dtype=float)

    def describe(self, coef) -> str:
        """The fitted law in words, e.g. 'gain = 0.412·f'."""
        names = (["1"] if self.intercept else []) + list(self.columns)
        terms = [f"{c:+.3f}" if n == "1" else f"{c:+.3f}·{_SYMBOL[n]}" for c, n in zip(coef, names, strict=True)]
        return "gain = " + " ".join(terms).lstrip("+")


_SYMBOL = {"p": "p", "phi": "φ(p,G)", "mech": "φ(p,G)·(1−p1)", "headroom": "(1−p1)", "lnN": "ln N"}

CANDIDATES: dict[str, Law] = {
    law.name: law
    for law in (
        Law("constant", "gain = a", (), True),
        Law("mechanistic", "gain = s·φ(p,G)·(1 − p1)", ("mech",), False),
        Law("mechanistic+offset", "gain = a + s·φ(p,G)·(1 − p1)", ("mech",), True),
        Law("headroom", "gain = s·(1 − p1)", ("headroom",), False),
        Law("linear", "gain = a + b·p", ("p",), True),
        Law("p+phi", "gain = a + b·p + c·φ(p,G)", ("p", "phi"), True),
        Law("lnN", "gain = a + b·ln N", ("lnN",), True),
    )
}
"""Every candidate, in the order the tables show them."""

PRIMARY: dict[str, str] = {"base": "mechanistic"}
"""The law each starting point's mechanism names (reported first); the others have none."""
