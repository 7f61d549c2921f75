"""Verdicts on the hypotheses of a run (DESIGN.md's H1-H11), by the rules stated in ``RULES``.

Each ``verdict_hN`` takes what theory's fits of one grid return (a TransitionFit, a leave-one-out
comparison, arrays of cells, an entropy-law summary, a critical surface) and returns a
``Verdict``: the line's measured result in words, its verdict word, the rule and the numbers it
read. `aha fit` stores them in fits.json (key "theory", in the order report.md prints them) and
report.md renders them from there. Moved out of aha/fit.py's inline ternaries (issue 21); no rule
changed.
"""

from __future__ import annotations

import numpy as np

from .text import g, interval_in_grid, nc_name
from .verdict import Verdict

RULES = {
    "H1": "`sharp transition`, `smooth` or `no trend` when that kind of fit is best by BIC by at least 2 "
    "(a sharp one also needs a trustworthy N_c); otherwise `undetermined`",
    "H2": "`holds` when the base-only gain model's leave-one-size-out RMSE is below both the constant's and "
    "the ln N line's; `fails` otherwise; `undetermined` with fewer than 4 sizes to leave out",
    "H3": "`holds` when the cells without signal (φ < 0.05 at the first RL update) gain less than 0.02 on "
    "average; `fails` otherwise; `not testable` when every cell has signal",
    "H4": "on a horizon axis as H8; on one horizon `not testable` (the p = q^L predictor is still compared "
    "with the observed gain)",
    "H5": "`holds` when RL pass@k_max is above the base's (support expanded) in fewer than half of the ok "
    "cells; `fails` otherwise",
    "H6": "`undetermined` when no cell's law could be fitted; `holds` when the median R² over cells is at least 0.5 "
    "and a > 0 in more than half of them; "
    "`fails` otherwise",
    "H7": "`holds` when the continuous metric also shows a sharp transition (sharpness survives); `fails` "
    "when it is smooth or flat; `undetermined` when the rate itself is not sharp",
    "H8": "(and H4, H10, H11 on their axes) `holds` when every N_c on the axis is trustworthy and Spearman "
    "ρ(N_c, axis) has the predicted sign (H4: > 0, H8: < 0, H11: < 0; H10: |ρ| ≥ 0.5); `fails` when they "
    "are trustworthy and it has not; `undetermined` when any N_c is not trustworthy; `not testable` "
    "without the axis",
}
"""The verdict rules that report.md's Theory section states (each hypothesis line ends with its word)."""
NO_SIGNAL_PHI = 0.05
"""H3: a cell has no signal when φ at the first RL update is below this."""
NO_GAIN = 0.02
"""H3: cells without signal 'gain nothing' when their mean gain is below this in size."""
AXES = {"horizon": "H4", "prior": "H8", "pretrain_tokens": "H11"}
"""Swept settings whose effect on the threshold is a prediction of DESIGN.md, and its id."""


def _rule(claim: str) -> str:
    hid = claim.split()[0].split("[")[0]
    return RULES.get(hid, RULES["H8"])


def not_tested(claim: str, why: str, word: str = "not testable") -> Verdict:
    """A hypothesis the run cannot decide: a variable it lacks, an axis it does not sweep, a fit that failed."""
    return Verdict(claim, why, word, _rule(claim))


def transition_text(fit) -> str:
    """A transition fit in words: N_c with its interval (a bracket of sizes when the rise is steeper
    than the grid resolves), w, sizes, cells, likelihood and the bootstrap."""
    lo, hi = fit.N_c_ci
    name, inside = nc_name(fit.verdict), interval_in_grid(lo, hi, *fit.N_range)
    if fit.N_c_bracketed:  # an interval, never a point: the grid does not locate N_c inside it
        ci = f"{name} {inside} ({fit.ci_level:.0%}; bracket of grid sizes), w <= {g(fit.w, 2)} in ln N"
    else:
        ci = f"{name} = {g(fit.N_c)} ({fit.ci_level:.0%} CI {inside}), w = {g(fit.w, 2)} in ln N"
    return (
        f"{ci}; {fit.n_sizes} sizes, {fit.n_obs} cells, {fit.likelihood} likelihood, bootstrap over "
        f"{fit.bootstrap} ({fit.n_boot_failed} of {fit.n_boot_ok + fit.n_boot_failed} refits failed)"
    )


def _fit_numbers(fit) -> dict:
    return {"N_c": fit.N_c, "N_c_ci": list(fit.N_c_ci), "w": fit.w, "trustworthy": fit.trustworthy}


def verdict_h1(claim: str, fit) -> Verdict:
    """H1 (a transition of the RL gain, or of post-RL pass@1, against N): the fit's own verdict."""
    return Verdict(claim, transition_text(fit), fit.verdict, RULES["H1"], _fit_numbers(fit), fit.n_obs, fit.N_c_ci)


def verdict_h7(fit, check=None) -> Verdict:
    """H7 (the transition is no metric mirage): the continuous metric's fit ``fit`` and whether the
    rate's sharpness survives on it (``check``: theory.transitions.sharpness_survives; None when the
    rate was not fitted)."""
    word = {"yes": "holds", "no": "fails"}.get(check.survives, "undetermined") if check else "undetermined"
    numbers = {**_fit_numbers(fit), "survives": check.survives if check else None}
    return Verdict("H7 log p(answer)", f"fit: {fit.verdict}; {transition_text(fit)}", word, RULES["H7"], numbers)


def verdict_h2(kind: str, loo, feature: str = "") -> Verdict:
    """H2 (base capability predicts the gain better than size): the gain model of ``kind`` ('phi' or
    'coverage', whose base ``feature`` is named) against a constant and a line in ln N, leave one size out."""
    r = loo.rmse
    if loo.verdict.startswith("undetermined"):
        word = "undetermined"
    else:
        word = "holds" if r["gain_model"] < min(r["constant"], r["linear_lnN"]) else "fails"
    result = (
        f"{loo.verdict}; LOO RMSE gain model {r['gain_model']:.3g} vs constant {r['constant']:.3g} vs "
        f"linear in ln N {r['linear_lnN']:.3g} ({loo.n_groups} held-out sizes)"
    )
    claim = f"H2 ({kind}{', ' + feature if kind == 'coverage' else ''})"
    return Verdict(claim, result, word, RULES["H2"], {"rmse": dict(r)}, loo.n_groups)


def verdict_h3(phi_start, gain) -> Verdict:
    """H3 (no signal, no learning): φ at the first RL update and the gain, per cell (same shape)."""
    a, y = np.ravel(np.asarray(phi_start, float)), np.ravel(np.asarray(gain, float))
    m = np.isfinite(a) & np.isfinite(y)
    rho = float(np.corrcoef(a[m], y[m])[0, 1]) if m.sum() > 2 else float("nan")
    low = y[m][a[m] < NO_SIGNAL_PHI]
    numbers = {
        "corr_informative0_gain": rho,
        "n_cells_no_signal": int(low.size),
        "mean_gain_no_signal": float(low.mean()) if low.size else None,
    }
    word = "not testable" if not low.size else "holds" if abs(low.mean()) < NO_GAIN else "fails"
    result = f"corr(φ at step 0, gain) = {rho:.2f}; cells with φ < {NO_SIGNAL_PHI}: {low.size}" + (
        f", their mean gain {low.mean():.3f}" if low.size else " (every cell has signal)"
    )
    return Verdict("H3", result, word, RULES["H3"], numbers, int(m.sum()))


def verdict_h4(L: int, pred, table, horizon_axis: bool) -> Verdict:
    """H4's p = q^L predictor (``pred``: theory.predictor.predict_threshold) against the observed
    gain (``table``: compare_prediction); it decides nothing on one horizon, the N_c per horizon
    line does on a horizon axis."""
    result = (
        f"L = {L}, q = base step_prob; predicted N_c = {pred.N_c:.3g} (mean-field, uncalibrated lr=1); "
        f"prediction vs observed gain: RMSE {table.rmse:.3g}, corr {table.corr:.2f}"
        + ("; the N_c per horizon line decides" if horizon_axis else "")
    )
    numbers = {"predicted_N_c": pred.N_c, "rmse": table.rmse, "corr": table.corr}
    return Verdict("H4", result, "see below" if horizon_axis else "not testable", RULES["H4"], numbers)


def verdict_h5(k_star, expanded_frac: float) -> Verdict:
    """H5 (RL sharpens, it does not expand support): the crossover k* per cell (NaN without one) and
    the fraction of ok cells whose RL pass@k_max is above the base's."""
    ks = np.asarray(k_star, float)
    has = np.isfinite(ks).any()
    numbers = {
        "median_k_star": float(np.nanmedian(ks)) if has else None,
        "frac_cells_with_crossover": float(np.mean(np.isfinite(ks))),
        "frac_cells_support_expanded": expanded_frac,
    }
    result = (
        f"crossover in {np.mean(np.isfinite(ks)):.0%} of cells"
        + (f" (median k* = {np.nanmedian(ks):.3g})" if has else "")
        + f"; RL pass@k_max above base's (support expanded) in {expanded_frac:.0%} of ok cells"
    )
    return Verdict("H5", result, "holds" if expanded_frac < 0.5 else "fails", RULES["H5"], numbers, int(ks.size))


def verdict_h6(s) -> Verdict:
    """H6 (entropy-reward law R = −a·exp(H) + b per cell): theory.entropy_law.entropy_law_vs_size's summary."""
    result = (
        f"R = −a·exp(H) + b, median R² = {s.median_r2:.2f} over {s.n_cells} cells, a > 0 in {s.frac_a_positive:.0%}; "
        f"d a / d ln N = {s.a_slope_lnN:.3g} (p = {s.a_slope_p:.2g}), d b / d ln N = {s.b_slope_lnN:.3g} "
        f"(p = {s.b_slope_p:.2g})"
    )
    if s.n_cells == 0:
        word = "undetermined"
    else:
        word = "holds" if s.median_r2 >= 0.5 and s.frac_a_positive > 0.5 else "fails"
    numbers = {"median_r2": s.median_r2, "frac_a_positive": s.frac_a_positive}
    return Verdict("H6", result, word, RULES["H6"], numbers, s.n_cells)


def axis_word(hid: str, surf) -> str:
    """RULES["H8"]: the sign of Spearman ρ(N_c, axis) when every N_c on the axis is trustworthy."""
    rho = surf.spearman_rho
    if not all(surf.trustworthy) or not np.isfinite(rho):
        return "undetermined"
    ok = {"H4": rho > 0, "H8": rho < 0, "H11": rho < 0, "H10": abs(rho) >= 0.5}[hid]
    return "holds" if ok else "fails"


def verdict_axis(hid: str, surf) -> Verdict:
    """H10 (N_c per depth) or H4 / H8 / H11 (N_c per horizon, prior, pretraining budget) from the
    critical surface over that axis (theory.surface.critical_surface)."""
    dim = surf.slice_dim
    if hid == "H10":
        rows = ", ".join(
            f"depth {v:g}: {nc:.3g}{'' if t else ' (untrusted)'}"
            for v, nc, t in zip(surf.values, surf.N_c, surf.trustworthy, strict=True)
        )
        result = f"N_c per depth: {rows}; Spearman ρ(N_c, depth) = {surf.spearman_rho:.2f}"
    else:
        rows = ", ".join(
            f"{dim} {v:g}: {nc:.3g} ({verdict}{'' if t else ', untrusted'})"
            for v, nc, verdict, t in zip(surf.values, surf.N_c, surf.verdicts, surf.trustworthy, strict=True)
        )
        rho = "n/a" if not np.isfinite(surf.spearman_rho) else f"{surf.spearman_rho:.2f}"
        result = f"N_c of the RL gain per {dim}: {rows}; Spearman ρ(N_c, {dim}) = {rho}"
    numbers = {"axis": dim, "spearman_rho": surf.spearman_rho, "all_trustworthy": all(surf.trustworthy)}
    return Verdict(hid, result, axis_word(hid, surf), RULES["H8"], numbers, len(surf.values))
