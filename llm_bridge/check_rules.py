"""Check results and the status rules every check applies (shared by `checks` and `checks_large_k`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LARGE_K = 64
G = 8
MIN_GROUPS = 4  # as theory.amplifier.loo_compare: fewer held-out groups cannot judge a model
N_BOOT = 2000
STATUSES = ("holds", "fails", "inconclusive", "not testable")
SIGN_TOL = 0.02  # published numbers are rounded to 0.1-1 point: a rise below 2 points is not a rise
RULES = {
    "LOO": "`holds` when theory's leave-one-group-out MAE is below both baselines' and the 90% bootstrap CIs "
    "of both differences (theory − baseline) lie below 0; `fails` when either CI lies above 0; "
    "otherwise `inconclusive`",
    "sign": f"`holds` when Δ ≤ 0 in every entry; `fails` when some Δ > +{SIGN_TOL} (beyond the rounding of "
    "published numbers); otherwise `inconclusive`; no interval (no standard errors are published)",
    "no-signal": "`holds` when every row without informative groups (φ < 0.05) gains less than 0.02 in "
    "absolute value; `fails` otherwise",
    "rank": "`holds` when the rank correlation ρ of gain with N is above 0 in every family; `fails` when it "
    "is below 0 in every family; otherwise `inconclusive`",
}
"""The status rules, by name (`CheckResult.rule`); `not testable` under any rule when inputs are missing."""


def loo_status(mae: dict[str, float], ci: dict[str, tuple[float, float]]) -> str:
    """The `LOO` rule of `RULES` on the numbers a report prints (MAE per predictor, CI per baseline)."""
    bases = ("constant", "linear_lnN")
    his = [ci[b][1] for b in bases if b in ci and np.isfinite(ci[b][1])]
    los = [ci[b][0] for b in bases if b in ci and np.isfinite(ci[b][0])]
    below = all(np.isfinite(mae.get(b, np.nan)) and mae["theory"] < mae[b] for b in bases)
    if below and len(his) == len(bases) and all(h < 0 for h in his):
        return "holds"
    if any(lo > 0 for lo in los):
        return "fails"
    return "inconclusive"


def sign_status(deltas) -> str:
    """The `sign` rule of `RULES` on the printed Δ values."""
    d = np.asarray(deltas, dtype=float)
    if np.all(d <= 0):
        return "holds"
    return "fails" if np.any(d > SIGN_TOL) else "inconclusive"


@dataclass
class CheckResult:
    hid: str
    prediction: str
    status: str
    detail: str
    missing: str = ""
    mae: dict[str, float] = field(default_factory=dict)
    """Mean absolute LOO error per predictor (rates), over held-out groups."""
    diff_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    """90% bootstrap CI (over groups) of MAE(theory) − MAE(baseline); < 0 means theory is better."""
    rows: list[dict] = field(default_factory=list)
    n_groups: int = 0
    rule: str = "LOO"
    """Which of `RULES` decided `status` (each report states them and prints the numbers each uses)."""
    n_rows: int = 0
    """(group, benchmark) rows the check used."""
    n_sources: int = 0
    """Distinct sources (papers, repositories) of those rows."""

    def __post_init__(self):
        if self.rows and self.n_rows == len(self.rows) and not self.n_sources:  # rows = those behind the verdict
            self.n_sources = len({r.get("source", "") for r in self.rows} - {""})


def _bootstrap_diff(e_a: np.ndarray, e_b: np.ndarray, seed: int = 0) -> tuple[float, float]:
    ok = np.isfinite(e_a) & np.isfinite(e_b)
    d = (e_a - e_b)[ok]
    if d.size < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, (N_BOOT, d.size))].mean(axis=1)
    return (float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95)))
