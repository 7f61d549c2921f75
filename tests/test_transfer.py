"""Leave-one-source-out transfer (llm_bridge.transfer): no leakage, coverage with a known answer,
the forecast law learning a real dependence, the toy-grid law untouched by real data, bridge.md's lead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from llm_bridge.forecast import fit_forecast
from llm_bridge.transfer import coverage, gain_rows, leave_one_source_out

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n_sources=12, per=8, noise=0.04, source_sd=0.0, seed=0) -> pd.DataFrame:
    """gain = 0.02 − 0.1·p + 0.25·φ(p, 8) + noise (+ a per-source offset), p ~ U(0, 0.9); N known."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sources):
        off = rng.normal(0, source_sd) if source_sd else 0.0
        for _ in range(per):
            p = rng.uniform(0, 0.9)
            g = 0.02 - 0.1 * p + 0.25 * (1 - p**8 - (1 - p) ** 8) + off + rng.normal(0, noise)
            rows.append({"source": f"s{s}", "before": p, "gain": g, "params_total_B": float(rng.choice([1.5, 7, 32]))})
    return pd.DataFrame(rows)


def test_coverage_counts_the_share_inside_the_interval():
    lo, hi = np.zeros(5), np.ones(5)
    y = np.array([0.5, 1.0, 0.0, 1.5, np.nan])  # ends count as inside; NaN is not judged
    assert coverage(lo, hi, y) == pytest.approx(3 / 4)
    assert np.isnan(coverage(lo, hi, [np.nan] * 5))


def test_held_out_source_never_calibrates_its_own_forecast():
    df = synthetic()
    base = leave_one_source_out(df).rows
    moved = df.copy()
    s3 = moved["source"] == "s3"
    moved.loc[s3, "gain"] += np.linspace(0.3, 0.9, s3.sum())  # only s3's observed gains change
    after = leave_one_source_out(moved).rows
    cols = ["forecast", "lo", "hi", "constant", "lnN"]
    np.testing.assert_array_equal(after.loc[s3, cols].to_numpy(), base.loc[s3, cols].to_numpy())
    # every other source was calibrated on s3 and moves: the test would see a leak if there were one
    for c in cols:
        assert not np.allclose(after.loc[~s3, c].to_numpy(), base.loc[~s3, c].to_numpy()), c


def test_interval_coverage_reaches_the_stated_level_when_rows_are_exchangeable():
    res = leave_one_source_out(synthetic(n_sources=20, per=10, seed=1), level=0.8)
    assert 0.72 <= res.overall["coverage"] <= 0.88
    assert res.overall["mae_forecast"] < 0.8 * res.overall["mae_constant"]  # the law learned the p-dependence
    assert res.overall["rho_forecast"] > 0.5
    assert res.overall["brier"] < res.overall["brier_base"]  # P(gain ≥ 5 points) knows more than the base rate
    np.testing.assert_allclose(
        fit_forecast(synthetic(n_sources=20, per=10, seed=1)).coef, [0.02, -0.1, 0.25], atol=0.03
    )  # the known law is recovered


def test_by_source_interval_widens_for_source_effects_where_in_sample_residuals_would_not():
    df = synthetic(n_sources=20, per=10, noise=0.02, source_sd=0.08, seed=2)
    res = leave_one_source_out(df, level=0.8)
    assert res.overall["coverage"] >= 0.7
    fc = fit_forecast(df, level=0.8)
    p = df["before"].to_numpy()
    in_sample = df["gain"].to_numpy() - fc.point(p)
    q = np.quantile(in_sample, [0.1, 0.9])
    assert np.diff(np.quantile(fc.residuals, [0.1, 0.9]))[0] >= np.diff(q)[0]  # out-of-source spread is wider


def test_probability_of_margin_follows_the_residuals():
    df = synthetic(seed=3)
    fc = fit_forecast(df)
    m = fc.point([0.4])[0]
    assert fc.prob_at_least([0.4], m - 1.0)[0] == 1.0 and fc.prob_at_least([0.4], m + 1.0)[0] == 0.0
    assert fc.prob_at_least([0.4], m + np.median(fc.residuals))[0] == pytest.approx(0.5, abs=0.05)
    with pytest.raises(ValueError, match="level must lie in"):
        fit_forecast(df, level=1.5)


def test_gain_rows_count_each_pass1_result_once():
    strings = {
        "source": ["A"] * 4,
        "group": ["g"] * 4,
        "benchmark": ["MATH", "MATH", "AIME", "MATH"],
        "metric": ["avg@16", "pass@1", "pass@1", "pass@256"],
    }
    t = xr.Dataset(
        {
            "before": ("result", [0.2, 0.25, 0.5, 0.3]),
            "after": ("result", [0.3, 0.35, 0.6, 0.3]),
            "k": ("result", [1, 1, 1, 256]),
            "params_total_B": ("result", [7.0] * 4),
            **{v: ("result", np.array(x, dtype=object)) for v, x in strings.items()},
        },
        coords={"result": np.arange(4)},
    )
    df = gain_rows(t)
    assert len(df) == 2 and set(df["metric"]) == {"pass@1"}  # pass@1 preferred over avg@16; k = 256 left out
    assert df.set_index("benchmark").loc["MATH", "gain"] == pytest.approx(0.1)


def test_toy_law_takes_nothing_from_real_rows():
    from llm_bridge.scale_free import fit_toy_law

    cells = ROOT / "docs" / "study" / "cells.csv"
    law = fit_toy_law(cells)
    df = synthetic()
    a = leave_one_source_out(df, fixed=law).rows["fixed"]
    b = leave_one_source_out(df.assign(gain=df["gain"] + 0.5), fixed=law).rows["fixed"]
    np.testing.assert_array_equal(a, b)
    assert law.n_rows > 100 and law.fitted_on.startswith("toy")


def test_toy_table_errors_name_the_problem(tmp_path):
    from llm_bridge.scale_free import fit_toy_law

    with pytest.raises(FileNotFoundError, match="toy cells table not found"):
        fit_toy_law(tmp_path / "none.csv")
    (tmp_path / "c.csv").write_text("setting,gain\nx,0.1\n")
    with pytest.raises(ValueError, match="missing column"):
        fit_toy_law(tmp_path / "c.csv")


def test_bridge_md_leads_with_the_practitioner_table_then_the_laws_then_the_transfer(published_bridge):
    """Issue 25: the practitioner's table first (size × starting point × benchmark family), then the law per
    starting point; the pooled transfer table and theory's checks follow for the law's author."""
    out, md = published_bridge  # run_bridge(out, published=True), run once (tests/conftest.py)
    text = md.read_text()
    first = text.index("## ")
    assert text[first:].startswith("## What gain to expect")
    assert text.index("| size | starting point | benchmark family |") < text.index("## Which law forecasts the gain")
    assert text.index("## Which law forecasts the gain") < text.index("## Pooled over every starting point")
    assert text.index("| **all sources** |") < text.index("## Theory's checks")
    assert "### The scale-free question" in text and "| rows / sources |" in text
    assert (out / "transfer.png").is_file()


def test_study_predictors_are_applied_as_shipped():
    import json

    from llm_bridge.scale_free import study_predictor_scores

    path = ROOT / "docs" / "study" / "predictors.json"
    df = synthetic()
    got = study_predictor_scores(path, df)
    fitted = json.loads(path.read_text())["predictors"]
    p, y = df["before"].to_numpy(), df["gain"].to_numpy()
    pred = fitted["phi0"]["intercept"] + fitted["phi0"]["coef"][0] * (1 - p**8 - (1 - p) ** 8)
    assert got["phi0"]["mae"] == pytest.approx(np.mean(np.abs(pred - y)))
    assert got["constant"]["mae"] == pytest.approx(np.mean(np.abs(fitted["constant"]["intercept"] - y)))


def test_toy_law_skips_cells_without_a_chance_level(tmp_path):
    """A cell whose chance is unknown (NaN) cannot be put in capability units: it is left out,
    not allowed to poison the least-squares fit (it used to stop with a LinAlgError)."""
    from llm_bridge.scale_free import fit_toy_law

    df = pd.read_csv(ROOT / "docs" / "study" / "cells.csv")
    usable = (df["status"] == "ok") & np.isfinite(df["base_p1"]) & np.isfinite(df["gain"]) & np.isfinite(df["chance"])
    df.loc[df.index[usable][:5], "chance"] = np.nan
    df.to_csv(tmp_path / "cells.csv", index=False)
    law = fit_toy_law(tmp_path / "cells.csv")
    assert np.isfinite(law.coef).all() and law.n_rows == int(usable.sum()) - 5
