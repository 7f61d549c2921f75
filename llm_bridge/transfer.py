"""Leave-one-source-out transfer: does the gain forecast carry over to a source it never saw?

    df = gain_rows()                 # published pass@1 before/after rows, one per unique result
    res = leave_one_source_out(df)   # res.per_source (DataFrame), res.overall (dict), res.rows

For each source S: the forecast (llm_bridge.forecast: law and its out-of-source interval) and the
baselines (constant gain, gain linear in ln N) are fitted on every row of every other source and
forecast S's rows. Nothing of S enters its own forecast: not the coefficients, not the interval's
residuals (those come from leaving each *training* source out in turn), not the baselines.

Scored per source and overall: MAE of each predictor (rates; 0.1 = 10 points), Spearman's rank
correlation of forecast and observed gain (within a source when it has ≥ 3 rows with distinct
values; overall over every held-out row), and coverage: the share of observed gains inside the
stated-level interval (aim: the level). The overall MAE difference forecast − constant gets a
90% bootstrap interval over sources (sources resampled, their rows kept together).
Optionally a fixed law (`fixed`, e.g. the toy-grid law of llm_bridge.scale_free) is scored on the
same rows beside them without any fitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .forecast import G_DEFAULT, LEVEL, fit_baselines, fit_forecast
from .published import K1_PRIORITY, gain_table

N_BOOT = 2000
MIN_RANK_ROWS = 3
MARGIN = 0.05
"""The margin of the probability check: P(gain ≥ 5 points), scored by its Brier score."""


def _k1_rank(metric: str) -> int:
    for i, prefix in enumerate(K1_PRIORITY):
        if metric == prefix or metric.startswith(prefix):
            return i
    return len(K1_PRIORITY)


def gain_rows(table=None) -> pd.DataFrame:
    """pass@1 rows (k = 1) of `published.gain_table()` as a DataFrame with a `gain` column; where one
    (model group, benchmark) reports several k = 1 metrics, the first of K1_PRIORITY is kept, so each
    result counts once."""
    t = (gain_table() if table is None else table).to_dataframe().reset_index()
    t = t[t["k"] == 1].copy()
    t["rank"] = [_k1_rank(str(m)) for m in t["metric"]]
    t = t.sort_values(["group", "benchmark", "rank"]).drop_duplicates(["group", "benchmark"]).drop(columns="rank")
    t["gain"] = t["after"] - t["before"]
    return t.reset_index(drop=True)


def coverage(lo, hi, y) -> float:
    """Share of finite `y` inside [lo, hi] (ends included); NaN when none can be judged."""
    lo, hi, y = (np.asarray(a, dtype=float) for a in (lo, hi, y))
    ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(y)
    return float(np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok]))) if ok.any() else float("nan")


def rank_corr(pred, y) -> float:
    """Spearman's ρ; NaN with fewer than MIN_RANK_ROWS finite pairs or no spread on either side."""
    p, y = np.asarray(pred, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(p) & np.isfinite(y)
    if ok.sum() < MIN_RANK_ROWS or np.ptp(p[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(spearmanr(p[ok], y[ok]).statistic)


def _brier(prob, event) -> float:
    """Mean squared error of a probability against the 0/1 event (0 is perfect; 0.25 is a coin)."""
    p, e = np.asarray(prob, dtype=float), np.asarray(event, dtype=float)
    ok = np.isfinite(p)
    return float(np.mean((p[ok] - e[ok]) ** 2)) if ok.any() else float("nan")


def _mae(pred, y) -> float:
    e = np.abs(np.asarray(pred, dtype=float) - np.asarray(y, dtype=float))
    return float(np.nanmean(e)) if np.isfinite(e).any() else float("nan")


@dataclass
class TransferResult:
    """Leave-one-source-out scores; `rows` holds every held-out row with each predictor's forecast."""

    per_source: pd.DataFrame
    """One row per source: n_rows, mae_forecast, mae_constant, mae_lnN (NaN where N unknown),
    mae_fixed, rho_forecast, rho_fixed, coverage, coverage_fixed, n_lnN, brier (of P(gain ≥ margin))
    and brier_base (of the training sources' share of gains ≥ margin)."""
    overall: dict
    rows: pd.DataFrame = field(repr=False)
    level: float = LEVEL
    margin: float = MARGIN


def leave_one_source_out(
    df: pd.DataFrame, G: int = G_DEFAULT, level: float = LEVEL, fixed=None, seed: int = 0, margin: float = MARGIN
) -> TransferResult:
    """Hold out each source in turn; fit on the others; forecast the held-out rows (see module doc).

    `df` needs columns source, before, gain (optional chance, params_total_B); `fixed`, if given, is
    a `forecast.GainForecast` scored as is (no fitting), its interval from its own residuals."""
    df = df[np.isfinite(df["gain"].to_numpy(float)) & np.isfinite(df["before"].to_numpy(float))]
    df = df.reset_index(drop=True)
    sources = list(dict.fromkeys(df["source"]))
    if len(sources) < 2:
        raise ValueError(f"leave-one-source-out needs rows from >= 2 sources; got {len(sources)}")
    chance = df["chance"].to_numpy(float) if "chance" in df else np.zeros(len(df))
    names = ("forecast", "lo", "hi", "constant", "lnN", "fixed", "fixed_lo", "fixed_hi", "prob", "prob_base")
    cols = {c: np.full(len(df), np.nan) for c in names}
    for s in sources:
        te = (df["source"] == s).to_numpy()
        train = df[~te]
        fc = fit_forecast(train, G, level)
        pr = fc.predict(df["before"].to_numpy(float)[te], chance[te])
        base = fit_baselines(train)
        cols["forecast"][te], cols["lo"][te], cols["hi"][te] = pr.mean, pr.lo, pr.hi
        cols["constant"][te] = base.constant
        cols["prob"][te] = fc.prob_at_least(df["before"].to_numpy(float)[te], margin, chance[te])
        cols["prob_base"][te] = float(np.mean(train["gain"].to_numpy(float) >= margin))
        if "params_total_B" in df:
            cols["lnN"][te] = base.predict_lnN(df["params_total_B"].to_numpy(float)[te])
        if fixed is not None:
            fp = fixed.predict(df["before"].to_numpy(float)[te], chance[te])
            cols["fixed"][te], cols["fixed_lo"][te], cols["fixed_hi"][te] = fp.mean, fp.lo, fp.hi
    rows = df.assign(**cols)
    per = []
    for s in sources:
        r = rows[rows["source"] == s]
        per.append({"source": s, "n_rows": len(r), **_scores(r, margin)})
    per_source = pd.DataFrame(per)
    overall = {
        "n_rows": len(rows),
        "n_sources": len(sources),
        **_scores(rows, margin),
        "diff_ci_constant": _boot_diff(rows, "forecast", "constant", seed),
        "diff_ci_lnN": _boot_diff(rows, "forecast", "lnN", seed),
        "diff_ci_fixed_constant": _boot_diff(rows, "fixed", "constant", seed),
    }
    overall["mae_forecast_on_lnN_rows"] = _mae(
        rows["forecast"][np.isfinite(rows["lnN"])], rows["gain"][np.isfinite(rows["lnN"])]
    )
    return TransferResult(per_source, overall, rows, level, margin)


COMPARE_RULE = (
    "`better` when the 90% interval over sources of MAE(forecast) − MAE(baseline) lies below 0, "
    "`worse` when it lies above 0, otherwise `not distinguishable`"
)


def compare_word(ci: tuple[float, float]) -> str:
    """COMPARE_RULE on a difference interval (NaN: `not testable`)."""
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not testable"
    return "better" if hi < 0 else "worse" if lo > 0 else "not distinguishable"


def _scores(r: pd.DataFrame, margin: float = MARGIN) -> dict:
    y = r["gain"].to_numpy(float)
    return {
        "mae_forecast": _mae(r["forecast"], y),
        "mae_constant": _mae(r["constant"], y),
        "mae_lnN": _mae(r["lnN"], y),
        "n_lnN": int(np.isfinite(r["lnN"]).sum()),
        "mae_fixed": _mae(r["fixed"], y),
        "rho_forecast": rank_corr(r["forecast"], y),
        "rho_fixed": rank_corr(r["fixed"], y),
        "coverage": coverage(r["lo"], r["hi"], y),
        "coverage_fixed": coverage(r["fixed_lo"], r["fixed_hi"], y),
        "brier": _brier(r["prob"], y >= margin),
        "brier_base": _brier(r["prob_base"], y >= margin),
    }


def _boot_diff(rows: pd.DataFrame, a: str, b: str, seed: int) -> tuple[float, float]:
    """90% bootstrap interval over sources of MAE(a) − MAE(b), on rows where both are finite."""
    ok = np.isfinite(rows[a]) & np.isfinite(rows[b])
    r = rows[ok]
    if r["source"].nunique() < 2:
        return (float("nan"), float("nan"))
    d = (np.abs(r[a] - r["gain"]) - np.abs(r[b] - r["gain"])).groupby(r["source"]).agg(["sum", "count"])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d), (N_BOOT, len(d)))
    means = d["sum"].to_numpy()[idx].sum(1) / d["count"].to_numpy()[idx].sum(1)
    return (float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95)))
