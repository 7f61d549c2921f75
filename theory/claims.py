"""Verdicts on the study's claims C1-C9, by explicit rules from the numbers (pure functions); C4, C6,
C7 and C9 live in theory.claims_rl and C5 in theory.claims_c5 (re-exported here), C10 and C11 in
theory.claims_behaviour.

Each ``verdict_cN`` takes the measured numbers (already reduced by the study) and returns a
``Verdict``: the measured result in words with its interval, one of the verdict words below, and
the rule that decided it. The verdict words are those of the issue: ``holds``, ``fails``,
``holds only where …`` / ``holds only in part: …``, ``not determined: …`` (with why). Means come
with a t interval over cells (``LEVEL``); "no effect" means the interval covers 0.

Sizes are split by the plain setting's own gain: *small* = widths whose mean gain over seeds is
below ``GAIN`` (0.1), *large* = the others. Nothing here knows which answer a claim "should" get.
"""

from __future__ import annotations

import numpy as np

from .claims_c5 import c5_rule, share_report, verdict_c5
from .claims_rl import EFFECT, verdict_c4, verdict_c6, verdict_c7, verdict_c9
from .power import (
    mde_means,
    n_for_means,
    needs,
    power_row,
    sd,
)
from .takeoff import BOUNDARY_DECADES, DELTA_BIC, TAKEOFF, TakeoffFit
from .takeoff import LEVEL as TAKEOFF_LEVEL
from .text import DASH, bracket, decides, g, interval_in_grid, sci, signed
from .text import mean_interval as _fmt
from .verdict import GAIN, LEVEL, MIN_CELLS, Verdict, intervals_disjoint, mean_ci

__all__ = [
    "GAIN",
    "LEVEL",
    "STATEMENTS",
    "MIN_CELLS",
    "Verdict",
    "mean_ci",
    "intervals_disjoint",
    "verdict_c1",
    "verdict_c2",
    "verdict_c3",
    "MOVE",
    "EFFECT",
    "verdict_c4",
    "verdict_c5",
    "c5_rule",
    "share_report",
    "verdict_c6",
    "verdict_c7",
    "verdict_c8",
    "verdict_c9",
]

STATEMENTS = {
    "C1": "RL only amplifies what the base model can already do; without it RL amplifies noise",
    "C2": "there is a size threshold, and its location is not known before training",
    "C3": "the threshold depends on the task, the data and the architecture",
    "C4": "in small models RL's reward rises briefly, then oscillates or collapses, and accuracy falls, "
    "often below the base",
    "C5": "small models reinforce non-causal tokens (format, templates) rather than the task",
    "C6": "entropy collapses faster in small models; temperature and entropy bonuses only add token noise",
    "C7": "design signals help large models and do nothing for small ones",
    "C8": "whether a model has entered the regime where RL pays off can be judged before RL",
    "C9": "recipe details change how fast RL gets there, not where it ends",
    "C10": "the aha is an abrupt event in training whose onset the informative-group fraction predicts",
    "C11": "RL teaches self-correction only above a size",
}
"""What each claim of the study says (study.md and the README print it beside its verdict)."""
AUROC_GOOD = 0.8
"""C8: a predictor separates gaining from non-gaining cells when its AUROC reaches this."""
MAE_RATIO = 0.8
"""C8: a base-only predictor beats size when its MAE is at most this fraction of ln N's."""


# --- C1 -------------------------------------------------------------------------------------
def verdict_c1(gain_without, gain_with, collapsed_without_frac: float, capability: str) -> Verdict:
    """Gains of cells without base capability (``capability`` below its line) and with it."""
    lo_c, hi_c = mean_ci(gain_without), mean_ci(gain_with)
    sds = (sd(gain_without), sd(gain_with))
    pool = float(np.sqrt(np.nanmean(np.square(sds)))) if np.isfinite(sds).any() else float("nan")
    pw = power_row(
        {"without": lo_c[3], "with": hi_c[3]},
        mde_means(sds[0], lo_c[3], sds[1], hi_c[3]),
        GAIN,
        "difference of mean gains",
    )
    result = (
        f"gain without base capability ({capability}) {_fmt(lo_c)}, with it {_fmt(hi_c)}; "
        f"RL made {collapsed_without_frac:.0%} of the cells without capability worse than base"
    )
    rule = (
        f"holds if the gain without capability has its {LEVEL:.0%} interval below {GAIN} and the gain with "
        f"it exceeds that by >= {GAIN} with disjoint intervals; fails if the gain without capability has "
        f"its interval above {GAIN}; not determined with < {MIN_CELLS} cells on a side"
    )
    without = lambda against: decides("gain without capability", _fmt(lo_c), against)  # noqa: E731
    if lo_c[3] < MIN_CELLS or hi_c[3] < MIN_CELLS:
        few = decides("cells without / with capability", f"{lo_c[3]} / {hi_c[3]}", f">= {MIN_CELLS} each")
        why = f"{lo_c[3]} cells without and {hi_c[3]} with base capability (need >= {MIN_CELLS} each)"
        return Verdict("C1", result, f"not determined: {why}", rule, power=pw, decisive=few)
    if lo_c[1] >= GAIN:
        d = without(f"{GAIN:g} boundary (interval above it)")
        return Verdict("C1", result, "fails: RL gains without any base capability", rule, power=pw, decisive=d)
    if lo_c[2] < GAIN and hi_c[0] - lo_c[0] >= GAIN and hi_c[1] > lo_c[2]:
        d = decides(
            "gain with − without capability",
            f"{signed(hi_c[0] - lo_c[0], 3)} (intervals {bracket(hi_c[1], hi_c[2], signed)} and "
            f"{bracket(lo_c[1], lo_c[2], signed)} disjoint)",
            f"{GAIN:g} boundary",
            f"{hi_c[3]} with, {lo_c[3]} without",
        )
        return Verdict("C1", result, "holds", rule, power=pw, decisive=d)
    if lo_c[2] < GAIN:
        mde = pw["mde"]
        if needs(mde, GAIN):
            pw = power_row(pw["arms"], mde, GAIN, pw["about"], n_for_means(GAIN, pool))
            why = f"not determined: needs n ≈ {pw['needs_n']} per arm to tell a {GAIN:g} difference"
            d = decides(
                "gain with − without capability",
                f"{signed(hi_c[0] - lo_c[0], 3)}, detectable {g(mde, 2)}",
                f"{GAIN:g} claimed",
                f"{hi_c[3]} with, {lo_c[3]} without",
            )
            return Verdict("C1", result, why, rule, power=pw, decisive=d)
        return Verdict(
            "C1",
            result,
            "holds only in part: without capability RL gains little, but cells with "
            "capability do not clearly gain more",
            rule,
            power=pw,
            decisive=without(f"{GAIN:g} boundary (interval below it)"),
        )
    return Verdict(
        "C1",
        result,
        "not determined: the gain without capability is too uncertain to place",
        rule,
        power=pw,
        decisive=without(f"{GAIN:g} boundary (interval across it)"),
    )


# --- C2 -------------------------------------------------------------------------------------
def _c2_result(fit: TakeoffFit, refine_stop: str, predictor_nc_err_steps: float) -> str:
    per = ", ".join(f"{k}/{n} at N={sci(N)}" for N, n, k in zip(fit.sizes, fit.n_per_size, fit.takeoffs_per_size))
    lo, hi = fit.width_ci
    nc = (
        "none (P(take-off) stays below one half)"
        if fit.N_c is None
        else f"{sci(fit.N_c)}, its interval {interval_in_grid(*fit.N_c_ci, min(fit.sizes), max(fit.sizes), fmt=sci)}"
    )
    width = (
        "n/a"
        if not np.isfinite(fit.width_decades)
        else (f"{fit.width_decades:.2f} [{lo:.2f}, {'∞' if not np.isfinite(hi) else f'{hi:.2f}'}] decades")
    )
    return (
        f"P(take-off = gain >= {TAKEOFF:g} | N), {fit.n_cells} cells: best family {fit.family}, 10-90% width "
        f"{width}, N_c {nc}; take-offs {per} (refinement stopped: {refine_stop or 'n/a'}); best base-only "
        f"predictor misses N_c by {predictor_nc_err_steps:.2f} √2 steps"
    )


def verdict_c2(fit: TakeoffFit, refine_stop: str, predictor_nc_err_steps: float) -> Verdict:
    """C2 from the take-off fit of the reference setting (theory.takeoff.fit_takeoff; its verdict is
    ``classify``'s: sharp, smooth, no trend or not determined), why refinement stopped, and the best
    base-only predictor's N_c error (√2 steps; NaN if not evaluated)."""
    result = _c2_result(fit, refine_stop, predictor_nc_err_steps)
    rule = (
        f"P(take-off | ln N) fitted over every seed (constant, logistic, logistic with plateau; BIC); holds if "
        f"the 10-90% width's {TAKEOFF_LEVEL:.0%} profile interval lies wholly below {BOUNDARY_DECADES:g} decades "
        f"(sharp) and no base-only predictor places N_c within one √2 step; holds only in part if one does; "
        f"fails if the interval lies wholly above it (smooth) or a constant beats every rise (no trend); an "
        f"untrustworthy fit or an interval on both sides is not determined"
    )
    t, d = fit.verdict, _c2_decisive(fit)
    if t == "smooth":
        why = "fails: P(take-off) rises smoothly with size, not at a threshold"
        return Verdict("C2", result, why, rule, decisive=d)
    if t == "no trend":
        return Verdict("C2", result, "fails: P(take-off) shows no trend with size", rule, decisive=d)
    if t != "sharp":
        why = t if t.startswith("not determined") else f"not determined: {t}"
        return Verdict("C2", result, why, rule, decisive=d)
    if np.isfinite(predictor_nc_err_steps) and predictor_nc_err_steps <= 1:
        return Verdict(
            "C2",
            result,
            "holds only in part: there is a threshold, but base-only measurements "
            "place it within one √2 step before RL",
            rule,
            decisive=d,
        )
    return Verdict("C2", result, "holds", rule, decisive=d)


def _c2_decisive(fit: TakeoffFit) -> str:
    """The number ``classify`` read for the take-off fit's verdict: the first reason it is not
    trustworthy, the ΔBIC of a rise over a constant P(take-off) when that decided, else the 10-90%
    width with its interval against the sharp/smooth boundary."""
    if not fit.trustworthy:
        return decides("take-off fit untrustworthy:", fit.problems[0] if fit.problems else "?", n=fit.n_cells)
    if fit.verdict == "no trend" or fit.verdict.startswith(("not determined: constant", "not determined: the rise")):
        bic = {k: fit.bic.get(k, np.nan) for k in ("logistic", "ceiling", "constant")}
        gap = min(bic["logistic"], bic["ceiling"]) - bic["constant"]
        return decides("ΔBIC rising − constant P(take-off)", f"{gap:+.1f}", f"±{DELTA_BIC:g}", fit.n_cells)
    width = f"{fit.width_decades:.2f} {bracket(*fit.width_ci, fmt=lambda x: f'{x:.2f}')} decades"
    return decides("10-90% width", width, f"{BOUNDARY_DECADES:g} boundary", fit.n_cells)


# --- C3 -------------------------------------------------------------------------------------
MOVE = 2.0
"""C3: a change of N_c by less than this factor (one √2 step of width for N ∝ width²) is no move."""


def _factor_state(known: dict, cells: dict) -> tuple[bool | None, str, tuple[float, str]]:
    """(moves, words, (strength, decisive)) of one factor from its values' N_c intervals: moves when
    two are disjoint; does not move only when every pair's intervals also rule out a move by MOVE or
    more (the largest ratio of N_c they allow is below it); otherwise not determined, with the seeds
    it would need. ``strength``: the gap between the most separated disjoint pair (a ratio > 1) when
    it moves, else the largest ratio the intervals allow; ``decisive`` renders it."""
    ivs = list(known.items())
    pairs = [(a, b) if a[1][1] < b[1][0] else (b, a) for i, a in enumerate(ivs) for b in ivs[i + 1 :]]
    apart = [(b[1][0] / a[1][1] if a[1][1] > 0 else np.inf, a, b) for a, b in pairs if intervals_disjoint(a[1], b[1])]
    if apart:
        gap, (va, ia), (vb, ib) = max(apart, key=lambda t: t[0])
        n = f"{cells[va]} and {cells[vb]} cells" if va in cells and vb in cells else None
        d = decides("N_c", f"{bracket(*ia, sci)} at {va}", f"{bracket(*ib, sci)} at {vb} (disjoint)", n)
        return True, "moves N_c", (gap, d)
    with np.errstate(divide="ignore"):
        worst = max(max(b[1] / a[0], a[1] / b[0]) for i, (_, a) in enumerate(ivs) for _, b in ivs[i + 1 :])
    allow = (worst, decides("largest N_c ratio its intervals allow", f"×{g(worst)}", f"×{MOVE:g}"))
    if worst < MOVE:
        return False, "does not move N_c", allow
    n = min((cells.get(v, 0) for v in known), default=0)
    need = (
        f"needs n ≈ {int(np.ceil(n * (np.log(worst) / np.log(MOVE)) ** 2))} cells per value"
        if np.isfinite(worst) and n
        else "needs more seeds"
    )
    return None, f"not determined (the N_c intervals overlap yet allow a move by ×{worst:.3g}; {need})", allow


def verdict_c3(
    factors: dict[str, dict[str, tuple[float, float]]],
    categories: dict[str, str],
    cells: dict[str, dict[str, int]] | None = None,
) -> Verdict:
    """``factors``: factor -> {value label -> N_c interval (lo, hi), ±inf for open ends, NaN where
    not located}; ``categories``: factor -> 'task', 'data' or 'architecture'; ``cells``: factor ->
    {value -> cells} (for the seeds a null call would need). A factor moves N_c when two of its
    values have disjoint intervals, and does not move it only when the intervals rule out a move by
    ``MOVE``."""
    moves, parts, state = {}, [], {}
    for f, vals in factors.items():
        known = {v: iv for v, iv in vals.items() if np.isfinite(iv[0]) or np.isfinite(iv[1])}
        if len(known) < 2:
            moves[f] = None
            parts.append(f"{f}: not determined ({len(known)} values with a located N_c)")
            continue
        moves[f], words, state[f] = _factor_state(known, (cells or {}).get(f, {}))
        parts.append(f"{f}: {words}")
    rule = (
        "N_c per value from P(take-off) (only values where RL takes off somewhere and the fit is trusted); a "
        f"factor moves N_c when two values have disjoint N_c intervals, does not when the intervals rule out a "
        f"move by x{MOVE:g}; holds if a factor of each of task, data and architecture moves it; fails if every "
        "tested factor does not; holds only for the categories where one does"
    )
    result = "; ".join(parts) if parts else "no factor was swept"
    cats = sorted(set(categories.values()) | {"task", "data", "architecture"})
    by_cat = {c: [moves.get(f) for f, cc in categories.items() if cc == c and f in moves] for c in cats}
    moved = [c for c, v in by_cat.items() if any(x is True for x in v)]
    undetermined = [c for c, v in by_cat.items() if not any(x is not None for x in v)]
    if not moves or all(v is None for v in moves.values()):
        if state:  # two values located, but the intervals neither part nor rule a move out
            f = max(state, key=lambda f: state[f][0])
            why = "no factor's N_c intervals decide whether it moves"
            return Verdict("C3", result, f"not determined: {why}", rule, decisive=f"{f}: {state[f][1]}")
        located = (sum(np.isfinite(iv[0]) or np.isfinite(iv[1]) for iv in v.values()) for v in factors.values())
        d = decides("values with a located N_c", f"at most {max(located, default=0)} per factor", "2 needed")
        return Verdict("C3", result, "not determined: no factor has two values with a located N_c", rule, decisive=d)
    if moved:  # the part that holds: the moving factor whose values lie least apart
        f = min((f for f in state if moves[f]), key=lambda f: state[f][0])
    else:  # the non-moving factor whose intervals allow the largest move
        f = max((f for f in state if moves[f] is False), key=lambda f: state[f][0], default=None)
    d = f"{f}: {state[f][1]}" if f else DASH
    if len(moved) == len(cats):
        return Verdict("C3", result, "holds", rule, decisive=d)
    if not moved:
        return Verdict(
            "C3",
            result,
            "fails: no tested factor moves N_c"
            + (f" ({', '.join(undetermined)} not determined)" if undetermined else ""),
            rule,
            decisive=d,
        )
    return Verdict(
        "C3",
        result,
        f"holds only where the factor is {' or '.join(moved)}"
        + (f" ({', '.join(undetermined)} not determined)" if undetermined else ""),
        rule,
        decisive=d,
    )


# --- C8 -------------------------------------------------------------------------------------
def verdict_c8(
    table: dict[str, dict[str, float]],
    base_only: tuple[str, ...],
    baseline: str = "ln N",
    takeoff: dict[str, float] | None = None,
) -> Verdict:
    """``table``: leave-one-setting-out scores per predictor (mae, auroc, nc_err_steps, n_settings);
    ``takeoff``: MAE per predictor, and 'seed floor', over the cells of the settings where RL takes
    off somewhere (theory.study_stats.c8_by_setting), with 'n_settings' and 'n_cells' there."""
    rule = (
        f"holds if the best base-only predictor (least MAE) has MAE <= {MAE_RATIO} x ln N's, beats ln N also on the "
        f"settings where RL takes off, and has AUROC >= {AUROC_GOOD}; fails if its MAE is not below ln N's overall "
        "or on those settings; the leave-one-seed-out floor (a cell predicted by the other seeds of its setting "
        "and width) is shown beside; not determined with < 3 settings"
    )
    cands = {
        k: v
        for k, v in table.items()
        if k in base_only and k not in (baseline, "constant") and np.isfinite(v.get("mae", np.nan))
    }
    if not cands or baseline not in table:
        d = decides("base-only predictors evaluated", "0")
        return Verdict("C8", "no predictor was evaluated", "not determined: nothing to compare", rule, decisive=d)
    best = min(cands, key=lambda k: cands[k]["mae"])
    b, ln = cands[best], table[baseline]
    result = (
        f"best base-only predictor {best}: MAE {b['mae']:.3f} vs ln N {ln['mae']:.3f}, AUROC {b['auroc']:.2f} "
        f"vs {ln['auroc']:.2f}, N_c error {b['nc_err_steps']:.2f} vs {ln['nc_err_steps']:.2f} √2 steps "
        f"({b.get('n_settings', 0):.0f} settings left out)"
    )
    t = takeoff or {}
    b_t, ln_t = t.get(best, np.nan), t.get(baseline, np.nan)
    if t:
        result += (
            f"; where RL takes off ({t.get('n_settings', 0):.0f} settings, {t.get('n_cells', 0):.0f} cells): "
            f"{best} {b_t:.3f} vs ln N {ln_t:.3f}, seed floor {t.get('seed floor', np.nan):.3f}"
        )
    n = f"{b.get('n_settings', 0):.0f} settings"
    share = b["mae"] / ln["mae"] if ln["mae"] > 0 else float("nan")
    ratio = decides(f"{best} MAE", f"{b['mae']:.3f} = {g(share, 2)} × ln N's {ln['mae']:.3f}", f"{MAE_RATIO:g} ×", n)
    if b.get("n_settings", 0) < 3:
        d = decides("settings left out", f"{b.get('n_settings', 0):.0f}", ">= 3")
        return Verdict("C8", result, f"not determined: only {b.get('n_settings', 0):.0f} settings", rule, decisive=d)
    if not b["mae"] < ln["mae"]:
        why = "fails: no base-only measurement predicts the gain better than size"
        return Verdict("C8", result, why, rule, decisive=ratio)
    if t and not b_t < ln_t:
        why = "where RL takes off, the best base-only predictor does not beat ln N"
        d = decides(
            f"{best} MAE where RL takes off",
            f"{b_t:.3f}",
            f"ln N's {ln_t:.3f}",
            f"{t.get('n_settings', 0):.0f} settings",
        )
        return Verdict(
            "C8", result, f"fails: {why} (its margin comes from settings where RL does not)", rule, decisive=d
        )
    if b["mae"] <= MAE_RATIO * ln["mae"] and np.isfinite(b["auroc"]) and b["auroc"] >= AUROC_GOOD:
        return Verdict("C8", result, "holds", rule, decisive=ratio)
    return Verdict(
        "C8",
        result,
        "holds only in part: base-only measurements beat size, but not by the "
        "rule's margin or not separating gaining cells well",
        rule,
        decisive=ratio,
    )
