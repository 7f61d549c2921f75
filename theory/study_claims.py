"""The study's claims C1-C9 decided from its cell table (toymodels.cells; one row per cell with its
curve measures, theory.study_stats.add_curve_measures): each ``decide_cN`` reduces the table
(theory.study_stats) and calls the claim's rule (theory.claims.verdict_cN). The Verdict's
``numbers`` hold what study.md's section shows beside the verdict (its tables), in lists where
the order matters, so study.md renders from verdicts.json alone. Moved from aha/study_report.py
(issue 21). C5 reads the tokens (issue 23: `decide_c5` on one arm's cells; the format share of
reward is only reported). C10 and C11 are in theory.claims_behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import claims
from . import study_stats as sa
from .evidence import excluded_counts, split_evidence
from .power import mde_proportions, n_for_proportions, power_row
from .predict_gain import BASE_ONLY, PREDICTORS, fit_predictor, leave_one_setting_out, select_combination
from .study_signals import benefits
from .takeoff import fit_takeoff, takeoff_from_gain
from .text import decides, sci
from .verdict import GAIN, Verdict

CAPABILITY_LINE = 0.05
"""C1: a cell has base capability when its base trace pass@k_max (a fully correct trace in k_max samples) is >= this."""


@dataclass
class Setup:
    """What the claims read: the cells of C1-C9 (the behaviour grids left out), the reference
    setting's key, the size class of each reference width and the recipe settings."""

    cells: pd.DataFrame
    ref: str
    classes: dict[int, str]
    recipe: dict[str, tuple[str, set[str]]]
    c9: pd.DataFrame | None = None
    """The cells of C9's own grid (longer RL with its own plain arm, variant 'plain'), when the study
    has one; C9 then reads them instead of the recipe settings beside the reference."""
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The cells set aside by their rl_health (no-signal, broke-capable: theory.evidence), which no
    claim reads; each verdict reports how many of them its settings had."""
    sig: Setup | None = None
    """C5-C7's own view when the study has a signals grid with a 'plain' arm (`own_setup`): that
    grid's cells, its plain arm as the reference, its own size classes and variants, so that every
    arm shares one base (pretrained on a corpus that shows each signal). None: C5-C7 read the
    recipe settings beside the reference (studies recorded before issue 22's readable signals)."""

    def signals(self) -> Setup:
        """The view C5-C7 read: the signals grid's own (``sig``) when there is one, else this."""
        return self.sig if self.sig is not None else self

    def with_excluded(self) -> pd.DataFrame:
        """Every cell of C1-C8's grids, the set-aside ones too (C7's benefits count them per signal)."""
        return pd.concat([self.cells, self.excluded]) if len(self.excluded) else self.cells

    @property
    def refc(self) -> pd.DataFrame:
        """The reference setting's ok cells."""
        return self.cells[(self.cells.key == self.ref) & (self.cells.status == "ok")]

    def plain(self) -> pd.DataFrame:
        """Cells of every setting but the recipe ones."""
        return self.cells[~self.cells.setting.isin([s for s, _ in self.recipe.values()])]

    def pick(self, fields: set[str]) -> dict[str, tuple[str, set[str]]]:
        """The recipe settings that change only ``fields``."""
        return {n: v for n, v in self.recipe.items() if v[1] <= fields}


def own_setup(cells: pd.DataFrame) -> Setup:
    """The view of a grid with its own 'plain' arm: that arm's key as the reference, every other
    variant a recipe setting against it, widths small or large by that arm's own mean gain."""
    ref = cells.loc[cells.variant == "plain", "key"].iloc[0]
    recipe = sa.recipe_settings(cells, ref)
    kept, out = split_evidence(cells)
    return Setup(kept, ref, sa.size_classes(kept, ref), recipe, excluded=out)


def setup(cells: pd.DataFrame, ref: str, c9_grid: str | None = None, signals_grid: str | None = None) -> Setup:
    """The claims' view of a study's cells; ``c9_grid``: the name of C9's own grid, ``signals_grid``:
    the name of C5-C7's grid, each kept apart from every other claim's cells when it has its own
    'plain' arm (a signals grid without one holds recipe settings of the reference, as before)."""
    own = lambda name: (  # noqa: E731
        cells[cells.grid == name] if name and "grid" in cells and (cells.grid == name).any() else None
    )
    c9, sig = own(c9_grid), own(signals_grid)
    sig = sig if sig is not None and (sig.variant == "plain").any() else None
    rest = cells[~cells.grid.isin([g for g, d in ((c9_grid, c9), (signals_grid, sig)) if d is not None])]
    recipe = sa.recipe_settings(rest, ref)
    rest, out = split_evidence(rest)  # issue 22: no claim reads a no-signal or broke-capable cell
    if c9 is not None:
        c9, out9 = split_evidence(c9)
        out = pd.concat([out, out9]) if len(out9) else out
    return Setup(rest, ref, sa.size_classes(rest, ref), recipe, c9, out, own_setup(sig) if sig is not None else None)


def claim_settings(s: Setup) -> dict[str, list[str]]:
    """The settings each claim of C1-C9 reads (for the counts of cells set aside)."""
    allc = s.with_excluded()
    recipe = [st for st, _ in s.recipe.values()]
    plain = sorted(set(allc.setting) - set(recipe))
    ref = sorted(set(allc.loc[allc.key == s.ref, "setting"]))

    def pick(fields):
        return ref + [st for st, _ in s.pick(fields).values()]

    c9 = pick(sa.C9_FIELDS) + (sorted(set(s.c9.setting)) if s.c9 is not None else [])
    out = {"C1": plain, "C2": ref, "C3": plain, "C4": ref, "C8": plain, "C9": c9}
    if s.sig is not None:  # C5-C7 read the signals grid's own cells, its plain arm the reference
        return out | {c: v for c, v in claim_settings(s.sig).items() if c in ("C5", "C6", "C7")}
    return out | {"C5": ref, "C6": pick(sa.C6_FIELDS), "C7": pick(sa.C7_FIELDS)}


def fit_predictors(s: Setup):
    """C8's predictors on the ok plain-recipe cells: (leave-one-setting-out scores, the best base-only
    predictor's name, {name: predictor fitted on every such cell}, the cells they were fitted on)."""
    plain = s.plain()
    plain = plain[(plain.status == "ok") & np.isfinite(plain["gain"])].copy()
    loso = leave_one_setting_out(plain)
    fitted = {
        n: (select_combination(plain) if PREDICTORS[n] is None else fit_predictor(plain, n, PREDICTORS[n]))
        for n in BASE_ONLY
    }
    cands = {n: loso.table[n]["mae"] for n in BASE_ONLY if n not in ("ln N", "constant") and n in loso.table}
    best = min(cands, key=lambda n: (np.nan_to_num(cands[n], nan=np.inf), n)) if cands else "ln N"
    return loso, best, fitted, plain


def capability_cells(s: Setup) -> pd.DataFrame:
    """C1's cells: ok, with a gain, of the plain recipe."""
    c = s.plain()
    return c[(c.status == "ok") & np.isfinite(c["gain"])]


def decide_c1(s: Setup) -> Verdict:
    cap = capability_cells(s)
    low = cap[cap["coverage"] < CAPABILITY_LINE]
    v = claims.verdict_c1(
        low["gain"],
        cap[cap["coverage"] >= CAPABILITY_LINE]["gain"],
        float(np.nanmean(low["collapsed"].astype(float))) if len(low) else float("nan"),
        f"base trace pass@k_max < {CAPABILITY_LINE}",
    )
    v.numbers, v.n = {"capability_line": CAPABILITY_LINE, "figures": ["C1_gain_vs_capability.png"]}, len(cap)
    return v


def reference_cells(s: Setup) -> pd.DataFrame:
    """The reference setting's ok cells with a gain, every seed (refinement rounds included)."""
    sub = s.cells[(s.cells.key == s.ref) & (s.cells.status == "ok")]
    return sub[np.isfinite(sub["gain"])]


def decide_c2(ref: pd.DataFrame, refine_log: dict, predictor_nc_err: float):
    """C2's verdict and the take-off fit behind it (None when the fit was impossible)."""
    if ref["n_params"].nunique() < 2:
        err = f"take-off fit impossible: {ref['n_params'].nunique()} size(s)"
        d = decides("sizes with a gain", str(ref["n_params"].nunique()), ">= 2", len(ref))
        return Verdict("C2", err, f"not determined: {err}", "needs P(take-off) at >= 2 sizes", decisive=d), None
    fit = fit_takeoff(ref["n_params"], takeoff_from_gain(ref["gain"]), ref["gain"])
    stops = [e[-1]["stop"] + ": " + e[-1]["reason"] for e in refine_log.values() if e]
    v = claims.verdict_c2(fit, "; ".join(stops), predictor_nc_err)
    v.numbers = {"figures": ["C2_takeoff.png"], "takeoff": fit.to_dict()}
    v.n = fit.n_cells
    v.power = power_row(
        {sci(N): n for N, n in zip(fit.sizes, fit.n_per_size, strict=True)},
        mde_proportions(0.5, min(fit.n_per_size), min(fit.n_per_size)),
        0.5,
        "rise of the take-off rate between two sizes (around 1/2)",
        n_for_proportions(0.25, 0.75),
    )
    if fit.N_c is not None:
        v.interval = fit.N_c_ci
    return v, fit


def decide_c3(s: Setup) -> Verdict:
    """A factor moves N_c when two of its values have disjoint N_c brackets; numbers: each factor's
    values with their setting, crossing N_c and bracket."""
    groups = sa.factor_groups(s.cells, s.ref)
    rows = []
    for f, vals in groups.items():
        values = []
        for value, setting in vals.items():
            t = sa.nc_interval(s.cells[(s.cells.setting == setting) & (s.cells.status == "ok")])
            values.append({"value": value, "setting": setting, **t, "interval": list(t["interval"])})
        rows.append({"factor": f, "category": sa.FACTORS[f], "values": values})
    factors = {r["factor"]: {x["value"]: tuple(x["interval"]) for x in r["values"]} for r in rows}
    ncells = {r["factor"]: {x["value"]: x["cells"] for x in r["values"]} for r in rows}
    v = claims.verdict_c3(factors, {f: sa.FACTORS[f] for f in factors}, ncells)
    arms = {f"{r['factor']}={x['value']}": x["cells"] for r in rows for x in r["values"] if x["located"]}
    v.power = power_row(arms, float("nan"), claims.MOVE, "factor of N_c (from the intervals)") if arms else {}
    v.numbers = {"factors": rows, "figures": ["C3_nc_factors.png"] if groups else []}
    return v


def decide_c4(s: Setup) -> Verdict:
    refc = s.refc
    cls = refc["width"].map(s.classes)

    def summ(mask):
        sub = refc[mask]
        sd = sub.groupby("width")["final_reward"].std().mean() if len(sub) else np.nan
        return {
            "n": len(sub),
            "rise_fall": float(np.nanmean(sub["rise_fall"].astype(float))) if len(sub) else 0.0,
            "rise_fall_null": float(np.nanmean(sub["rise_fall_null"].astype(float))) if len(sub) else float("nan"),
            "collapsed": float(np.nanmean(sub["collapsed"].astype(float))) if len(sub) else 0.0,
            "final_sd": float(sd) if np.isfinite(sd) else float("nan"),
        }

    small, large = summ(cls == "small"), summ(cls == "large")
    v = claims.verdict_c4(small, large)
    v.numbers, v.n = {"small": small, "large": large, "figures": ["C4_C5_C6_curves.png"]}, small["n"]
    return v


def format_setting(s: Setup) -> str | None:
    """The recipe setting with a format bonus (C5), if the study ran one."""
    return next((st for st, d in s.recipe.values() if "format_bonus" in d), None)


def share_words(s: Setup) -> str:
    """The old format share of reward of the format-bonus arm in words (claims_c5.share_report), when
    the study ran one ('' otherwise): C5 reports it beside the token measure; it decides nothing."""
    fmt = format_setting(s)
    if not fmt:
        return ""
    fc = s.cells[(s.cells.setting == fmt) & (s.cells.status == "ok")]
    if not {"format_start", "format_end"} <= set(fc.columns):
        return ""
    cls = fc["width"].map(s.classes)
    bonus = float(fc["format_bonus"].iloc[0]) if "format_bonus" in fc and len(fc) else float("nan")
    r = sa.share_vs_pass1(fc, bonus) if np.isfinite(bonus) else float("nan")
    small, large = fc[cls == "small"], fc[cls == "large"]
    return claims.share_report(small["format_start"], small["format_end"], large["format_end"], r)


def c5_table(cells: pd.DataFrame, classes: dict[int, str], e: np.ndarray) -> list[dict]:
    """C5's table, one row per width: its class, n, the seed means of the token measures before and
    after RL (format_mass_task where recorded), of the format excess e and of the pass@1 gain."""
    cols = [*sa.TOKEN_COLUMNS, *(c for c in ("base_format_mass_task", "rl_format_mass_task") if c in cells)]
    df = cells.assign(excess=e)[["width", *cols, "excess", "gain"]]
    rows = []
    for w, sub in df.groupby("width"):
        row = {"width": int(w), "class": classes.get(int(w), "unclassed"), "n": int(np.isfinite(sub["excess"]).sum())}
        rows.append(row | {c: float(np.nanmean(sub[c])) if sub[c].notna().any() else None for c in df if c != "width"})
    return rows


def decide_c5(cells: pd.DataFrame, classes: dict[int, str], reported: str = "") -> Verdict:
    """C5 on the tokens from the cells of ONE arm (RL without any format reward; ok cells with width,
    seed, gain and sa.TOKEN_COLUMNS) and the size class of each width: per cell the format excess
    e = Δformat − Δtask (sa.format_excess), small against large (claims.verdict_c5), and whether e is
    a function of the pass@1 gain (Pearson r over the cells). Cells without the token columns (grids
    written before they were recorded) give an honest not determined. ``reported``: words beside the
    result that decide nothing (`share_words`)."""
    e = sa.format_excess(cells)
    if not np.isfinite(e).any():
        why = "format tokens not recorded in this study's grids"
        result = why + (f"; {reported}" if reported else "")
        d = decides("cells with token measures", "0")
        return Verdict("C5", result, f"not determined: {why}", claims.c5_rule(), decisive=d)
    cls = cells["width"].map(lambda w: classes.get(int(w), ""))
    r = sa.pearson(e, cells["gain"])
    v = claims.verdict_c5(e[(cls == "small").to_numpy()], e[(cls == "large").to_numpy()], r, reported)
    within = {f"r_gain_{k}": sa.pearson(e[(cls == k).to_numpy()], cells["gain"][cls == k]) for k in ("small", "large")}
    v.numbers = {"table": c5_table(cells, classes, e), "r_gain": r, **within}
    v.n = int(np.isfinite(e[(cls == "small").to_numpy()]).sum())
    return v


def decide_c5_study(s: Setup, cells: pd.DataFrame | None = None) -> Verdict:
    """C5 in a study: `decide_c5` on ``cells`` (default the reference setting's ok cells, ``s.refc``:
    plain RL; a signals grid's own plain arm can be passed instead) with the study's size classes,
    reporting the format-bonus arm's format share beside it (`share_words`)."""
    arm = s.refc if cells is None else cells
    v = decide_c5(arm, s.classes, share_words(s))
    v.numbers = {**v.numbers, "setting": ", ".join(sorted(set(arm["setting"]))) if "setting" in arm else ""}
    return v


def _small_diffs(s: Setup, setting: str, column: str = "gain") -> dict[str, list[float]]:
    return sa.by_class(sa.paired_diffs(s.cells, s.ref, setting, column), s.classes)


def decide_c6(s: Setup) -> Verdict:
    """Entropy kept against ln N over the reference's cells; the knobs (temperature, entropy bonus)
    against plain in the signals view (``Setup.signals``), paired by width and seed."""
    g = s.signals()
    c6 = g.pick(sa.C6_FIELDS)
    refc = s.refc
    v = claims.verdict_c6(
        np.log(refc["n_params"]), refc["entropy_kept"], {n: _small_diffs(g, st)["small"] for n, (st, _) in c6.items()}
    )
    v.numbers, v.n = {"signals": list(c6), "figures": ["C6_knobs.png"] if c6 else []}, len(refc)
    temps = sorted(refc["temperature"].dropna().unique()) if "temperature" in refc else []
    v.rule += (
        "; entropy is compared at one sampling temperature (the reference cells"
        + (f", T = {temps[0]:g})" if len(temps) == 1 else ")")
        + " and the variants by evaluation pass@1 at the shared evaluation temperature"
    )
    return v


def decide_c7(s: Setup) -> Verdict:
    """Design signals against plain at small and large widths in the signals view (``Setup.signals``);
    numbers: N_c of plain and each signal."""
    s = s.signals()
    c7 = s.pick(sa.C7_FIELDS)
    every = s.with_excluded()  # benefits judges health itself and counts the set-aside cells per signal
    diffs, excluded, counts = benefits(every, s.ref, {n: st for n, (st, _) in c7.items()}, s.classes)
    v = claims.verdict_c7(diffs, excluded)
    ref_cells = s.cells[s.cells.key == s.ref]
    shift = []
    for n, sub in [("plain", ref_cells)] + [(n, s.cells[s.cells.setting == st]) for n, (st, _) in c7.items()]:
        t = sa.nc_interval(sub[sub.status == "ok"])
        shift.append({"signal": n, **t, "interval": list(t["interval"])})
    v.numbers = {"signals": list(c7), "N_c": shift, "health": counts, "figures": ["C7_signals.png"] if c7 else []}
    return v


def decide_c8(loso, best: str) -> Verdict:
    per_setting, takeoff = sa.c8_by_setting(loso.predictions, list(loso.table))
    v = claims.verdict_c8(loso.table, BASE_ONLY, takeoff=takeoff)
    rows = [{"predictor": n, **t} for n, t in loso.table.items()]
    v.numbers = {"table": rows, "best": best, "per_setting": per_setting, "takeoff": takeoff}
    v.numbers["figures"] = ["C8_predicted_vs_observed.png"]
    v.n = loso.n_settings
    v.power = power_row({"settings": loso.n_settings, "take-off settings": takeoff["n_settings"]}, np.nan, np.nan, "")
    return v


def decide_c9(s: Setup) -> Verdict:
    """Recipe details against plain: changes of the ceiling (evaluation pass@1 after RL, at the
    evaluation temperature every cell shares; not the training reward's asymptote A, which a
    sampling temperature lowers by construction), of ln C_mid and of the steepness B."""
    cells, ref, pick = s.cells, s.ref, s.pick(sa.C9_FIELDS)
    if s.c9 is not None and (s.c9.variant == "plain").any():  # C9's own grid: its own plain arm
        cells = s.c9
        ref = cells.loc[cells.variant == "plain", "key"].iloc[0]
        pick = {
            n: (st, set()) for n, st in cells.drop_duplicates("setting")[["variant", "setting"]].values if n != "plain"
        }
    c9n = {}
    cc = cells.assign(lnC=np.log(cells["C_mid"]))
    for n, (st, _) in pick.items():
        d = {name: sa.by_class(sa.paired_diffs(cc, ref, st, col), s.classes) for col, name in _C9_COLS}
        c9n[n] = {size: {k: d[k][size] for k in d} for size in ("small", "large")}
    v = claims.verdict_c9(c9n)
    v.numbers = {"variants": list(c9n), "grid": "own (longer RL)" if cells is not s.cells else "signals"}
    return v


_C9_COLS = (("rl_p1", "dA"), ("B", "dB"), ("lnC", "dlnC"))
"""C9's paired differences: the ceiling (evaluation pass@1), the steepness B and ln C_mid."""


def decide_claims(s: Setup, refine_log: dict):
    """C1-C9 (a dict of Verdicts), the C2 fit and its data, and C8's predictors (loso, best,
    fitted, cells), in the order their inputs depend on each other."""
    loso, best, fitted, plain = fit_predictors(s)
    pred_nc = loso.table.get(best, {}).get("nc_err_steps", np.nan)
    ref = reference_cells(s)
    v2, fit = decide_c2(ref, refine_log, pred_nc)
    V = {"C1": decide_c1(s), "C2": v2, "C3": decide_c3(s), "C4": decide_c4(s), "C5": decide_c5_study(s.signals())}
    V |= {"C6": decide_c6(s), "C7": decide_c7(s), "C9": decide_c9(s), "C8": decide_c8(loso, best)}
    for c, settings in claim_settings(s).items():
        V[c].numbers = {**(V[c].numbers or {}), "excluded": excluded_counts(s.excluded, settings)}
    return V, (ref, fit), (loso, best, fitted, plain)


__all__ = ["CAPABILITY_LINE", "GAIN", "Setup", "setup", "decide_claims", "fit_predictors", "reference_cells"]
