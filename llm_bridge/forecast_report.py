"""forecast.md: the recommendation first, then whether the law beats a constant, then the limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .by_start import MIN_GROUPS_WIN, WIN_RULE
from .forecast import RECOMMEND_RULES
from .forecast_run import LIMIT_RULES
from .laws import CANDIDATES


def _f(x, fmt="{:.3f}") -> str:
    return "–" if x is None or not np.isfinite(x) else fmt.format(x)


def _sgn(x) -> str:
    return _f(x, "{:+.3f}").replace("-", "−")


def beats_line(law: dict) -> str:
    """One sentence: does the starting point's law beat its constant gain, by how much, on what."""
    start, w = law["start"], law["winner"]
    on = (
        f"leave-one-checkpoint-group-out over {law['n_rows']} published rows in {law['n_groups']} checkpoint "
        f"groups from {law['n_sources']} sources"
    )
    c = law["scores"]["constant"]
    if not law["determined"]:
        return (
            f"**Does a law beat a constant gain for `{start}`? Not determined**: only {law['n_groups']} checkpoint "
            f"group(s) ({law['n_rows']} rows); the forecast is the constant ({c['law']}) without an interval."
        )
    if w == "constant":
        best = min((s for s in law["scores"].values() if s["name"] != "constant"), key=lambda s: s["mae"])
        if law["n_groups"] < MIN_GROUPS_WIN:
            return (
                f"**Does a law beat a constant gain for `{start}`? Not determined.** Only {law['n_groups']} "
                f"checkpoint groups (fewer than {MIN_GROUPS_WIN}): too few to prefer any law to the constant gain of "
                f"this starting point (MAE {_f(c['mae'])}), though the closest, `{best['name']}`, errs "
                f"{_f(best['mae'])} (90% interval of the difference {_sgn(best['diff_ci'][0])} to "
                f"{_sgn(best['diff_ci'][1])}); the forecast is the constant ({on})."
            )
        return (
            f"**Does a law beat a constant gain for `{start}`? No.** No stated law errs clearly less than the "
            f"constant gain of this starting point (MAE {_f(c['mae'])}); the closest, `{best['name']}`, errs "
            f"{_f(best['mae'])} (90% interval of the difference {_sgn(best['diff_ci'][0])} to "
            f"{_sgn(best['diff_ci'][1])}), so the forecast is the constant ({on})."
        )
    s = law["scores"][w]
    return (
        f"**Does a law beat a constant gain for `{start}`? Yes.** `{w}` ({s['law']}) errs {_f(s['mae'])} against "
        f"{_f(s['mae_constant'])} for the constant gain of this starting point ({on}; 90% interval of the "
        f"difference {_sgn(s['diff_ci'][0])} to {_sgn(s['diff_ci'][1])})."
    )


def markdown(rep: dict) -> str:
    """forecast.md from forecast.json's content."""
    law = rep["start_law"]
    lvl = int(round(100 * rep["level"]))
    md = [f"# RL gain forecast for {Path(str(rep['model'])).name} (starting point: {rep['start']})", ""]
    md += [f"- **{r['benchmark']}**: {r['recommendation']}" for r in rep["benchmarks"]]
    md += ["", beats_line(law), ""]
    lim = [(r["benchmark"], x) for r in rep["benchmarks"] for x in r["limits"]]
    if lim:
        md += ["**Limits of this forecast:**", ""]
        md += [f"- {b}: {x}" for b, x in lim]
        md.append("")
    md += [
        f"| benchmark | prompts × samples | greedy acc | pass@1 [90%] | pass@k (k) | informative fraction at G="
        f"{rep['group_size']} | forecast gain [{lvl}%] | P(gain ≥ {rep['margin']:.2f}) | constant | ln N | toy law |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rep["benchmarks"]:
        k = max(r["pass_at_k"], key=int)
        f, b = r["forecast"], r["baselines"]
        ci = r.get("pass1_ci90") or [np.nan, np.nan]
        md.append(
            f"| {r['benchmark']} | {r['n_prompts'] or '–'} × {r['n_samples'] or '–'} | {_f(r['greedy_accuracy'])} | "
            f"{_f(r['pass1'])} [{_f(ci[0])}, {_f(ci[1])}] | {_f(r['pass_at_k'][k])} ({k}) | "
            f"{_f(r['informative_fraction'])} | {_sgn(f['mean'])} [{_sgn(f['lo'])}, {_sgn(f['hi'])}] | "
            f"{_f(f['prob_at_least_margin'], '{:.2f}')} | {_sgn(b['constant'])} | {_sgn(b['lnN'])} | "
            f"{_sgn(r['toy_law'])} |"
        )
    sc = law["scores"][law["winner"]]
    md += [
        "",
        f"Gains are rates (0.1 = 10 points of pass@1). Forecast: the `{law['winner']}` law of starting point "
        f"`{rep['start']}` ({sc['law']}; {CANDIDATES[law['winner']].formula}; p is the chance-corrected base "
        f"pass@1, G = {law['G']}), fitted on {law['n_rows']} published before/after-RL rows of that start "
        f"({law['n_flagged_left_out']} flagged rows left out: in-distribution, averaged or not like-for-like). "
        "The interval combines its held-out residuals (how far it missed on checkpoint groups it had not seen) "
        "with the sampling noise of the measured pass@1 (prompts resampled, each prompt's count redrawn from its "
        "binomial); P(gain ≥ margin) counts the "
        f"same combinations. The law is chosen by {WIN_RULE}. How the sentence is chosen: {RECOMMEND_RULES}. "
        f"Limits are stated when: {LIMIT_RULES}.",
    ]
    notes = {r["note"] for r in rep["benchmarks"] if r.get("note")}
    md += [f"- {n}." for n in sorted(notes)]
    return "\n".join(md) + "\n"
