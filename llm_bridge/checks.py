"""Theory's scale-free predictions checked on real-LLM before/after-RL numbers, by leave-one-out.

Each check returns a `CheckResult`: the prediction, what was observed, its status (`holds`,
`fails`, `inconclusive`, `not testable` with the missing input named) and, where the prediction is
a number, the leave-one-group-out error of theory's model and of two naive baselines:
`constant` (mean gain of the rows left in) and `linear_lnN` (gain linear in ln N fitted on them).
The unit left out is a *model group* (one model and setting, all its benchmarks), so that rows
of the same run never calibrate each other. The only quantity calibrated on real data is the one
scale of theory's gain model, refitted inside the loop on the groups left in.

Each published result counts once: every check first drops entries that repeat a result given
elsewhere (`duplicate_of`, e.g. a combined row kept beside its split rows; `unique_results`), and
each `CheckResult` says how many rows (`n_rows`) from how many sources (`n_sources`) stand behind it.

Rules fixed before looking at outcomes: benchmarks named `Avg*` are averages of other rows and
are left out; only `contrast == base_to_rl` rows count as RL gains; "large k" means k >= 64 (or
a `#solvable/N (large k)` count); φ uses G = 8 (theory's default); math benchmarks have chance 0.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from theory.amplifier import fit_gain_model, gain_feature
from theory.amplifier import predict_gain as theory_predict_gain
from theory.credit import phi

from .check_rules import (  # noqa: F401  (re-exported: report.py, aha/ and notebooks import them from here)
    LARGE_K,
    MIN_GROUPS,
    N_BOOT,
    RULES,
    SIGN_TOL,
    STATUSES,
    CheckResult,
    G,
    _bootstrap_diff,
    loo_status,
    sign_status,
)
from .checks_large_k import check_h5, check_h5_both, large_k_rows
from .published import pass_at_k_view, unique_results


def observations(ds: xr.Dataset) -> list[dict]:
    """One dict per (model group, benchmark) with base pass@1 and an observed pass@1 gain."""
    ds = unique_results(ds)
    v = pass_at_k_view(ds)
    ks = [int(k) for k in v.k.values]
    if 1 not in ks:
        return []
    base, rl = v.base_pass_at_k.values, v.rl_pass_at_k.values  # (model, benchmark, k)
    which = v.pass_at_k_metric.values  # (model, benchmark, k)
    j1, big = ks.index(1), [j for j, k in enumerate(ks) if k >= LARGE_K]
    mi = {str(m): j for j, m in enumerate(ds.metric.values)}
    contrast, n_params = ds.contrast.values, ds.n_params.values
    rows = []
    for a, m in enumerate(v.model.values):
        if str(contrast[a]) != "base_to_rl":
            continue
        for b, bench in enumerate(v.benchmark.values):
            if str(bench).startswith("Avg"):
                continue
            base1, rl1, metric = float(base[a, b, j1]), float(rl[a, b, j1]), str(which[a, b, j1])
            gain, how = rl1 - base1, "after − before"
            if np.isnan(rl1) and metric:  # gain stated only in the delta column (e.g. Spurious Rewards)
                gain, how = float(ds.delta.values[a, b, mi[metric]]), "delta column"
            if not (np.isfinite(base1) and np.isfinite(gain)):
                continue
            basek, kk = np.nan, np.nan
            for j in big[::-1]:
                if np.isfinite(base[a, b, j]):
                    basek, kk = float(base[a, b, j]), ks[j]
                    break
            c = (a, b, mi[metric])
            rows.append(
                {
                    "group": str(m),
                    "benchmark": str(bench),
                    "n_params": float(n_params[a]),
                    "metric": metric,
                    "base": base1,
                    "gain": gain,
                    "gain_from": how,
                    "base_pass_at_k": basek,
                    "k": kk,
                    "tag": str(ds.tag.values[c]),
                    "approx": bool(ds.approx.values[c]),
                    "source": str(ds.source.values[c]),
                }
            )
    return rows


def loo_gain(rows: list[dict], kind: str = "phi", chance: float = 0.0) -> tuple[list[dict], dict]:
    """Leave-one-group-out predictions of theory's gain model and the baselines, per row."""
    grp = np.array([r["group"] for r in rows])
    p1 = np.array([r["base"] for r in rows])
    y = np.array([r["gain"] for r in rows])
    n = np.array([r["n_params"] for r in rows])
    pk = np.array([r["base_pass_at_k"] for r in rows]) if kind == "coverage" else None
    kk = float(np.nanmax([r["k"] for r in rows])) if kind == "coverage" else LARGE_K
    out, per_group = [], {"theory": [], "constant": [], "linear_lnN": []}
    for g in dict.fromkeys(grp):
        tr, te = grp != g, grp == g
        params = fit_gain_model(p1[tr], y[tr], None if pk is None else pk[tr], chance, G, kind, kk)
        pred = np.atleast_1d(theory_predict_gain(p1[te], None if pk is None else pk[te], chance, G, params).mean)
        const = np.full(te.sum(), y[tr].mean())
        ntr = n[tr][np.isfinite(n[tr])]
        if len(np.unique(ntr)) >= 2 and np.all(np.isfinite(n[te])):
            ok = np.isfinite(n[tr])
            c = np.polyfit(np.log(n[tr][ok]), y[tr][ok], 1)
            lin = np.polyval(c, np.log(n[te]))
        else:
            lin = np.full(te.sum(), np.nan)
        for name, yhat in (("theory", pred), ("constant", const), ("linear_lnN", lin)):
            per_group[name].append(float(np.mean(np.abs(yhat - y[te]))))
        for j, i in enumerate(np.flatnonzero(te)):
            out.append(
                {
                    **rows[i],
                    "scale": params.scale,
                    "pred_theory": float(pred[j]),
                    "pred_constant": float(const[j]),
                    "pred_linear_lnN": float(lin[j]),
                }
            )
    return out, {k: np.array(v) for k, v in per_group.items()}


def _judge(per_group: dict[str, np.ndarray]) -> tuple[str, dict, dict]:
    mae = {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in per_group.items()}
    ci = {b: _bootstrap_diff(per_group["theory"], per_group[b]) for b in ("constant", "linear_lnN")}
    return loo_status(mae, ci), mae, ci


def check_h2(rows: list[dict], kind: str = "phi", label: str = "") -> CheckResult:
    """H2: gain predicted from base accuracy (phi) or base coverage (coverage) beats size baselines."""
    hid = f"H2 ({kind}{label})"
    feat = "φ(pass@1, G=8)·(1 − pass@1)" if kind == "phi" else "chance-corrected base pass@k(k≥64)·(1 − pass@1)"
    pred = f"gain = s · {feat}; s fitted on the groups left in"
    use = [r for r in rows if kind == "phi" or np.isfinite(r["base_pass_at_k"])]
    n_groups = len({r["group"] for r in use})
    if n_groups < MIN_GROUPS:
        need = "base pass@1 with an observed gain" if kind == "phi" else "base pass@k at k≥64 next to an observed gain"
        return CheckResult(
            hid,
            pred,
            "not testable",
            f"only {n_groups} model group(s) ({len(use)} rows) have the inputs; need ≥ {MIN_GROUPS}",
            missing=need,
            n_groups=n_groups,
            rows=use,
            n_rows=len(use),
        )
    out, per_group = loo_gain(use, kind)
    status, mae, ci = _judge(per_group)
    detail = f"{len(use)} rows in {n_groups} held-out groups (errors are rates)"
    return CheckResult(hid, pred, status, detail, mae=mae, diff_ci=ci, rows=out, n_groups=n_groups, n_rows=len(use))


def check_h3(rows: list[dict], ds: xr.Dataset, threshold: float = 0.05) -> CheckResult:
    """H3: no gain where the informative-group fraction at the start of RL is ≈ 0."""
    pred = f"gain ≈ 0 where φ(base, G=8) < {threshold} (no informative groups)"
    ds = unique_results(ds)
    sig = []
    for r in rows:
        cov = r["base_pass_at_k"]
        f = float(phi(r["base"], G))  # φ at mean pass@1 bounds the mean φ from above (φ is concave)
        sig.append((f, cov, r))
    nosig = [(f, c, r) for f, c, r in sig if f < threshold or (np.isfinite(c) and c < threshold)]
    qual = [
        str(m)
        for m in ds.model.values
        if "qualitative" in ds.metric.values
        and str(ds.contrast.sel(model=m).values) == "base_to_rl"
        and (ds.source.sel(model=m, metric="qualitative").values != "").any()
    ]
    if not nosig:
        low = min(sig, key=lambda t: t[0]) if sig else None
        lowest = (
            (
                f"lowest signal row: {low[2]['group']} / {low[2]['benchmark']} base {low[2]['base']:.3f} "
                f"(φ = {low[0]:.2f}, gain {low[2]['gain']:+.3f}, tag {low[2]['tag']})"
            )
            if low
            else "no rows"
        )
        return CheckResult(
            "H3",
            pred,
            "not testable",
            f"no RL row has φ < {threshold} or base coverage < {threshold}; {lowest}; "
            f"{len(qual)} qualitative size statement(s) without numbers (TinyZero, DeepSeek-R1 key findings)",
            missing="a base model with coverage at chance (base pass@k at large k ≈ 0) and its RL gain",
            rows=[r for _, _, r in sig],
            rule="no-signal",
        )
    gains = np.array([r["gain"] for _, _, r in nosig])
    status = "holds" if np.all(np.abs(gains) < 0.02) else "fails"
    return CheckResult(
        "H3",
        pred,
        status,
        f"{len(nosig)} no-signal rows, gains {np.round(gains, 3).tolist()}",
        rows=[r for _, _, r in nosig],
        n_groups=len({r["group"] for _, _, r in nosig}),
        rule="no-signal",
        n_rows=len(nosig),
    )


def check_size_order(ds: xr.Dataset, rows: list[dict]) -> CheckResult:
    """H1/H11 threshold order: within a family (same source, recipe `setting`, model series `family`,
    benchmark), gain rises with N. Series are never pooled: a ladder mixing e.g. Qwen2.5 and Llama sizes
    would rank series, not sizes."""
    pred = "within a family, a bigger/stronger base gains more (rank correlation of gain with N > 0)"
    ds = unique_results(ds)
    fams = ds.family.values if "family" in ds.coords else [""] * ds.sizes["model"]
    series = {str(m): (str(s), str(f)) for m, s, f in zip(ds.model.values, ds.setting.values, fams)}
    fam: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        setting, family = series.get(r["group"], ("", ""))
        fam.setdefault((r["source"], setting, family, r["benchmark"]), []).append(r)
    ladders = {k: v for k, v in fam.items() if len({r["n_params"] for r in v if np.isfinite(r["n_params"])}) >= 3}
    after_only = sorted(
        {
            str(ds.source_group.sel(model=m).values)
            for m in ds.model.values
            if np.isfinite(ds.after.sel(model=m)).any()
            and not np.isfinite(ds.before.sel(model=m)).any()
            and str(ds.contrast.sel(model=m).values) == "base_to_rl"
        }
    )
    if not ladders:
        return CheckResult(
            "H1/H11",
            pred,
            "not testable",
            "no source reports base and RL accuracy at ≥ 3 sizes with one recipe; after-RL-only "
            f"size ladders ({'; '.join(after_only)}) give no gain; size ladders elsewhere are qualitative",
            missing="base accuracy next to RL accuracy at ≥ 3 sizes of one family (same recipe, benchmark)",
            rule="rank",
        )
    from scipy.stats import spearmanr

    res = []
    for (src, _, family, b), v in ladders.items():
        rho = spearmanr([r["n_params"] for r in v], [r["gain"] for r in v]).statistic
        res.append((f"{src} ({family})" if family else src, b, len(v), float(rho)))
    rhos = np.array([r[3] for r in res])
    status = "holds" if np.all(rhos > 0) else ("fails" if np.all(rhos < 0) else "inconclusive")
    detail = "; ".join(f"{s} / {b}: n={k}, ρ={r:+.2f}" for s, b, k, r in res)
    used = [r for v in ladders.values() for r in v]
    return CheckResult(
        "H1/H11",
        pred,
        status,
        detail,
        n_groups=len(res),
        rule="rank",
        n_rows=len(used),
        n_sources=len({r["source"] for r in used}),
    )


def run_checks(ds: xr.Dataset) -> list[CheckResult]:
    """All checks on one dataset (published or a user's CSV / lm-eval files); each result counted once."""
    ds = unique_results(ds)
    rows = observations(ds)
    out = [check_h2(rows, "phi"), check_h2(rows, "coverage")]
    clean = [r for r in rows if set(r["tag"].split(",")) <= {"P", "D"} and not r["approx"]]
    if len(clean) < len(rows):
        out.append(check_h2(clean, "phi", label=", [P]/[D] rows only, no '~'"))
    out += [check_h3(rows, ds), *check_h5_both(ds), check_size_order(ds, rows)]
    return out


def gain_curve(rows: list[dict], kind: str = "phi"):
    """Theory's curve gain(p) with the scale fitted on all rows (for figures): (p, mean, lo, hi, params)."""
    p1 = np.array([r["base"] for r in rows])
    y = np.array([r["gain"] for r in rows])
    params = fit_gain_model(p1, y, None, 0.0, G, kind, LARGE_K)
    p = np.linspace(0, 1, 201)
    pr = theory_predict_gain(p, None, 0.0, G, params)
    return p, np.asarray(pr.mean), np.asarray(pr.lo), np.asarray(pr.hi), params


__all__ = [
    "CheckResult",
    "check_h2",
    "check_h3",
    "check_h5",
    "check_h5_both",
    "loo_status",
    "sign_status",
    "RULES",
    "check_size_order",
    "gain_curve",
    "gain_feature",
    "large_k_rows",
    "loo_gain",
    "observations",
    "run_checks",
]
