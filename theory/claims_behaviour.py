"""Verdicts on the study's claims about the aha moment itself: C10 (the gain arrives as an abrupt
event in training whose onset φ predicts) and C11 (RL teaches self-correction only above a size).
Same conventions as `theory.claims` (C1-C9)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .text import mean_interval as _fmt
from .verdict import GAIN, LEVEL, MIN_CELLS, Verdict, mean_ci


def fix_use(df, ph: str):
    """Rate of fixing revisions of phase ``ph`` (base / rl) per row of a cell table: wait_rate x
    revise_fix_rate, 0 without revisions (C11's measure of self-correction)."""
    return df[f"{ph}_wait_rate"] * df[f"{ph}_revise_fix_rate"].fillna(0.0)


# --- C10 ------------------------------------------------------------------------------------
ABRUPT = 0.5
"""C10: the aha is the rule when at least this fraction of the gaining cells' reward curves has one."""
MIN_RHO = 5
"""C10: fewer cells with an aha than this and whether φ predicts the onset is not determined."""


def spearman(x, y) -> tuple[float, float, int]:
    """Spearman (ρ, p, n) over the finite pairs; NaN ρ and p with fewer than MIN_RHO pairs or no spread."""
    a, b = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_RHO or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan"), float("nan"), int(ok.sum())
    r = stats.spearmanr(a[ok], b[ok])
    return float(r.statistic), float(r.pvalue), int(ok.sum())


def verdict_c10(gaining_found, onset, phi_start, first_signal=None) -> Verdict:
    """``gaining_found``: per cell that gained >= GAIN (and whose curve was judged), whether its
    reward curve has an aha (theory.onset); ``onset``, ``phi_start`` (φ measured at the first RL
    update) and ``first_signal`` (theory.onset.first_signal_time): per cell with an aha."""
    f = np.asarray(gaining_found, bool)
    n, k = int(f.size), int(f.sum())
    rho, p, m = spearman(phi_start, onset)
    rho_fs, p_fs, m_fs = spearman(np.full(len(onset), np.nan) if first_signal is None else first_signal, onset)
    on = np.asarray(onset, float)
    frac = k / n if n else float("nan")
    result = (
        f"{k} of {n} cells that gained >= {GAIN} had an aha ({frac:.0%})"
        + (f", onset at updates {np.nanmin(on):.0f}-{np.nanmax(on):.0f}" if np.isfinite(on).any() else "")
        + f"; Spearman ρ(φ at the first RL update, onset) = {rho:.2f} (p = {p:.2g}, n={m}); "
        f"ρ(predicted first-signal time, onset) = {rho_fs:.2f} (p = {p_fs:.2g}, n={m_fs})"
    )
    rule = (
        f"part 1 (abrupt) holds if >= {ABRUPT:.0%} of the cells that gained >= {GAIN} have an aha "
        f"(theory.onset), fails if < {ABRUPT / 2:.0%} do; part 2 (φ predicts the onset) holds if ρ(φ at the "
        f"first update, onset) < 0 with p < 0.05 over the cells with an aha (>= {MIN_RHO}); holds if both "
        f"parts hold, fails if part 1 fails; not determined with < {MIN_CELLS} gaining cells"
    )
    if n < MIN_CELLS:
        return Verdict("C10", result, f"not determined: {n} cells gained >= {GAIN} (need >= {MIN_CELLS})", rule)
    if frac < ABRUPT / 2:
        return Verdict(
            "C10", result, f"fails: RL's gains mostly arrive gradually ({k} of {n} gaining cells rise abruptly)", rule
        )
    predicts = np.isfinite(rho) and rho < 0 and p < 0.05
    if not np.isfinite(rho):
        part2 = f"whether φ predicts the onset is not determined ({m} cells with an aha and varying φ)"
    elif predicts:
        part2 = "φ at the start of RL predicts the onset"
    else:
        part2 = f"φ at the start of RL does not predict the onset (ρ = {rho:.2f}, p = {p:.2g})"
    if frac >= ABRUPT and predicts:
        return Verdict("C10", result, "holds", rule)
    if frac >= ABRUPT:
        return Verdict("C10", result, f"holds only in part: the gains rise abruptly, but {part2}", rule)
    return Verdict("C10", result, f"holds only in part: {frac:.0%} of the gaining cells rise abruptly; {part2}", rule)


# --- C11 ------------------------------------------------------------------------------------
def verdict_c11(
    by_width: dict[int, list[float]], gain_diff: dict[int, list[float]] | None = None, why_not: str = ""
) -> Verdict:
    """``by_width``: width -> per seed, the change RL makes in self-correction (after RL minus base
    of the rate of revisions that turn a wrong step right) with revise on; ``gain_diff``: width ->
    RL gain with revise minus without, paired by seed (reported). ``why_not``: why there are no
    revise cells, when there are none. A width *amplifies* when its interval lies above 0,
    *suppresses* when below."""
    if not by_width:
        return Verdict(
            "C11",
            why_not or "no revise cells",
            f"not determined: {why_not or 'no revise cells'}",
            "needs cells with revise on, base and after RL",
        )
    ws = sorted(by_width)
    cls, parts = {}, []
    for w in ws:
        mc = mean_ci(by_width[w])
        cls[w] = (
            None
            if mc[3] < 2 or not np.isfinite(mc[1])
            else "amplifies"
            if mc[1] > 0
            else "suppresses"
            if mc[2] < 0
            else "no change"
        )
        g = f", gain with minus without revise {_fmt(mean_ci(gain_diff[w]))}" if gain_diff and w in gain_diff else ""
        parts.append(f"width {w}: {_fmt(mc)} ({cls[w] or 'too few seeds'}){g}")
    result = "change in the rate of fixing revisions (after RL − base) per width: " + "; ".join(parts)
    rule = (
        "a width amplifies self-correction when the change RL makes in the rate of revisions that fix a step "
        f"(after RL − base, revise on) has its {LEVEL:.0%} interval above 0, suppresses it when below; holds if "
        "some width amplifies and every larger width does while no smaller one does; fails if the smallest "
        "width amplifies too; holds only in part if the amplifying widths are not all above the others; not "
        "determined with < 2 widths of >= 2 seeds or no amplifying width"
    )
    known = [w for w in ws if cls[w] is not None]
    amp = [w for w in known if cls[w] == "amplifies"]
    sup = [w for w in known if cls[w] == "suppresses"]
    if len(known) < 2:
        return Verdict("C11", result, f"not determined: {len(known)} widths with >= 2 seeds", rule)
    tail = f" (suppressed at width {', '.join(map(str, sup))})" if sup else ""
    if not amp:
        return Verdict(
            "C11",
            result,
            "not determined: RL amplifies self-correction at no size measured, so no size "
            f"above which it does is seen{tail}",
            rule,
        )
    if amp[0] == known[0]:
        return Verdict(
            "C11", result, f"fails: RL amplifies self-correction at the smallest width ({known[0]}) too", rule
        )
    if all(w in amp for w in known if w >= amp[0]):
        return Verdict("C11", result + f"; RL amplifies self-correction from width {amp[0]} on{tail}", "holds", rule)
    return Verdict(
        "C11",
        result,
        f"holds only in part: RL amplifies self-correction at width "
        f"{', '.join(map(str, amp))}, but not at every larger width{tail}",
        rule,
    )
