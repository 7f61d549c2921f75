"""C5's verdict, format against task on the tokens (a pure function; split from theory.claims_rl,
theory.claims re-exports it): per cell the format excess e = Δformat − Δtask of teacher-forced
token probabilities before and after RL, small models against large ones; the old format share of
reward is only reported. Same verdict words and conventions as theory.claims.
"""

from __future__ import annotations

import numpy as np

from .claims_rl import EFFECT
from .power import mde_means, mde_paired, n_for_means, n_for_paired, power_row, sd
from .text import decides
from .text import mean_interval as _fmt
from .verdict import LEVEL, MIN_CELLS, Verdict, diff_ci, mean_ci

__all__ = ["FUNCTION_OF", "c5_rule", "share_report", "verdict_c5"]

FUNCTION_OF = 0.95
"""C5: a measure whose correlation with pass@1 (or a function of it) reaches this in size measures
nothing new (a metric computed from another): the format share of reward against its value from
pass@1 alone, and the token format excess against the pass@1 gain."""


def share_report(small_start, small_end, large_end, r_pass1: float = float("nan")) -> str:
    """The format share of reward (theory.study_stats.format_share) in words: small models at the
    start and end of RL, large models at the end, and ``r_pass1``, its Pearson r with its value from
    pass@1 alone (theory.study_stats.share_vs_pass1). C5 reports it; it decides nothing (at r = 0.996
    on the shipped study it is pass@1 written another way)."""
    s0, s1, l1 = mean_ci(small_start), mean_ci(small_end), mean_ci(large_end)
    return (
        f"format share of reward (format-bonus arm; reported, not deciding): small models start {_fmt(s0)}, "
        f"end {_fmt(s1)}; large models at the end {_fmt(l1)}; r(share, its value from pass@1 alone) = "
        f"{r_pass1:.3f}"
    )


def c5_rule() -> str:
    """C5's rule in words (verdicts.json and study.md print it)."""
    return (
        "per cell, format excess e = Δformat − Δtask, Δ = after RL − before of the teacher-forced probability "
        "of the correct token at format positions (<think>, separators, </think>, <eos>) and at content "
        "positions (step values, answer tokens), held-out prompts, eval temperature; not determined when "
        f"|Pearson r(e, pass@1 gain)| >= {FUNCTION_OF} over the cells (e is then pass@1 written another way) "
        f"or with < {MIN_CELLS} small cells; holds if small models' mean e has its {LEVEL:.0%} interval above 0 "
        f"and is >= {EFFECT} (theory.claims_rl.EFFECT, the smallest change of a probability that counts) and "
        f"small − large (Welch interval, read with >= {MIN_CELLS} large cells) is above 0; fails if small models' "
        f"interval lies below {EFFECT} or small − large is below 0 (interval excludes it); otherwise not "
        f"determined, with the n per class a {EFFECT} excess would need"
    )


def _c5_power(small_e, large_e) -> dict:
    """n per class, the detectable mean excess of small models and of small − large (the larger),
    and the n per class that telling EFFECT would need."""
    ss, sl = sd(small_e), sd(large_e)
    ns, nl = mean_ci(small_e)[3], mean_ci(large_e)[3]
    mde = max((m for m in (mde_paired(ss, ns), mde_means(ss, ns, sl, nl)) if np.isfinite(m)), default=float("nan"))
    pool = float(np.sqrt(np.nanmean(np.square([ss, sl])))) if np.isfinite([ss, sl]).any() else float("nan")
    need = max(n_for_paired(EFFECT, ss), n_for_means(EFFECT, pool)) if np.isfinite(pool) else None
    about = "format excess e of small models, and small − large"
    return power_row({"small": ns, "large": nl}, mde, EFFECT, about, need)


def verdict_c5(small_e, large_e, r_gain: float = float("nan"), reported: str = "") -> Verdict:
    """Claim C5 on the tokens. ``small_e``, ``large_e``: per cell of each size class, the format
    excess e = Δformat_prob − Δtask_prob (after RL − before; toymodels.evaluate.token_probs);
    ``r_gain``: Pearson r between e and the pass@1 gain over those cells; ``reported``: words appended
    to the result that decide nothing (the old format share of reward, `share_report`). Both sides
    alike: holds needs small's excess above 0 and >= EFFECT and above large's; fails needs small's
    below EFFECT or below large's, each with its interval."""
    s, lg, d = mean_ci(small_e), mean_ci(large_e), diff_ci(small_e, large_e)
    result = (
        f"format excess e = Δformat − Δtask (token probabilities, held out): small models {_fmt(s)}, "
        f"large models {_fmt(lg)}; small − large {_fmt(d)}; r(e, pass@1 gain) = {r_gain:.3f}"
    )
    result += f"; {reported}" if reported else ""
    rule, pw = c5_rule(), _c5_power(small_e, large_e)
    n = f"{s[3]} small, {lg[3]} large"
    small = lambda against: decides("small models' format excess", _fmt(s), against)  # noqa: E731
    gap = lambda against: decides("small − large format excess", _fmt(d), against)  # noqa: E731
    if np.isfinite(r_gain) and abs(r_gain) >= FUNCTION_OF:
        why = f"the format excess is a function of the pass@1 gain (r = {r_gain:.3f}); it adds nothing to pass@1"
        dd = decides("|r(format excess, pass@1 gain)|", f"{abs(r_gain):.3f}", f"{FUNCTION_OF:g}", n)
        return Verdict("C5", result, f"not determined: {why}", rule, power=pw, decisive=dd)
    if s[3] < MIN_CELLS:
        dd = decides("small / large cells with token measures", f"{s[3]} / {lg[3]}", f">= {MIN_CELLS} small")
        why = f"{s[3]} small-model cells with token measures (need >= {MIN_CELLS})"
        return Verdict("C5", result, f"not determined: {why}", rule, power=pw, decisive=dd)
    compared = lg[3] >= MIN_CELLS  # small − large is read only with enough large cells
    below, under = s[2] < EFFECT, compared and d[2] < 0
    if below or under:
        dd = small(f"{EFFECT:g} (interval below it)") if below else gap("0 (interval below it)")
        why = "small models' format excess is below the smallest effect" if below else "small ≤ large"
        verdict = f"fails: RL does not favour format over task in small models ({why})"
        return Verdict("C5", result, verdict, rule, power=pw, decisive=f"{dd}, n={n}")
    favour = s[1] > 0 and s[0] >= EFFECT
    if favour and compared and d[1] > 0:
        dd = small("0 (interval above it)") if s[1] <= d[1] else gap("0 (interval above it)")
        return Verdict("C5", result, "holds", rule, power=pw, decisive=f"{dd}, n={n}")
    if favour and not compared:
        why = f"small models favour format, but {lg[3]} large-model cells cannot say whether more than large ones"
        dd = decides("large-model cells with token measures", str(lg[3]), f">= {MIN_CELLS}")
        return Verdict("C5", result, f"not determined: {why}", rule, power=pw, decisive=dd)
    need = f"; needs n ≈ {pw['needs_n']} per class" if pw["needs_n"] else ""
    dd = gap("0 (interval across it)") if favour else small(f"0 and {EFFECT:g} (interval across them)")
    side = "small − large" if favour else "small models' excess"
    why = f"{side} has its interval across the boundary{need}"
    return Verdict("C5", result, f"not determined: {why}", rule, power=pw, decisive=f"{dd}, n={n}")
