"""The study's C10 and C11: the aha as an event in training time, and self-correction as a behaviour.

- C10 reads every RL cell of the study (each setting once: the aha-behaviour grid repeats the
  reference's and the addition grid's plain settings): the change-point call of its reward curve
  (``theory.onset``), its gain, φ measured at the first RL update and the theory's predicted
  first-signal time (``theory.onset.first_signal_time``).
- C11 reads the behaviour grids' cells with ``revise`` on: per cell the rate of *fixing
  revisions* = wait_rate x revise_fix_rate (completions with a `<wait>` times the share of
  revisions that turn a wrong step right; 0 when there is no revision), before and after RL,
  decided per task and combined; the gain with revise minus the gain without is reported.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from theory.claims import GAIN, Verdict  # noqa: E402
from theory.claims_behaviour import fix_use, verdict_c10, verdict_c11  # noqa: E402
from theory.onset import detect_onset, first_signal_time  # noqa: E402

from .plots_behaviour import length_curves, revision_panels  # noqa: E402

ONSET_COLS = ("aha_found", "aha_call", "aha_onset", "aha_jump", "aha_sharpness", "first_signal")


def add_onsets(cells: pd.DataFrame, curves: dict) -> pd.DataFrame:
    """Columns of ONSET_COLS per cell: the change-point fit of its reward curve over RL updates
    (call 'n/a' without one or when not ok, 'curriculum' when the RL horizon changes: not judged)."""
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
        pt = getattr(row, "p_trace1", np.nan)
        out["first_signal"].append(
            float(first_signal_time(pt, row.G, getattr(row, "prompts", 16))) if np.isfinite(pt) else np.nan
        )
    for c, v in out.items():
        cells[c] = v
    return cells


def c10(cells: pd.DataFrame, fig_dir: Path) -> tuple[Verdict, str]:
    """C10's verdict and section (table per width, figure onset vs N)."""
    rl = cells[(cells.status == "ok") & np.isfinite(cells.get("gain", np.nan))]
    rl = rl[~rl.aha_call.isin(["n/a", "curriculum", "too short"])].drop_duplicates(["key", "width", "seed"])
    gaining = rl[rl["gain"] >= GAIN]
    aha = rl[rl["aha_found"]]
    v = verdict_c10(gaining["aha_found"].to_numpy(bool), aha["aha_onset"], aha["phi_start"], aha["first_signal"])
    rows = [
        "| width | cells judged | gained ≥ 0.1 | aha (of all) | aha (of gaining) | onsets (updates) |",
        "|---|---|---|---|---|---|",
    ]
    for w, g in rl.groupby("width"):
        gg = g[g["gain"] >= GAIN]
        on = ", ".join(f"{x:.0f}" for x in sorted(g.loc[g.aha_found, "aha_onset"]))
        rows.append(
            f"| {w} | {len(g)} | {len(gg)} | {int(g.aha_found.sum())} | {int(gg.aha_found.sum())} | {on or '–'} |"
        )
    calls = rl["aha_call"].value_counts().to_dict()
    text = (
        f"Change-point calls on the reward curves of {len(rl)} RL cells (each setting once; curriculum cells "
        f"not judged): {', '.join(f'{k} {n}' for k, n in calls.items())}. Rule of the detector: "
        "theory.onset.RULE (a logistic rise of free onset and width against a flat line and a linear ramp by "
        "BIC, large against the noise of successive differences and sharp against the run).\n\n"
        + "\n".join(rows)
        + "\n\n"
        + _onset_figure(rl, fig_dir)
    )
    return v, text


def _onset_figure(rl: pd.DataFrame, fig_dir: Path) -> str:
    if rl.empty:
        return ""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    last = float(np.nanmax(rl["rl_updates"], initial=1.0)) if "rl_updates" in rl else 150.0
    ax = axes[0]
    jit = np.exp(np.random.default_rng(0).uniform(-0.05, 0.05, len(rl)))
    found = rl["aha_found"].to_numpy(bool)
    gain = rl["gain"].to_numpy(float) >= GAIN
    n = rl["n_params"].to_numpy(float) * jit
    ax.scatter(n[found], rl["aha_onset"][found], s=18, color="C0", label="aha onset")
    for mask, y, m, c, lab in (
        (~found & gain, 1.08, "^", "C1", "no aha, gained ≥ 0.1"),
        (~found & ~gain, 1.16, "x", "0.5", "no aha, no gain"),
    ):
        ax.scatter(n[mask], np.full(mask.sum(), y * last), marker=m, s=14, color=c, label=lab)
    ax.axhline(last, color="0.7", lw=0.6, ls="--")
    ax.set_ylim(0, 1.22 * last)
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters N")
    ax.set_ylabel("onset (RL update at 10% of the rise)")
    ax.set_title("C10: onset of the aha against size; cells without one on top", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    a = rl[found]
    ax.scatter(a["phi_start"], a["aha_onset"], s=18, c=np.log(a["n_params"]), cmap="viridis")
    ax.set_xlabel("φ measured at the first RL update")
    ax.set_ylabel("onset (update)")
    ax.set_title("C10: does φ at the start of RL predict the onset? (colour ln N)", fontsize=9)
    fig.tight_layout()
    fig.savefig(fig_dir / "C10_onset.png", dpi=100)
    plt.close(fig)
    return "![C10_onset](figures/C10_onset.png)"


def c11(cells: pd.DataFrame, behaviour: list[str], fig_dir: Path, curves: dict | None = None) -> tuple[Verdict, str]:
    """C11's verdict (per task, combined) and section; ``curves`` (the study's per-cell curves) give
    the figure's completion length over RL."""
    sub = cells[cells.grid.isin(behaviour) & (cells.status == "ok")]
    need = {f"{ph}_{v}" for ph in ("base", "rl") for v in ("wait_rate", "revise_fix_rate")}
    rev = sub[sub.revise] if "revise" in sub else sub.iloc[:0]
    if rev.empty or not need <= set(sub.columns):
        why = (
            "the study has no grid with revise cells"
            if rev.empty
            else "the results hold no wait_rate / revise_fix_rate"
        )
        return Verdict("C11", why, f"not determined: {why}", "needs cells with revise on, base and after RL"), ""
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
    v = _combine(per_task)
    return v, _c11_table(sub) + "\n\n" + _behaviour_figure(sub, fig_dir, length_curves(_length_rows(sub, curves or {})))


def _combine(per_task: dict[str, Verdict]) -> Verdict:
    """One C11 verdict from the per-task ones, led by one of the verdict words: the common verdict;
    else 'holds only where the task is ...' when some task holds; else 'holds only in part', 'fails'
    or 'not determined' in that order of precedence, each task's own verdict after it."""
    result = "; ".join(f"{t}: {v.result}" for t, v in per_task.items())
    words = {t: v.verdict for t, v in per_task.items()}
    rule = next(iter(per_task.values())).rule + "; decided per task, then combined"
    if len(set(words.values())) == 1:
        return Verdict("C11", result, next(iter(words.values())), rule)
    each = "; ".join(f"{t}: {w}" for t, w in words.items())
    held = [t for t, w in words.items() if w == "holds"]
    if held:
        rest = "; ".join(f"{t}: {w}" for t, w in words.items() if t not in held)
        return Verdict("C11", result, f"holds only where the task is {', '.join(held)} ({rest})", rule)
    for lead in ("holds only in part", "fails", "not determined"):
        if any(w.startswith(lead) for w in words.values()):
            return Verdict("C11", result, f"{lead}: {each}", rule)
    return Verdict("C11", result, f"not determined: {each}", rule)


def _c11_table(sub: pd.DataFrame) -> str:
    rows = [
        "| task | revise | width | wait rate base → RL | fix rate base → RL | fixing revisions base → RL | "
        "completion length base → RL | RL gain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    f = lambda s: "–" if not np.isfinite(s).any() else f"{np.nanmean(s):.3f}"  # noqa: E731
    for (task, revise, w), g in sub.groupby(["task", "revise", "width"]):
        rows.append(
            f"| {task} | {'on' if revise else 'off'} | {w} | {f(g.base_wait_rate)} → {f(g.rl_wait_rate)} | "
            f"{f(g.base_revise_fix_rate)} → {f(g.rl_revise_fix_rate)} | {f(fix_use(g, 'base'))} → "
            f"{f(fix_use(g, 'rl'))} | {f(g.base_completion_len)} → {f(g.rl_completion_len)} | "
            f"{f(g.gain)} |"
        )
    return (
        "Means over seeds (held-out prompts, in-distribution). Fixing revisions = wait rate × fix rate.\n\n"
        + "\n".join(rows)
    )


def _length_rows(sub: pd.DataFrame, curves: dict):
    """(task, revise, n_params, updates, completion length over RL) of the cells that have the curve."""
    if not curves:
        return
    for r in sub.itertuples(index=False):
        cv = curves.get((r.setting, r.width, r.seed), {})
        if "completion_len" in cv:
            yield r.task, r.revise, r.n_params, cv["step"], cv["completion_len"]


def _behaviour_figure(sub: pd.DataFrame, fig_dir: Path, curves: dict | None) -> str:
    revision_panels(sub, fig_dir / "C11_revisions.png", curves)
    return "![C11_revisions](figures/C11_revisions.png)"
