"""A study analysed once and rendered once: ``write_study`` decides the claims (theory's rules on the
cell table) into verdicts.json, draws the figures, and renders study.md from verdicts.json (the
claims table first, then one section per claim with its figure, numbers and rule)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from theory import study_claims
from theory.agreement import compare, mark_flips
from theory.claims import STATEMENTS
from theory.claims_behaviour import add_onsets, decide_c10, decide_c11
from theory.evidence import excluded_counts, format_counts, split_evidence
from theory.study_stats import add_curve_measures
from theory.text import DASH, NOT_RECORDED, SQRT2_STEP_NOTE, g, power_text
from theory.verdict import GAIN, not_run
from toymodels import storage
from toymodels.cells import group_key

from . import study_figures as figs
from .studies import C9_GRID, SIGNALS_GRID

__all__ = ["write_study", "decide_and_draw", "render_study", "claim_section"]


def _write_predictors(out: Path, loso, best: str, fitted: dict, plain: pd.DataFrame) -> None:
    """predictors.json (the input of `aha predict --model`) and their in-sample predictions.csv."""
    blob = {
        "threshold": GAIN,
        "best": best,
        "predictors": {n: p.to_dict() for n, p in fitted.items()},
        "loso": loso.table,
        "fitted_on": sorted(plain.setting.unique()),
        "features": "coverage = base trace pass@k_max (id); step_prob_L = base step_prob^L; "
        "phi0 = φ(base pass@1, G); "
        "greedy = base greedy accuracy; lnN = ln n_params",
    }
    storage.atomic_write_json(out / "predictors.json", json.loads(json.dumps(blob, default=float)))
    pred = plain[["setting", "width", "seed", "n_params", "gain"]].copy()
    for n, p in fitted.items():
        pred[n] = p.predict(plain)
    pred["p_gain"] = fitted[best].prob_gain(plain)
    pred.to_csv(out / "predictions.csv", index=False)


def write_study(
    study, specs, cells: pd.DataFrame, curves: dict, refine_log: dict, out: Path, wall: float, agree_with=None
) -> Path:
    """cells.csv, predictors.json, predictions.csv, verdicts.json and the figures; then study.md."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ref = group_key(specs[0], specs[0].groups()[0].config)
    cells = add_onsets(add_curve_measures(cells, curves), curves)
    cells.drop(columns=["key"]).to_csv(out / "cells.csv", index=False)
    V = decide_and_draw(study, cells, curves, refine_log, ref, out)
    blob = {c: V[c].to_dict() for c in study.analyses}
    blob |= {c: not_run(c, why).to_dict() for c, why in study.moved.items()}
    if agree_with is not None:
        other = json.loads((Path(agree_with) / "verdicts.json").read_text())
        flips = compare(blob, other)
        blob = mark_flips(blob, flips, f"this run vs {agree_with}")
        storage.atomic_write_json(out / "agreement.json", {"other": str(agree_with), "claims": flips})
    storage.atomic_write_json(out / "verdicts.json", blob)
    return render_study(study, specs, out, wall)


def decide_and_draw(study, cells: pd.DataFrame, curves: dict, refine_log: dict, ref: str, out: Path) -> dict:
    """Every claim decided from the cell table (its curve measures and onsets already added; ``ref``:
    the reference setting's key), predictors.json and predictions.csv written and the figures drawn
    under OUT/figures/; returns {claim: Verdict}."""
    fig_dir = Path(out) / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    kept, out_cells = split_evidence(cells)  # no-signal and broke-capable cells are no claim's evidence
    V = {}  # C10 and C11 only where the study runs them (a moved claim gets no verdict and no figure)
    if "C10" in study.analyses:
        V["C10"] = decide_c10(kept)
        V["C10"].numbers["excluded"] = excluded_counts(out_cells)
    if "C11" in study.analyses:
        V["C11"] = decide_c11(kept, study.behaviour)
        behaviour_settings = cells.loc[cells.grid.isin(study.behaviour), "setting"].unique()
        V["C11"].numbers = {**V["C11"].numbers, "excluded": excluded_counts(out_cells, behaviour_settings)}
    # C1-C9 read the other grids only; C9 its own grid when the study has one
    s = study_claims.setup(cells[~cells.grid.isin(study.behaviour)], ref, C9_GRID, SIGNALS_GRID)
    found, (y, fit), (loso, best, fitted, plain) = study_claims.decide_claims(s, refine_log)
    V |= found
    _write_predictors(Path(out), loso, best, fitted, plain)
    if "C10" in V:
        figs.c10(cells, fig_dir)
    if "C11" in V and V["C11"].numbers.get("figures"):
        figs.c11(cells, study.behaviour, curves, fig_dir)
    figs.c1(s, fig_dir)
    if fit is not None:
        figs.takeoff(y, fit, fig_dir / "C2_takeoff.png")
    figs.c3(s, V["C3"].numbers["factors"], fig_dir)
    figs.curves(s, curves, fig_dir)
    figs.signals(s.signals(), V["C6"].numbers["signals"], fig_dir, "C6_knobs")
    figs.signals(s.signals(), V["C7"].numbers["signals"], fig_dir, "C7_signals")
    figs.predictions(loso, best, fig_dir)
    return V


# --- study.md, from verdicts.json ---------------------------------------------------------------
def _img(v: dict, name: str) -> str:
    return f"![{Path(name).stem}](figures/{name})" if name in v["numbers"].get("figures", []) else ""


def _interval(iv) -> str:
    """An N_c bracket read back from JSON: an open upper end (None) is inf, a missing one nan."""
    lo, hi = iv
    return f"[{g(lo)}, {'nan' if lo is None else g(float('inf') if hi is None else hi)}]"


def _refinement(out: Path) -> str:
    path = out / "refine.json"
    log = json.loads(path.read_text()) if path.is_file() else {}
    if not log:
        return ""
    return f"(N_c intervals and brackets are measured in √2 steps: {SQRT2_STEP_NOTE}.)\n\n" + "\n".join(
        f"- {grid} round {e['round']}: bracket {e['bracket']}, added widths {e['new_widths']}, "
        f"seeds {e['more_seeds']}; {e['stop'] or 'ran'}: {e['reason']}"
        for grid, rounds in log.items()
        for e in rounds
    )


def _c3(v: dict) -> str:
    rows = [
        "| factor | value | setting | take-offs / cells | N_c (50% of P(take-off)) | N_c interval "
        "| not located because |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in v["numbers"]["factors"]:
        rows += [
            f"| {f['factor']} | {x['value']} | {x['setting']} | {x.get('takeoffs', DASH)} / {x.get('cells', DASH)} | "
            f"{g(x['N_c'])} | {_interval(x['interval'])} | {x.get('note') or DASH} |"
            for x in f["values"]
        ]
    return _img(v, "C3_nc_factors.png") + "\n\n" + "\n".join(rows) if v["numbers"]["factors"] else ""


def _c7(v: dict) -> str:
    shift = ["| signal | take-offs / cells | N_c (50% of P(take-off)) | N_c interval | not located because |"]
    shift += ["|---|---|---|---|---|"]
    shift += [
        f"| {r['signal']} | {r.get('takeoffs', DASH)} / {r.get('cells', DASH)} | {g(r['N_c'])} | "
        f"{_interval(r['interval'])} | {r.get('note') or DASH} |"
        for r in v["numbers"]["N_c"]
    ]
    return _img(v, "C7_signals.png") + "\n\nDoes the signal move N_c?\n\n" + "\n".join(shift)


def _c5(v: dict) -> str:
    """C5's table from numbers['table'] (per width: the token probabilities before → after RL, the
    format mass at content positions where recorded, the format excess e and the gain), then the
    note on the format share; the note alone for a study without token measures."""
    num = v.get("numbers", {})
    if not num.get("table"):
        return _FIXED["C5"]
    f = lambda x: DASH if x is None else f"{x:.3f}"  # noqa: E731
    mass = any(r.get("base_format_mass_task") is not None for r in num["table"])
    rows = [
        "| width | class | n | format prob base → RL | task prob base → RL | "
        + ("format mass at content positions base → RL | " if mass else "")
        + "format excess e | RL gain |",
        "|---|---|---|---|---|" + ("---|" if mass else "") + "---|---|",
    ]
    for r in num["table"]:
        cols = [f"{f(r[f'base_{m}'])} → {f(r[f'rl_{m}'])}" for m in ("format_prob", "task_prob")]
        cols += [f"{f(r.get('base_format_mass_task'))} → {f(r.get('rl_format_mass_task'))}"] if mass else []
        rows.append(
            f"| {r['width']} | {r['class']} | {r['n']} | "
            + " | ".join(cols)
            + f" | {f(r['excess'])} | {f(r['gain'])} |"
        )
    r_all = lambda k: DASH if num.get(k) is None else f"{num[k]:+.3f}"  # noqa: E731
    head = (
        f"Cells: {num.get('setting') or DASH}. Means over seeds of the teacher-forced probability of the correct "
        "token at format positions (<think>, separators, </think>, <eos>) and at content positions (step values, "
        "answer tokens), held-out prompts (in-distribution), evaluation temperature; e = Δformat − Δtask per cell. "
        f"r(e, pass@1 gain) over the cells {r_all('r_gain')} (within small {r_all('r_gain_small')}, large "
        f"{r_all('r_gain_large')}).\n\n"
    )
    return head + "\n".join(rows) + "\n\n" + _FIXED["C5"]


def _decisive(v: dict) -> str:
    """The one number the verdict rests on (Verdict.decisive); a study written before it was recorded
    says so."""
    return v.get("decisive") or NOT_RECORDED


def _excluded(v: dict) -> str:
    """The cells a verdict set aside by their rl_health (issue 22), in words; '' when none recorded."""
    ex = v.get("numbers", {}).get("excluded")
    return format_counts(ex) if ex is not None else DASH


def health_table(out: Path) -> str:
    """rl_health counts per setting, from cells.csv (the analysis's own table); '' without the column."""
    cells = pd.read_csv(out / "cells.csv")
    if "rl_health" not in cells:
        return ""
    t = pd.crosstab(cells["setting"], cells["rl_health"].fillna("base-only"))
    head = "| setting | " + " | ".join(t.columns) + " |"
    rows = [head, "|" + "---|" * (len(t.columns) + 1)]
    esc = lambda t: str(t).replace("|", "\\|")  # noqa: E731
    rows += [f"| {esc(st)} | " + " | ".join(str(int(x)) for x in r) + " |" for st, r in t.iterrows()]
    return "\n".join(rows)


def _c8(v: dict) -> str:
    best = v["numbers"]["best"]
    rows = [
        "| predictor | MAE of gain | AUROC (gain ≥ 0.1) | N_c error (√2 steps, median) | settings with both N_c |",
        "|---|---|---|---|---|",
    ]
    for t in v["numbers"]["table"]:
        rows.append(
            f"| {t['predictor']}{' (best base-only)' if t['predictor'] == best else ''} | {_f(t['mae'], 3)} | "
            f"{_f(t['auroc'], 2)} | {_f(t['nc_err_steps'], 2)} | {t['nc_defined']} of {t['n_settings']} |"
        )
    per = v["numbers"].get("per_setting", [])
    if per:
        rows += [
            "",
            "Per setting (held-out MAE of gain; seed floor = the other seeds of the cell's setting and width):",
            "",
        ]
        rows += [f"| setting | RL takes off | cells | {best} | ln N | seed floor |", "|---|---|---|---|---|---|"]
        rows += [
            f"| {r['setting']} | {'yes' if r['takes_off'] else 'no'} | {r['n']} | {_f(r.get(best), 3)} | "
            f"{_f(r.get('ln N'), 3)} | {_f(r.get('seed floor'), 3)} |"
            for r in per
        ]
    return (
        "\n".join(rows)
        + "\n\n"
        + _img(v, "C8_predicted_vs_observed.png")
        + f"\n\nN_c error: how far a predictor's N_c lies from the measured one, in √2 steps ({SQRT2_STEP_NOTE})."
        + f"\n\nPredictors fitted on all plain-recipe settings: predictors.json (`aha predict RUN_DIR --model "
        f"predictors.json`, default {best}); in-sample predictions: predictions.csv."
    )


def _f(x, digits: int) -> str:
    return f"{float('nan') if x is None else x:.{digits}f}"


def _c10(v: dict) -> str:
    n = v["numbers"]
    rows = [
        "| width | cells judged | gained ≥ 0.1 | aha (of all) | aha (of gaining) | onsets (updates) |",
        "|---|---|---|---|---|---|",
    ]
    for r in n["per_width"]:
        on = ", ".join(f"{x:.0f}" for x in r["onsets"])
        rows.append(
            f"| {r['width']} | {r['judged']} | {r['gaining']} | {r['aha']} | {r['aha_gaining']} | {on or DASH} |"
        )
    return (
        f"Change-point calls on the reward curves of {n['judged']} RL cells (each setting once; curriculum cells "
        f"not judged): {', '.join(f'{k} {c}' for k, c in n['calls'])}. Rule of the detector: "
        "theory.onset.RULE (a logistic rise of free onset and width against a flat line and a linear ramp by "
        "BIC, large against the noise of successive differences and sharp against the run).\n\n"
        + "\n".join(rows)
        + "\n\n"
        + _img(v, "C10_onset.png")
    )


def _c11(v: dict) -> str:
    if "table" not in v["numbers"]:
        return ""
    f = lambda x: DASH if x is None else f"{x:.3f}"  # noqa: E731
    rows = [
        "| task | revise | width | wait rate base → RL | fix rate base → RL | fixing revisions base → RL | "
        "completion length base → RL | RL gain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in v["numbers"]["table"]:
        rows.append(
            f"| {r['task']} | {'on' if r['revise'] else 'off'} | {r['width']} | "
            + " | ".join(
                f"{f(r[f'base_{m}'])} → {f(r[f'rl_{m}'])}"
                for m in ("wait_rate", "revise_fix_rate", "fix_use", "completion_len")
            )
            + f" | {f(r['gain'])} |"
        )
    return (
        "Means over seeds (held-out prompts, in-distribution). Fixing revisions = wait rate × fix rate.\n\n"
        + "\n".join(rows)
        + "\n\n"
        + _img(v, "C11_revisions.png")
    )


_FIXED = {
    "C5": "Format share of reward (reported, not deciding: a function of pass@1) = (mean reward − pass@1) / "
    "mean reward at the start (base pass@1) and end (RL pass@1) of RL in the format-bonus arm; the curves "
    "record only the mean reward, so the share is known at these two points. Figure: third panel of the C4 "
    "figure.",
    "C6": "Entropy kept = entropy halfway through RL / entropy at its start (reference cells); figure: second "
    "panel of the C4 figure.\n\n",
    "C9": "The ceiling is evaluation pass@1 after RL (held-out prompts, at the evaluation temperature every cell "
    "shares); the speed is R(C) = R0 + (A − R0) / (1 + (C_mid / C)^B) fitted per cell to the training reward "
    "against episodes (C_mid, B). Differences are variant minus plain at the same width and seed.",
}


def claim_section(c: str, v: dict, out: Path) -> str:
    """The body of a claim's section below its verdict, measured result and rule."""
    if c == "C2":
        rounds = _refinement(out)
        return _img(v, "C2_takeoff.png") + ("\n\nRefinement:\n" + rounds if rounds else "")
    if c == "C6":
        return _FIXED["C6"] + _img(v, "C6_knobs.png")
    render = {
        "C1": lambda v: _img(v, "C1_gain_vs_capability.png"),
        "C3": _c3,
        "C4": lambda v: _img(v, "C4_C5_C6_curves.png"),
        "C5": _c5,
    }
    render |= {"C7": _c7, "C8": _c8, "C10": _c10, "C11": _c11}
    return render[c](v) if c in render else _FIXED.get(c, "")


def _reused(out: Path) -> str:
    """The grids this study took over finished (`aha study --reuse`), for the wall-time line."""
    path = Path(out) / "reused.json"
    names = json.loads(path.read_text()) if path.is_file() else []
    if not names:
        return ""
    return f" (grids taken over finished from an earlier run, not rerun: {', '.join(names)}; their time is not in it)"


def _cells_time(cells: pd.DataFrame) -> str:
    """The cells' own run times added up (cells.csv's wall_s, as the runner timed each cell, whichever
    invocation ran it: a study's compute however often it was resumed or reused), or ''."""
    if "wall_s" not in cells or not cells["wall_s"].notna().any():
        return ""
    return f"the cells' own run times add up to {cells['wall_s'].sum() / 60:.1f} min; "


def render_study(study, specs, out: Path, wall: float) -> Path:
    """study.md from the study directory's verdicts.json, cells.csv, refine.json and reused.json."""
    out = Path(out)
    V = json.loads((out / "verdicts.json").read_text())
    claims = [*study.analyses, *study.moved]  # a moved claim keeps its row, saying why it was not run
    cells = pd.read_csv(out / "cells.csv")
    esc = lambda t: str(t).replace("|", "\\|")  # noqa: E731
    md = [
        f"# Study `{study.name}`",
        "",
        study.description,
        "",
        f"{len(cells)} cells in {len(specs)} grids (+ refinement), {int((cells.status != 'ok').sum())} not ok; "
        f"{_cells_time(cells)}wall time of this invocation {wall / 60:.1f} min{_reused(out)}.",
        "",
        "| claim | statement | measured result | verdict | the number that decides it "
        "| n per arm; smallest detectable effect (power 0.8) | cells set aside (rl_health) |",
        "|---|---|---|---|---|---|---|",
    ]
    md += [
        f"| {c} | {esc(STATEMENTS[c])} | {esc(V[c]['result'])} | {esc(V[c]['verdict'])} | {esc(_decisive(V[c]))} | "
        f"{esc(power_text(V[c].get('power')))} | {_excluded(V[c])} |"
        for c in claims
    ]
    md.append("")
    for c in claims:
        v = V[c]
        md += [f"## {c}: {STATEMENTS[c]}", "", f"**Verdict: {v['verdict']}.**", ""]
        md += [f"Deciding number: {_decisive(v)}.", ""]
        md += [f"Cells set aside (no-signal and broke-capable are no evidence about a model): {_excluded(v)}.", ""]
        md += [f"Measured: {v['result']}.", ""]
        md += [f"Rule: {v['rule']}.", "", f"Power: {power_text(v.get('power'))}.", ""]
        md += ["" if c in study.moved else claim_section(c, v, out), ""]
    health = health_table(out)
    if health:
        md += ["## rl_health per setting", "", "theory/health.py's label per cell (cells.csv's rl_health).", ""]
        md += [health, ""]
    md += ["## Grids", ""] + [f"- **{s.name}** ({s.n_cells} cells): {s.description}" for s in specs]
    path = out / "study.md"
    path.write_text("\n".join(md) + "\n")
    return path
