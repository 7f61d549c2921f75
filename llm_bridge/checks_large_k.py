"""H5 on real LLMs: base vs RL pass@k at large k (k >= 64), by the sign rule and as a point prediction."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .check_rules import LARGE_K, CheckResult, _bootstrap_diff, loo_status, sign_status
from .published import pass_at_k_view, unique_results


def large_k_rows(ds: xr.Dataset) -> list[dict]:
    """Base vs RL at large k: pass@K (K ≥ 64) pairs, `#solvable/N (large k)` counts, `pass@K gap` deltas."""
    ds = unique_results(ds)
    v = pass_at_k_view(ds)
    ks = [int(k) for k in v.k.values]
    up = (
        v.rl_pass_at_k.values[..., ks.index(1)] - v.base_pass_at_k.values[..., ks.index(1)]
        if 1 in ks
        else np.full((ds.sizes["model"], ds.sizes["benchmark"]), np.nan)
    )  # (model, benchmark): pass@1 gain
    bef_all, aft_all, dl_all = ds.before.values, ds.after.values, ds.delta.values  # (model, benchmark, metric)
    is_rl = ds.contrast.values == "base_to_rl"
    found = []
    for j, met in enumerate(str(x) for x in ds.metric.values):
        is_k = met.startswith("pass@") and met[5:].isdigit() and int(met[5:]) >= LARGE_K
        is_cnt = met.startswith("#solvable") and "large k" in met
        is_gap = met.startswith("pass@") and met.endswith("gap")
        if not (is_k or is_cnt or is_gap):
            continue
        bef, aft = bef_all[..., j], aft_all[..., j]
        d = np.where(np.isfinite(bef) & np.isfinite(aft), aft - bef, dl_all[..., j])
        found += [(a, b, j, met, float(d[a, b])) for a, b in np.argwhere(np.isfinite(d) & is_rl[:, None])]
    out = []
    for a, b, j, met, d in sorted(found, key=lambda t: t[:3]):  # model, benchmark, metric order
        c = (a, b, j)
        out.append(
            {
                "group": str(ds.model.values[a]),
                "benchmark": str(ds.benchmark.values[b]),
                "metric": met,
                "n_params": float(ds.n_params.values[a]),
                "base": float(bef_all[c]),
                "rl": float(aft_all[c]),
                "delta": d,
                "pass1_gain": float(up[a, b]),
                "tag": str(ds.tag.values[c]),
                "approx": bool(ds.approx.values[c]),
                "source": str(ds.source.values[c]),
            }
        )
    return out


def check_h5(ds: xr.Dataset) -> CheckResult:
    """H5 by the `sign` rule: RL does not raise pass@k at large k (Δ ≤ 0 in every entry)."""
    return check_h5_both(ds)[0]


def check_h5_both(ds: xr.Dataset) -> tuple[CheckResult, CheckResult]:
    """H5 twice, each under its own rule: the sign of Δ = RL − base at large k (`sign`), and Δ = 0 as a
    point prediction against the constant and ln N baselines by leave-one-group-out error (`LOO`)."""
    pred = "RL pass@k ≤ base pass@k at large k (k ≥ 64): Δ ≤ 0"
    pred_point = "Δ = 0 at large k (k ≥ 64) as a point prediction of RL pass@k − base pass@k"
    rows = large_k_rows(ds)
    groups = list(dict.fromkeys(r["group"] for r in rows))
    if not rows:
        miss = "base and RL pass@k at k ≥ 64 (or solvable counts at large k)"
        return (
            CheckResult("H5", pred, "not testable", "no base and RL numbers at large k", missing=miss, rule="sign"),
            CheckResult(
                "H5 (point Δ = 0)", pred_point, "not testable", "no base and RL numbers at large k", missing=miss
            ),
        )
    y = np.array([r["delta"] for r in rows])
    n = np.array([r["n_params"] for r in rows])
    grp = np.array([r["group"] for r in rows])
    per = {"theory": [], "constant": [], "linear_lnN": [], "uniform_lift": []}
    for g in groups:
        tr, te = grp != g, grp == g
        const = y[tr].mean() if tr.any() else np.nan
        ok = tr & np.isfinite(n)
        lin = (
            np.polyval(np.polyfit(np.log(n[ok]), y[ok], 1), np.log(n[te]))
            if len(np.unique(n[ok])) >= 2
            else np.full(te.sum(), np.nan)
        )
        lift = np.array([r["pass1_gain"] for r in np.array(rows, dtype=object)[te]])
        for name, yhat in (("theory", 0.0), ("constant", const), ("linear_lnN", lin), ("uniform_lift", lift)):
            per[name].append(float(np.nanmean(np.abs(yhat - y[te]))) if np.isfinite(yhat).any() else np.nan)
        for j, i in enumerate(np.flatnonzero(te)):
            rows[i].update(
                pred_theory=0.0,
                pred_constant=float(const),
                pred_linear_lnN=float(np.atleast_1d(lin)[j]),
                pred_uniform_lift=float(lift[j]),
            )
    per = {k: np.array(v) for k, v in per.items()}
    mae = {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in per.items()}
    ci = {b: _bootstrap_diff(per["theory"], per[b]) for b in ("constant", "linear_lnN", "uniform_lift")}
    n_ok = int(np.sum(y <= 0))
    srcs = sorted({r["source"] for r in rows})
    detail = (
        f"Δ ≤ 0 in {n_ok}/{len(y)} entries ({len(groups)} groups; sources: {'; '.join(srcs)}); "
        f"Δ = {np.round(y, 3).tolist()}"
    )
    sign = CheckResult(
        "H5", pred, sign_status(np.round(y, 3)), detail, rows=rows, n_groups=len(groups), rule="sign", n_rows=len(y)
    )
    point = CheckResult(
        "H5 (point Δ = 0)",
        pred_point,
        loo_status(mae, ci),
        f"{len(y)} entries in {len(groups)} held-out groups (errors are rates)",
        mae=mae,
        diff_ci=ci,
        rows=rows,
        n_groups=len(groups),
        n_rows=len(y),
    )
    return sign, point
