"""A forecast for one model: the law of its starting point, measurement noise, and the limits stated.

    models = fit_models(0.9)                                   # per-start laws, baselines, toy law
    row = forecast_row(stats, models, start="base", n_total=1.5e9, margin=0.05, G=8, protocol={...})

`stats` is `benchmark.summarize(...)` of one benchmark (with `p1_draws`: the measured pass@1 first,
then draws that carry its sampling noise: prompts resampled, each one's correct count redrawn from its
binomial). The row holds the forecast (the
winning law of `start`, by_start.WIN_RULE), its interval (law error and measurement noise together),
P(gain ≥ margin), the constant of that start and the ln N baseline, the toy-grid law, the sentence
(forecast.recommend) and `limits`: the warnings LIMIT_RULES states.
"""

from __future__ import annotations

import functools

import numpy as np

from .by_start import STARTS, fit_start_laws, flagged
from .forecast import recommend

N_DRAWS = 400
NOISY_WIDTH = 0.10
MIN_PROMPTS = 20
PUBLISHED_MIN_TOKENS = 1024
LIMIT_RULES = (
    f"size: the model's total parameters lie outside the range of the published rows of its starting point; "
    "noise: the 90% interval of the measured pass@1 (prompts resampled, counts redrawn binomially) is wider "
    f"than {NOISY_WIDTH:.2f}, "
    f"or fewer than {MIN_PROMPTS} prompts were measured; protocol: the measurement differs from how the "
    f"published numbers were taken (chain of thought with >= {PUBLISHED_MIN_TOKENS} new tokens, zero-shot, "
    "sampled pass@1, an instruct model through its chat template)"
)


@functools.lru_cache(maxsize=4)
def fit_models(level: float) -> dict:
    """The per-start laws on the published rows (flagged rows left out), each start's ln N baseline and
    the toy-grid law (when the study table ships); fitted once per process."""
    from .bridge_report import TOY_CELLS  # noqa: PLC0415
    from .forecast import fit_baselines  # noqa: PLC0415
    from .scale_free import fit_toy_law  # noqa: PLC0415
    from .transfer import gain_rows  # noqa: PLC0415

    df = gain_rows()
    laws = fit_start_laws(df, level=level)
    clean = df[~flagged(df)]
    base = {s: fit_baselines(clean[clean["start"] == s]) for s in laws}
    return {"laws": laws, "baselines": base, "toy": fit_toy_law(TOY_CELLS, level) if TOY_CELLS.is_file() else None}


def p1_draws(n, c, seed: int = 0, n_draws: int = N_DRAWS) -> np.ndarray:
    """Measured pass@1 first, then draws that carry its sampling noise: prompts resampled with replacement
    (which problems were drawn), and each drawn prompt's correct count redrawn from its binomial
    Binomial(n_i, c_i / n_i) (which samples came out right)."""
    n, c = np.asarray(n, dtype=int), np.asarray(c, dtype=int)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(n), (n_draws, len(n)))  # (D, P)
    redrawn = rng.binomial(n[idx], c[idx] / n[idx]) / n[idx]  # (D, P)
    return np.concatenate([[np.mean(c / n)], redrawn.mean(1)])


def check_start(start: str, models: dict) -> None:
    """A one-line error for a start that is not a choice, or has no published rows to calibrate on."""
    if start not in STARTS:
        raise ValueError(f"--start must be one of {', '.join(STARTS)}; got {start!r}")
    if start not in models["laws"]:
        have = ", ".join(models["laws"])
        raise ValueError(f"--start {start}: no published rows start there, so no law is calibrated (have: {have})")


def limits(s: dict, law, n_total: float, protocol: dict, start: str) -> list[str]:
    """The warnings of LIMIT_RULES that apply, each one sentence."""
    out = []
    lo, hi = law.size_range_B
    nb = n_total / 1e9 if np.isfinite(n_total) else float("nan")
    if not np.isfinite(nb):
        out.append("Size unknown (not in the results file): the size range of the published rows cannot be checked.")
    elif np.isfinite(lo) and not lo <= nb <= hi:
        out.append(
            f"Size outside the table: {nb:.3g}B parameters, while the published {start} rows span {lo:.3g}B to "
            f"{hi:.3g}B; the law extrapolates."
        )
    ci = s.get("pass1_ci90")
    n_p = s.get("n_prompts")
    if ci and (ci[1] - ci[0] > NOISY_WIDTH or (n_p or 0) < MIN_PROMPTS):
        out.append(
            f"Noisy base measurement: pass@1 {s['pass1']:.3f} with a 90% interval {ci[0]:.3f}–{ci[1]:.3f} from "
            f"{n_p} prompts; the forecast's interval carries it, and more prompts would narrow it."
        )
    elif not ci:
        out.append("Measurement noise unknown (only a mean was given): the interval holds the law's error alone.")
    out += _protocol_limits(protocol, start)
    return out


def _protocol_limits(protocol: dict, start: str) -> list[str]:
    if not protocol:
        return ["Protocol not stated (results made elsewhere): compare it with how the published rows were measured."]
    diffs = []
    if protocol.get("max_new_tokens", 0) < PUBLISHED_MIN_TOKENS:
        diffs.append(f"{protocol['max_new_tokens']} new tokens (published: chain of thought, thousands)")
    if protocol.get("shots", 0):
        diffs.append(f"{protocol['shots']}-shot prompts (published: zero-shot)")
    if start != "base" and not protocol.get("chat_template"):
        diffs.append("no chat template on a tuned model")
    if not diffs:
        return []
    return ["Protocol differs from the published one: " + "; ".join(diffs) + "; the base pass@1 may not mean the same."]


def forecast_row(s: dict, models: dict, start: str, n_total: float, margin: float, G: int, protocol: dict) -> dict:
    """The forecast of one benchmark's summary `s` (module doc)."""
    law, base, toy = models["laws"][start], models["baselines"][start], models["toy"]
    draws = np.asarray(s.get("p1_draws") or [s["pass1"]], dtype=float)
    nb = n_total / 1e9 if np.isfinite(n_total) else float("nan")
    fc = law.predict(draws, s["chance"], nb, margin)
    lnN = base.predict_lnN(nb)[0] if np.isfinite(nb) else float("nan")
    return {
        **{k: v for k, v in s.items() if k != "p1_draws"},
        "start": start,
        "forecast": fc,
        "law": law.winner,
        "baselines": {"constant": float(law.scores["constant"].coef[0]), "lnN": lnN},
        "toy_law": float(toy.point([s["pass1"]], s["chance"])[0]) if toy else None,
        "recommendation": recommend(
            s["informative_fraction"],
            fc["prob_at_least_margin"],
            fc["mean"],
            fc["lo"],
            fc["hi"],
            margin,
            G,
            s["pass1"],
            s["chance"],
        ),
        "limits": limits(s, law, n_total, protocol, start),
    }


def lm_eval_stats(r: dict, G: int) -> dict:
    """Summary of an lm-eval task that gives only the mean accuracy (no per-prompt samples)."""
    from theory.credit import phi  # noqa: PLC0415

    return {
        "benchmark": r["benchmark"],
        "n_prompts": None,
        "n_samples": None,
        "chance": 0.0,
        "greedy_accuracy": float("nan"),
        "pass1": r["pass1"],
        "pass_at_k": {1: r["pass1"]},
        "informative_fraction": float(phi(r["pass1"], G)),
        "G": G,
        "note": f"lm-eval gives only the mean {r['metric']}: φ at the mean pass@1 is an upper bound of the "
        "mean informative fraction (φ is concave)",
    }


def with_noise(s: dict, n, c, seed: int = 0) -> dict:
    """`s` plus p1_draws and the 90% interval of pass@1 from a bootstrap over prompts."""
    d = p1_draws(n, c, seed)
    return {
        **s,
        "p1_draws": d.tolist(),
        "pass1_ci90": [float(np.quantile(d[1:], 0.05)), float(np.quantile(d[1:], 0.95))],
    }
