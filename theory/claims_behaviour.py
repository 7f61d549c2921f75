"""Verdicts on the study's claims about the aha moment itself: C10 (the gain arrives as an abrupt
event in training whose onset φ predicts) and C11 (RL teaches self-correction only above a size).
Same conventions as `theory.claims` (C1-C9)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .onset import GOOD_POWER
from .power import power_row
from .text import decides, signed
from .text import g as _g
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


def verdict_c10(gaining_found, onset, phi_start, first_signal=None, power: float = float("nan")) -> Verdict:
    """``gaining_found``: per cell that gained >= GAIN (and whose curve was judged), whether its
    reward curve has an aha (theory.onset); ``onset``, ``phi_start`` (φ measured at the first RL
    update) and ``first_signal`` (theory.onset.first_signal_time): per cell with an aha; ``power``:
    the share of synthetic steps of the gaining cells' own rise and noise that the detector finds
    (theory.onset.detector_power, mean over those cells)."""
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
        f"ρ(predicted first-signal time, onset) = {rho_fs:.2f} (p = {p_fs:.2g}, n={m_fs}); the detector finds "
        f"{power:.0%} of synthetic steps of the gaining cells' own rise at their own noise"
    )
    rule = (
        f"part 1 (abrupt) holds if >= {ABRUPT:.0%} of the cells that gained >= {GAIN} have an aha "
        f"(theory.onset), fails if < {ABRUPT / 2:.0%} do; part 2 (φ predicts the onset) holds if ρ(φ at the "
        f"first update, onset) < 0 with p < 0.05 over the cells with an aha (>= {MIN_RHO}); holds if both "
        f"parts hold, fails if part 1 fails and the detector's power on synthetic steps at the measured noise "
        f"is >= {GOOD_POWER:.0%} (else not determined); not determined with < {MIN_CELLS} gaining cells"
    )
    share = lambda against: decides("gaining cells with an aha", f"{frac:.0%} ({k} of {n})", against)  # noqa: E731
    if n < MIN_CELLS:
        d = decides(f"cells that gained >= {GAIN}", str(n), f">= {MIN_CELLS}")
        return Verdict(
            "C10", result, f"not determined: {n} cells gained >= {GAIN} (need >= {MIN_CELLS})", rule, decisive=d
        )
    if frac < ABRUPT / 2 and not (np.isfinite(power) and power >= GOOD_POWER):
        found = f"finds only {power:.0%} of" if np.isfinite(power) else "was not tried on"
        why = f"{k} of {n} gaining cells rise abruptly, but the detector {found} synthetic steps"
        seen = f"{power:.0%}" if np.isfinite(power) else "not measured"
        d = decides("detector power on synthetic steps", seen, f"{GOOD_POWER:.0%}", f"{n} gaining cells")
        return Verdict(
            "C10", result, f"not determined: {why} at their noise (need >= {GOOD_POWER:.0%})", rule, decisive=d
        )
    if frac < ABRUPT / 2:
        why = f"fails: RL's gains mostly arrive gradually ({k} of {n} gaining cells rise abruptly)"
        return Verdict("C10", result, why, rule, decisive=share(f"{ABRUPT / 2:.0%} boundary"))
    predicts = np.isfinite(rho) and rho < 0 and p < 0.05
    if not np.isfinite(rho):
        part2 = f"whether φ predicts the onset is not determined ({m} cells with an aha and varying φ)"
    elif predicts:
        part2 = "φ at the start of RL predicts the onset"
    else:
        part2 = f"φ at the start of RL does not predict the onset (ρ = {rho:.2f}, p = {p:.2g})"
    if frac >= ABRUPT and predicts:
        return Verdict("C10", result, "holds", rule, decisive=share(f"{ABRUPT:.0%} boundary"))
    if frac >= ABRUPT:
        why = f"holds only in part: the gains rise abruptly, but {part2}"
        return Verdict("C10", result, why, rule, decisive=share(f"{ABRUPT:.0%} boundary"))
    d = (
        decides("Spearman ρ(φ at the first update, onset)", f"{signed(rho)} (p = {_g(p, 2)})", "0 at p < 0.05", m)
        if predicts
        else share(f"{ABRUPT:.0%} boundary")
    )
    why = f"holds only in part: {frac:.0%} of the gaining cells rise abruptly; {part2}"
    return Verdict("C10", result, why, rule, decisive=d)


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
            decisive=decides("widths with revise cells", "0"),
        )
    ws = sorted(by_width)
    cls, parts, mcs = {}, [], {}
    for w in ws:
        mc = mcs[w] = mean_ci(by_width[w])
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

    def at(w: int) -> str:  # the change at one width, against 0 (its interval shows the side)
        return decides(f"width {w}: Δ fixing-revision rate", _fmt(mcs[w]), "0")

    if len(known) < 2:
        d = decides("widths with >= 2 seeds", str(len(known)), ">= 2")
        return Verdict("C11", result, f"not determined: {len(known)} widths with >= 2 seeds", rule, decisive=d)
    tail = f" (suppressed at width {', '.join(map(str, sup))})" if sup else ""
    if not amp:
        closest = max(known, key=lambda w: mcs[w][1])
        return Verdict(
            "C11",
            result,
            "not determined: RL amplifies self-correction at no size measured, so no size "
            f"above which it does is seen{tail}",
            rule,
            decisive=at(closest),
        )
    if amp[0] == known[0]:
        why = f"fails: RL amplifies self-correction at the smallest width ({known[0]}) too"
        return Verdict("C11", result, why, rule, decisive=at(known[0]))
    if all(w in amp for w in known if w >= amp[0]):
        found = result + f"; RL amplifies self-correction from width {amp[0]} on{tail}"
        return Verdict("C11", found, "holds", rule, decisive=at(amp[0]))
    return Verdict(
        "C11",
        result,
        f"holds only in part: RL amplifies self-correction at width "
        f"{', '.join(map(str, amp))}, but not at every larger width{tail}",
        rule,
        decisive=at(amp[0]),
    )


# --- from the study's cell table ------------------------------------------------------------
ONSET_COLS = ("aha_found", "aha_call", "aha_onset", "aha_jump", "aha_sharpness", "first_signal", "aha_power")
"""Per cell: the change-point call of its reward curve and the predicted first-signal time."""


def add_onsets(cells, curves: dict):
    """Columns of ONSET_COLS per cell: the change-point fit of its reward curve over RL updates
    (call 'n/a' without one or when not ok, 'curriculum' when the RL horizon changes: not judged)."""
    from .onset import detect_onset, detector_power, first_signal_time  # noqa: PLC0415

    cells = cells.copy()
    out = {c: [] for c in ONSET_COLS}
    for row in cells.itertuples(index=False):
        cv = curves.get((row.setting, row.width, row.seed)) or {}
        o = None
        h = cv.get("rl_horizon")
        sched = h is not None and np.nanmax(h) != np.nanmin(h)
        if row.status == "ok" and "reward" in cv and not sched:
            o = detect_onset(cv["step"], cv["reward"])
        out["aha_found"].append(bool(o.found) if o else False)
        out["aha_call"].append(o.call if o else ("curriculum" if sched and row.status == "ok" else "n/a"))
        for col, attr in (("aha_onset", "onset"), ("aha_jump", "jump"), ("aha_sharpness", "sharpness")):
            out[col].append(getattr(o, attr) if o else np.nan)
        gained = o is not None and np.isfinite(getattr(row, "gain", np.nan)) and row.gain >= GAIN
        r = np.asarray(cv.get("reward", []), float)
        rise = float(np.nanmean(r[-3:]) - np.nanmean(r[:3])) if gained and r.size >= 6 else np.nan
        out["aha_power"].append(detector_power(cv["step"], r, rise, (row.width, row.seed)) if gained else np.nan)
        pt = getattr(row, "p_trace1", np.nan)
        out["first_signal"].append(
            float(first_signal_time(pt, row.G, getattr(row, "prompts", 16))) if np.isfinite(pt) else np.nan
        )
    for c, v in out.items():
        cells[c] = v
    return cells


def judged_cells(cells):
    """C10's cells: ok RL cells whose reward curve was judged, each setting once (the aha-behaviour
    grid repeats other grids' plain settings)."""
    rl = cells[(cells.status == "ok") & np.isfinite(cells.get("gain", np.nan))]
    return rl[~rl.aha_call.isin(["n/a", "curriculum", "too short"])].drop_duplicates(["key", "width", "seed"])


def decide_c10(cells) -> Verdict:
    """C10 from the cell table (with add_onsets' columns); numbers: the calls and a row per width."""
    rl = judged_cells(cells)
    gaining, aha = rl[rl["gain"] >= GAIN], rl[rl["aha_found"]]
    power = (
        float(np.nanmean(gaining["aha_power"]))
        if "aha_power" in gaining and gaining["aha_power"].notna().any()
        else np.nan
    )
    v = verdict_c10(gaining["aha_found"].to_numpy(bool), aha["aha_onset"], aha["phi_start"], aha["first_signal"], power)
    v.power = power_row({"gaining cells": len(gaining)}, power, GOOD_POWER, "share of synthetic steps found (power)")
    per_width = []
    for w, g in rl.groupby("width"):
        gg = g[g["gain"] >= GAIN]
        per_width.append(
            {
                "width": int(w),
                "judged": len(g),
                "gaining": len(gg),
                "aha": int(g.aha_found.sum()),
                "aha_gaining": int(gg.aha_found.sum()),
                "onsets": [float(x) for x in sorted(g.loc[g.aha_found, "aha_onset"])],
            }
        )
    calls = [[k, int(n)] for k, n in rl["aha_call"].value_counts().to_dict().items()]
    figures = [] if rl.empty else ["C10_onset.png"]
    v.numbers, v.n = {"judged": len(rl), "calls": calls, "per_width": per_width, "figures": figures}, len(gaining)
    return v


def combine_tasks(per_task: dict[str, Verdict]) -> Verdict:
    """One C11 verdict from the per-task ones, led by one of the verdict words: the common verdict;
    else 'holds only where the task is ...' when some task holds; else 'holds only in part', 'fails'
    or 'not determined' in that order of precedence, each task's own verdict after it."""
    result = "; ".join(f"{t}: {v.result}" for t, v in per_task.items())
    words = {t: v.verdict for t, v in per_task.items()}
    rule = next(iter(per_task.values())).rule + "; decided per task, then combined"

    def of(tasks) -> str:  # the deciding numbers of the tasks that lead the combined verdict
        return "; ".join(f"{t}: {per_task[t].decisive}" for t in tasks)

    if len(set(words.values())) == 1:
        return Verdict("C11", result, next(iter(words.values())), rule, decisive=of(per_task))
    each = "; ".join(f"{t}: {w}" for t, w in words.items())
    held = [t for t, w in words.items() if w == "holds"]
    if held:
        rest = "; ".join(f"{t}: {w}" for t, w in words.items() if t not in held)
        return Verdict(
            "C11", result, f"holds only where the task is {', '.join(held)} ({rest})", rule, decisive=of(held)
        )
    for lead in ("holds only in part", "fails", "not determined"):
        if any(w.startswith(lead) for w in words.values()):
            d = of(t for t, w in words.items() if w.startswith(lead))
            return Verdict("C11", result, f"{lead}: {each}", rule, decisive=d)
    return Verdict("C11", result, f"not determined: {each}", rule, decisive=of(per_task))


def _mean(s) -> float:
    a = np.asarray(s, float)
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def behaviour_table(sub) -> list[dict]:
    """Means over seeds per (task, revise, width): wait rate, fix rate, fixing revisions, completion
    length, base and after RL, and the RL gain (held-out prompts, in-distribution)."""
    rows = []
    for (task, revise, w), g in sub.groupby(["task", "revise", "width"]):
        row = {"task": task, "revise": bool(revise), "width": int(w)}
        for ph in ("base", "rl"):
            row |= {
                f"{ph}_wait_rate": _mean(g[f"{ph}_wait_rate"]),
                f"{ph}_revise_fix_rate": _mean(g[f"{ph}_revise_fix_rate"]),
                f"{ph}_fix_use": _mean(fix_use(g, ph)),
                f"{ph}_completion_len": _mean(g[f"{ph}_completion_len"]),
            }
        rows.append(row | {"gain": _mean(g.gain)})
    return rows


def behaviour_cells(cells, behaviour: list[str]):
    """C11's cells: the ok cells of the behaviour grids."""
    return cells[cells.grid.isin(behaviour) & (cells.status == "ok")]


def decide_c11(cells, behaviour: list[str]) -> Verdict:
    """C11 per task from the behaviour grids' cells with revise on, combined; numbers: behaviour_table."""
    sub = behaviour_cells(cells, behaviour)
    need = {f"{ph}_{v}" for ph in ("base", "rl") for v in ("wait_rate", "revise_fix_rate")}
    rev = sub[sub.revise] if "revise" in sub else sub.iloc[:0]
    if rev.empty or not need <= set(sub.columns):
        why = (
            "the study has no grid with revise cells"
            if rev.empty
            else "the results hold no wait_rate / revise_fix_rate"
        )
        d = decides("revise cells", "0") if rev.empty else decides("wait_rate / revise_fix_rate columns", "missing")
        return Verdict(
            "C11", why, f"not determined: {why}", "needs cells with revise on, base and after RL", decisive=d
        )
    rev = rev.assign(delta=fix_use(rev, "rl") - fix_use(rev, "base"))
    plain = sub[~sub.revise].set_index(["task", "width", "seed"])["gain"]
    per_task = {}
    for task, g in rev.groupby("task"):
        by_w = {int(w): list(x["delta"]) for w, x in g.groupby("width")}
        diff = {
            int(w): list((x.set_index(["task", "width", "seed"])["gain"] - plain).dropna())
            for w, x in g.groupby("width")
        }
        per_task[task] = verdict_c11(by_w, diff)
    v = combine_tasks(per_task)
    v.numbers, v.n = {"table": behaviour_table(sub), "figures": ["C11_revisions.png"]}, len(rev)
    return v
