"""Predicted RL gain from base-only measurements: a thin wrapper over `theory.amplifier`.

    predict_gain(0.30)                                   # uncalibrated (theory's default scale 1)
    predict_gain(0.30, base_pass_at_k=0.8, k=256)        # coverage feature instead of phi
    predict_gain(0.30, params=fit_scale(p1, gain))       # one scale fitted on real rows
    predict_gain(0.30, toy_fits="runs/grid/fits.json")   # scale from a toy grid's fits

The model is theory's (H2/H3): gain = s · f with f = φ(p_sig, G) · (1 − p1) (`kind="phi"`, needs
pass@1 only) or f = c_k · (1 − p1) (`kind="coverage"`, c_k the chance-corrected base pass@k).
Its shape (φ, the chance correction, G = 8) comes from theory; `s` is the one free scale. Default
parameters are theory's uncalibrated amplifier (s = 1, no interval); a toy grid's fits.json (key
`H2.phi.gain_params` as `aha fit` writes it, or `gain_model`: the fields of
`theory.amplifier.GainParams`) or a `GainParams` fitted here on real rows
replaces it and gives a prediction interval.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from theory.amplifier import GainParams, GainPrediction, fit_gain_model, gain_feature
from theory.amplifier import predict_gain as _theory_predict_gain

DEFAULT_G = 8  # theory.amplifier's default group size
DEFAULT_K = 64  # theory.amplifier's default k of the coverage feature


def load_toy_params(path: str | Path) -> GainParams:
    """GainParams from a toy grid's fits.json (`{"gain_model": {...GainParams fields...}}` or flat)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"toy_fits: no such file {p}")
    obj = json.loads(p.read_text())
    if "H2" in obj:  # aha/fit.py's layout: {"H2": {"phi": {"gain_params": {...}}, "coverage": ...}}
        h2 = obj["H2"]
        obj = (h2.get("phi") or h2.get("coverage") or {}).get("gain_params", {})
    obj = obj.get("gain_model", obj)
    names = {f.name for f in dataclasses.fields(GainParams)}
    missing = sorted(n for n in names if n not in obj and n != "notes")
    if missing:
        raise ValueError(
            f"toy_fits {p.name}: gain_model lacks field(s) {', '.join(missing)} "
            f"(expected the fields of theory.amplifier.GainParams)"
        )
    return GainParams(**{k: v for k, v in obj.items() if k in names})


def fit_scale(
    base_pass1, gain, base_pass_at_k=None, k: float | None = None, chance=0.0, G: int = DEFAULT_G
) -> GainParams:
    """Fit theory's one scale on (base pass@1, observed gain) rows (coverage feature if pass@k given)."""
    kind = "phi" if base_pass_at_k is None else "coverage"
    return fit_gain_model(base_pass1, gain, base_pass_at_k, chance, G, kind, k or DEFAULT_K)


def predict_gain(
    base_accuracy,
    base_pass_at_k=None,
    k: float | None = None,
    chance=0.0,
    *,
    G: int | None = None,
    params: GainParams | None = None,
    toy_fits: str | Path | None = None,
    level: float = 0.9,
) -> GainPrediction:
    """Predicted gain in pass@1 (rate) with a `level` interval; `.mean`, `.lo`, `.hi`, `.calibrated`.

    `base_accuracy` is base pass@1 (rate in [0, 1]); `base_pass_at_k` at `k` switches to the coverage
    feature (the params' `k` is replaced by yours). Interval is NaN when uncalibrated.
    """
    p1 = np.asarray(base_accuracy, dtype=float)
    if np.any((p1 < 0) | (p1 > 1)):
        raise ValueError("predict_gain: base_accuracy must be a rate in [0, 1] (not percent)")
    if base_pass_at_k is not None and k is None:
        raise ValueError("predict_gain: give k (the k of base_pass_at_k), an integer >= 1")
    if params is None and toy_fits is not None:
        params = load_toy_params(toy_fits)
    if params is None:
        kind = "phi" if base_pass_at_k is None else "coverage"
        f = gain_feature(p1, base_pass_at_k, chance, G or DEFAULT_G, kind, k or DEFAULT_K)
        nan = np.full_like(np.asarray(f, dtype=float), np.nan)
        out = lambda a: float(a) if np.ndim(a) == 0 else np.asarray(a, dtype=float)
        return GainPrediction(out(f), out(nan), out(nan), level, False)
    if base_pass_at_k is not None:
        params = dataclasses.replace(params, kind="coverage", k=float(k))
    elif params.kind == "coverage":
        raise ValueError("predict_gain: these params use the coverage feature; give base_pass_at_k and k")
    return _theory_predict_gain(p1, base_pass_at_k, chance, G, params, level)
