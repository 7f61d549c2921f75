"""Verdicts on what RL does at each size, C4, C6, C7 and C9 (pure functions; split from
theory.claims, which re-exports them): the reward's course (C4), entropy (C6), design signals (C7)
and recipe details (C9); format against task (C5) is in theory.claims_c5. Same verdict words and
conventions as theory.claims.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .power import (
    mde_paired,
    mde_proportions,
    n_for_paired,
    n_for_proportions,
    needs,
    power_row,
    sd,
)
from .text import decides, g, signed
from .text import mean_interval as _fmt
from .verdict import GAIN, MIN_CELLS, Verdict, mean_ci

__all__ = [
    "EFFECT",
    "OFTEN",
    "P_TEST",
    "verdict_c4",
    "verdict_c6",
    "verdict_c7",
    "verdict_c9",
]

EFFECT = 0.05
"""C9: a change of the ceiling (evaluation pass@1) smaller than this is no change, even when its interval
excludes 0. C5: the same for the format excess (a difference of changes of token probabilities)."""


# --- C4 -------------------------------------------------------------------------------------
P_TEST = 0.05
"""C4: level of its one-sided tests (binomial against the noise null, Fisher small vs large)."""
OFTEN = 0.25
"""C4: a difference of rates smaller than this is not "often"; a null call needs power for it."""


def _c4_tests(small: dict, large: dict) -> dict[str, float]:
    """One-sided p-values: small's rise-then-fall count above its noise null (binomial at the mean
    null rate), and small's rise-then-fall and below-base counts above large's (Fisher's exact)."""
    k = {c: {d: int(round(x[d] * x["n"])) for d in ("rise_fall", "collapsed")} for c, x in (("s", small), ("l", large))}
    ns, nl = int(small["n"]), int(large.get("n", 0))
    p0 = float(small.get("rise_fall_null", np.nan))
    out = {"null": float(stats.binomtest(k["s"]["rise_fall"], ns, p0, "greater").pvalue) if np.isfinite(p0) else np.nan}
    for d in ("rise_fall", "collapsed"):
        table = [[k["s"][d], ns - k["s"][d]], [k["l"][d], nl - k["l"][d]]]
        out[d] = float(stats.fisher_exact(table, "greater")[1]) if nl else float("nan")
    return out


def verdict_c4(small: dict[str, float], large: dict[str, float]) -> Verdict:
    """Per size class: n (cells), rise_fall (fraction whose reward rose >= 0.05 and then fell >=
    0.05 from its peak by the end), rise_fall_null (the same detector's mean rate on plain-noise
    curves of each cell's own noise sd and mean: theory.study_stats.rise_fall_null), collapsed
    (fraction with final pass@1 below base by more than noise), final_sd (seed sd of the final
    reward, mean over widths)."""
    f = lambda d: (
        f"reward rose then fell in {d['rise_fall']:.0%} (plain noise: {d.get('rise_fall_null', np.nan):.0%}), "  # noqa: E731
        f"pass@1 ended below base in {d['collapsed']:.0%}, seed sd of final reward {d['final_sd']:.3f} (n={d['n']:.0f})"
    )
    t = _c4_tests(small, large) if small.get("n", 0) else {}
    result = f"small: {f(small)}; large: {f(large)}" if large.get("n", 0) else f"small: {f(small)}"
    if t:
        result += (
            f"; one-sided p: small rise-fall above noise {t['null']:.2g}, above large {t['rise_fall']:.2g} (Fisher), "
            f"below base above large {t['collapsed']:.2g} (Fisher)"
        )
    mde = mde_proportions(large.get("collapsed", 0.0), int(small.get("n", 0)), int(large.get("n", 0)))
    base = float(large.get("collapsed", 0.0))
    arms = {"small": small.get("n", 0), "large": large.get("n", 0)}
    pw = power_row(arms, mde, OFTEN, "difference of rates (small − large)")
    rule = (
        f"rise-then-fall counts against a seed-matched null (the same detector on plain-noise curves of each "
        f"cell's noise sd; one-sided binomial) and small against large (one-sided Fisher), each at p < {P_TEST}; "
        "holds if small models rise then fall more than noise and than large models and end below base more "
        "than large ones; fails if neither excess is significant, each is below "
        f"{OFTEN:.0%} and the test could see a {OFTEN:.0%} difference of rates; "
        f"not determined with < {MIN_CELLS} small or large cells"
    )
    ns, nl = int(small.get("n", 0)), int(large.get("n", 0))
    n = f"{ns} small, {nl} large"
    if ns < MIN_CELLS or nl < MIN_CELLS:
        why = f"{ns} small and {nl} large cells (need >= {MIN_CELLS} each)"
        d = decides("cells small / large", f"{ns} / {nl}", f">= {MIN_CELLS} each")
        return Verdict("C4", result, f"not determined: {why}", rule, power=pw, decisive=d)
    rf = t["null"] < P_TEST and t["rise_fall"] < P_TEST
    col = t["collapsed"] < P_TEST
    p_rf = max(t["null"], t["rise_fall"])
    if rf and col:
        d = decides(
            "largest one-sided p (rise-fall vs noise, vs large; below base)", g(max(t.values()), 2), f"{P_TEST:g}", n
        )
        return Verdict("C4", result, "holds", rule, power=pw, decisive=d)
    seen = max(small["collapsed"] - base, small["rise_fall"] - max(large["rise_fall"], small.get("rise_fall_null", 0)))
    if not rf and not col:
        if seen >= OFTEN:
            which = "below-base" if seen == small["collapsed"] - base else "rise-then-fall"
            p_which = t["collapsed"] if which == "below-base" else t["rise_fall"]
            why = f"a {which} excess of {seen:.0%} over large models is seen but not significant (p = {p_which:.2g})"
            d = decides(f"{which} excess {seen:.0%}: one-sided Fisher p", g(p_which, 2), f"{P_TEST:g}", n)
            return Verdict("C4", result, f"not determined: {why}; more seeds needed", rule, power=pw, decisive=d)
        pw = power_row(arms, mde, OFTEN, pw["about"], n_for_proportions(base, base + OFTEN))
        if pw["needs_n"]:
            d = decides("detectable difference of rates", g(mde, 2), f"{OFTEN:g} claimed", n)
            why = f"not determined: no excess seen; needs n ≈ {pw['needs_n']} per class"
            return Verdict("C4", result, why, rule, power=pw, decisive=d)
        return Verdict(
            "C4",
            result,
            "fails: small models rise-and-fall and end below base no more than noise and large models",
            rule,
            power=pw,
            decisive=decides(
                "largest excess of small models over noise and large ones", f"{seen:.0%}", f"{OFTEN:.0%}", n
            ),
        )
    part = (
        "the reward rises and falls more than noise and large models do, but pass@1 does not end below base more often"
        if rf
        else "pass@1 ends below base more often than in large models, but the reward's rise-then-fall "
        "is no more than noise"
    )
    d = (
        decides("rise-then-fall: larger one-sided p (vs noise, vs large)", g(p_rf, 2), f"{P_TEST:g}", n)
        if rf
        else decides("below base more than large: one-sided Fisher p", g(t["collapsed"], 2), f"{P_TEST:g}", n)
    )
    return Verdict("C4", result, f"holds only in part: {part}", rule, power=pw, decisive=d)


# --- C6 -------------------------------------------------------------------------------------
def verdict_c6(ln_n, entropy_ratio, variant_small: dict[str, list[float]]) -> Verdict:
    """``entropy_ratio``: per cell, entropy halfway through RL over entropy at its start;
    ``variant_small``: temperature / entropy-bonus variant -> gain differences vs plain at small widths."""
    x, y = np.asarray(ln_n, float), np.asarray(entropy_ratio, float)
    ok = np.isfinite(x) & np.isfinite(y)
    rho, p = stats.spearmanr(x[ok], y[ok]) if ok.sum() >= MIN_CELLS else (np.nan, np.nan)
    diffs = {k: mean_ci(v) for k, v in variant_small.items()}
    mdes = {k: mde_paired(sd(v), len(v)) for k, v in variant_small.items()}
    worst = max(mdes, key=lambda k: np.nan_to_num(mdes[k], nan=np.inf)) if mdes else None
    pw = power_row(
        {k: d[3] for k, d in diffs.items()},
        mdes[worst] if worst else float("nan"),
        GAIN,
        "paired gain difference at small widths",
        n_for_paired(GAIN, sd(variant_small[worst])) if worst else None,
    )
    result = "; ".join(
        [
            f"Spearman ρ(ln N, entropy kept halfway) = {rho:.2f} (p = {p:.2g}, n={int(ok.sum())})",
            *(f"{k} vs plain at small widths {_fmt(v)}" for k, v in diffs.items()),
        ]
    )
    rule = (
        "part 1 holds if ρ > 0 with p < 0.05 (small models keep less entropy), fails if ρ < 0 with p < 0.05; "
        "part 2 holds if no variant's gain difference at small widths has its interval above 0; holds if "
        "both parts hold, fails if part 1 fails"
    )
    d = decides("Spearman ρ(ln N, entropy kept)", f"{signed(rho)} (p = {g(p, 2)})", "0 at p < 0.05", int(ok.sum()))
    if not np.isfinite(rho):
        d = decides("cells with entropy curves", str(int(ok.sum())), f">= {MIN_CELLS}")
        return Verdict("C6", result, f"not determined: {int(ok.sum())} cells with entropy curves", rule, decisive=d)
    if rho < 0 and p < 0.05:
        return Verdict("C6", result, "fails: small models keep more entropy, not less", rule, power=pw, decisive=d)
    part2 = [k for k, v in diffs.items() if np.isfinite(v[1]) and v[1] > 0]
    part2_known = any(np.isfinite(v[1]) for v in diffs.values())
    if rho > 0 and p < 0.05:
        if part2_known and not part2 and pw["needs_n"]:
            why = f"not determined: entropy collapses faster in small models, but whether {worst} helps them needs"
            d = decides(f"{worst} vs plain at small widths", f"{_fmt(diffs[worst])}, detectable {g(pw['mde'], 2)}")
            return Verdict(
                "C6", result, f"{why} n ≈ {pw['needs_n']} pairs", rule, power=pw, decisive=d + f" vs {GAIN:g}"
            )
        if part2_known and not part2:
            return Verdict("C6", result, "holds", rule, power=pw, decisive=d)
        if part2:
            return Verdict(
                "C6",
                result,
                f"holds only in part: entropy collapses faster in small models, but {', '.join(part2)} help them",
                rule,
                power=pw,
                decisive=d,
            )
        return Verdict(
            "C6",
            result,
            "holds only in part: entropy collapses faster in small models; the variants were not measured",
            rule,
            power=pw,
            decisive=d,
        )
    why = f"not determined: no significant trend of entropy with size (p = {p:.2g})"
    return Verdict("C6", result, why, rule, power=pw, decisive=d)


# --- C7 -------------------------------------------------------------------------------------
def _c7_class(d: dict[str, list[float]]) -> tuple[str, float, int | None, str]:
    """One signal: ('helps small' | 'fits' | 'no help at large' | 'few' | 'needs'), the detectable
    paired difference its null side had, the pairs that side would need, and that side ('' when
    none). A null side (interval not above 0) counts only when its detectable effect is at most GAIN."""
    s, lg = mean_ci(d.get("small", [])), mean_ci(d.get("large", []))
    if s[3] < 2 or lg[3] < 2:
        return "few", float("nan"), None, ""
    if s[1] > 0:
        return "helps small", float("nan"), None, ""
    null = ["small"] if lg[1] > 0 else ["small", "large"]
    mdes = {k: mde_paired(sd(d[k]), len(d[k])) for k in null}
    worst = max(mdes, key=lambda k: np.nan_to_num(mdes[k], nan=np.inf))
    if needs(mdes[worst], GAIN):
        return "needs", mdes[worst], n_for_paired(GAIN, sd(d[worst])), worst
    return ("fits" if lg[1] > 0 else "no help at large"), mdes[worst], None, worst


def _c7_decisive(signals: dict, cls: dict, judged: list[str], fit_claim: list[str]) -> str:
    """The benefit the C7 verdict rests on: the fitting signal's at large widths (the least clear one);
    else the signal helping small models, or the clearest large-width benefit that is not above 0;
    with no signal judged, the widest null side (its detectable difference) or the pairs per side."""
    ci = {n: {k: mean_ci(signals[n].get(k, [])) for k in ("small", "large")} for n in signals}
    if not judged:
        wide = [n for n in signals if cls[n][0] == "needs"]
        if not wide:
            few = ", ".join(f"{n} {ci[n]['small'][3]}/{ci[n]['large'][3]}" for n in signals)
            return decides("pairs small/large", few, ">= 2 each") if few else decides("signals that acted", "0")
        n = max(wide, key=lambda n: cls[n][1])
        side = cls[n][3]
        return decides(f"{n} at {side} widths", f"{_fmt(ci[n][side])}, detectable {g(cls[n][1], 2)}", f"{GAIN:g}")
    if fit_claim:
        n = min(fit_claim, key=lambda n: ci[n]["large"][1])
        return decides(f"{n} benefit at large widths", _fmt(ci[n]["large"]), "0 (interval above it)")
    small = [n for n in judged if cls[n][0] == "helps small"]
    if small:
        n = max(small, key=lambda n: ci[n]["small"][1])
        return decides(f"{n} benefit at small widths", _fmt(ci[n]["small"]), "0 (interval above it)")
    n = max(judged, key=lambda n: ci[n]["large"][1])
    return decides(f"{n} benefit at large widths", _fmt(ci[n]["large"]), "0 (interval not above it)")


def verdict_c7(signals: dict[str, dict[str, list[float]]], excluded: dict[str, str] | None = None) -> Verdict:
    """signal -> {'small': gain differences (with − without, paired by seed) at small widths, 'large':
    at large widths}; ``excluded``: signal -> why it decides nothing (it did not act, its cells have
    no signal), reported beside the verdict. A null side needs power: its detectable paired
    difference at most GAIN, else the signal is not determined with the pairs it would need."""
    parts, cls = [], {}
    for name, d in signals.items():
        s, lg = mean_ci(d.get("small", [])), mean_ci(d.get("large", []))
        cls[name] = _c7_class(d)
        need = f" (needs n ≈ {cls[name][2]} pairs)" if cls[name][0] == "needs" else ""
        parts.append(f"{name}: small {_fmt(s)}, large {_fmt(lg)}{need}")
    parts += [f"{n}: excluded, {why}" for n, why in (excluded or {}).items()]
    rule = (
        "benefit = with − without, paired by seed, only for signals that acted; a signal behaves as claimed "
        "when its benefit has its interval above 0 at large widths and not above 0 at small ones; a side "
        f"called 'not above 0' needs its detectable difference (power 0.8) <= {GAIN}, else the signal is not "
        "determined; holds if every judged signal behaves as claimed, fails if none does, holds only for those "
        "that do"
    )
    result = "; ".join(parts) if parts else "no design signal was run"
    undetermined = [n for n, c in cls.items() if c[0] in ("few", "needs")]
    judged = [n for n in signals if n not in undetermined]
    arms = {"small": min((len(d.get("small", [])) for d in signals.values()), default=0)}
    arms["large"] = min((len(d.get("large", [])) for d in signals.values()), default=0)
    worst = max((c[1] for c in cls.values() if np.isfinite(c[1])), default=float("nan"))
    needed = max((c[2] for c in cls.values() if c[2]), default=None)
    pw = power_row(arms, worst, GAIN, "paired benefit (largest over signals)", needed)
    fit_claim = [n for n in judged if cls[n][0] == "fits"]
    helps_small = [n for n in judged if cls[n][0] == "helps small"]
    d = _c7_decisive(signals, cls, judged, fit_claim)
    if not judged:
        why = "no signal has both sides decided (>= 2 pairs each, null sides with power)"
        return Verdict("C7", result, f"not determined: {why}", rule, power=pw, decisive=d)
    extra = f" (not determined: {', '.join(undetermined)})" if undetermined else ""
    if len(fit_claim) == len(judged):
        return Verdict("C7", result, "holds" + extra, rule, power=pw, decisive=d)
    if not fit_claim:
        why = f"{', '.join(helps_small)} help small models too" if helps_small else "no signal helps large models"
        return Verdict("C7", result, f"fails: {why}{extra}", rule, power=pw, decisive=d)
    why = f"holds only where the signal is {', '.join(fit_claim)}{extra}"
    return Verdict("C7", result, why, rule, power=pw, decisive=d)


# --- C9 -------------------------------------------------------------------------------------
def verdict_c9(variants: dict[str, dict[str, dict[str, list[float]]]]) -> Verdict:
    """variant -> size class ('small'/'large') -> {'dA': ceiling differences vs plain (evaluation
    pass@1 after RL at the common evaluation temperature), 'dlnC': ln C_mid differences, 'dB':
    steepness differences of the training-reward compute curve}, paired by width and seed."""
    moved_a, moved_speed, parts, undetermined, mdes, need, cis = {}, {}, [], [], {}, {}, {}
    for name, by in variants.items():
        for size, d in by.items():
            a, c, b = mean_ci(d.get("dA", [])), mean_ci(d.get("dlnC", [])), mean_ci(d.get("dB", []))
            cis[(name, size)] = a
            parts.append(f"{name} ({size}): Δ ceiling (eval pass@1) {_fmt(a)}, Δln C_mid {_fmt(c)}, ΔB {_fmt(b)}")
            if a[3] < 2:
                undetermined.append(f"{name} ({size})")
                continue
            moved_a[(name, size)] = (a[1] > 0 or a[2] < 0) and abs(a[0]) >= EFFECT
            mde = mde_paired(sd(d["dA"]), a[3])
            mdes[(name, size)] = mde
            if not moved_a[(name, size)] and needs(mde, EFFECT):
                need[(name, size)] = n_for_paired(EFFECT, sd(d["dA"]))
            moved_speed[(name, size)] = any(np.isfinite(x[1]) and (x[1] > 0 or x[2] < 0) for x in (c, b))
    rule = (
        "ceiling = evaluation pass@1 after RL at the common evaluation temperature, paired by width and seed; "
        f"a variant moves it when the difference's interval excludes 0 and is >= {EFFECT} in size; 'no move' needs "
        f"the power to see {EFFECT}; holds if no variant moves it; fails if one moves it at large sizes; holds "
        "only at large sizes if it moves at small sizes only"
    )
    result = "; ".join(parts) if parts else "no recipe variant was run"
    if not moved_a:
        d = decides("variant × size arms with >= 2 pairs", "0", ">= 1")
        return Verdict("C9", result, "not determined: too few fitted compute curves", rule, decisive=d)

    def delta(keys, against: str = f"{EFFECT:g}", pick=lambda k: np.nan_to_num(mdes[k], nan=np.inf)) -> str:
        """Δ ceiling of the arm among ``keys`` that ``pick`` ranks highest (default: the widest)."""
        k = max(keys, key=pick)
        det = "" if k in moved_a and moved_a[k] else f", detectable {g(mdes[k], 2)}"
        return decides(f"Δ ceiling {k[0]} ({k[1]})", f"{_fmt(cis[k])}{det}", against)

    pw = power_row(
        {f"{n} ({s})": len(variants[n][s].get("dA", [])) for n, s in moved_a},
        max((m for m in mdes.values() if np.isfinite(m)), default=float("nan")),
        EFFECT,
        "paired ceiling difference (largest over variants)",
        max(need.values(), default=None),
    )
    large = [n for (n, s), m in moved_a.items() if m and s == "large"]
    small = [n for (n, s), m in moved_a.items() if m and s == "small"]
    if large:
        d = delta([(n, "large") for n in large], f"±{EFFECT:g} (interval excludes 0)", lambda k: abs(cis[k][0]))
        return Verdict(
            "C9",
            result,
            f"fails: {', '.join(large)} change(s) the ceiling (eval pass@1) at large sizes",
            rule,
            power=pw,
            decisive=d,
        )
    if need:
        which = ", ".join(f"{n} ({s})" for n, s in need)
        why = f"not determined: {which} did not move the ceiling, but telling would need n ≈ {max(need.values())} pairs"
        return Verdict("C9", result, why, rule, power=pw, decisive=delta(need, pick=need.get))
    if small:  # the part that holds: the widest large-size arm; without one, the small arm that moved
        big, moved_small = [k for k in moved_a if k[1] == "large"], [(n, "small") for n in small]
        d = delta(big) if big else delta(moved_small, f"±{EFFECT:g} (interval excludes 0)", lambda k: abs(cis[k][0]))
        why = f"holds only where models are large: {', '.join(small)} move the ceiling for small ones"
        return Verdict("C9", result, why, rule, power=pw, decisive=d)
    speed = sorted({n for (n, s), m in moved_speed.items() if m})
    tail = f"; {', '.join(speed)} change(s) the speed" if speed else "; no variant measurably changes the speed"
    extra = f" (not determined: {', '.join(undetermined)})" if undetermined else ""
    return Verdict("C9", result, "holds" + tail + extra, rule, power=pw, decisive=delta(list(moved_a)))
