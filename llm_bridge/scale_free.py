"""The scale-free question: does a gain law fitted only on toy grids forecast real LLM gains?

    law = fit_toy_law("docs/study/cells.csv")   # the study's per-cell table (toy grids only)
    law.point(p1, chance)                        # forecast gain, no real-data calibration

The law has the same form as the calibrated forecast (llm_bridge.forecast): gain ≈ a + b·p_sig +
c·φ(p_sig, G), in capability units only (chance-corrected base pass@1 and the informative-group
fraction, never a parameter count). Here a, b, c come from least squares over the toy cells (each
cell's base pass@1, its task's chance level, its RL gain in pass@1); nothing of a real LLM enters.
Its interval uses the toy cells' own residuals, so its coverage on real rows says whether the toy
spread is the real spread. Scoring it on real rows source by source is `transfer.leave_one_source_out`
with `fixed=law`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from theory.credit import phi

from .forecast import G_DEFAULT, LEVEL, GainForecast, capability, fit_coef

TOY_COLUMNS = ("base_p1", "chance", "gain", "G", "status", "setting")


def toy_rows(cells_csv: str | Path) -> pd.DataFrame:
    """The study table's usable cells (status ok, finite base pass@1, gain and chance) as forecast rows:
    columns source (= the cell's setting), before (= base pass@1), chance, gain, G."""
    p = Path(cells_csv)
    if not p.is_file():
        raise FileNotFoundError(f"toy cells table not found: {p} (aha study writes it as cells.csv)")
    df = pd.read_csv(p)
    missing = [c for c in TOY_COLUMNS if c not in df]
    if missing:
        raise ValueError(f"{p.name}: missing column(s) {', '.join(missing)}; need {', '.join(TOY_COLUMNS)}")
    df = df[(df["status"] == "ok") & np.isfinite(df["base_p1"]) & np.isfinite(df["gain"]) & np.isfinite(df["chance"])]
    return pd.DataFrame(
        {
            "source": df["setting"].astype(str),
            "before": df["base_p1"].astype(float),
            "chance": df["chance"].astype(float),
            "gain": df["gain"].astype(float),
            "G": df["G"].astype(int),
        }
    ).reset_index(drop=True)


def fit_toy_law(cells_csv: str | Path, level: float = LEVEL) -> GainForecast:
    """The law fitted on toy cells only; its residuals are the cells' in-sample residuals.
    G is the toy grids' group size (one value; a mix is refused)."""
    df = toy_rows(cells_csv)
    if df.empty:
        raise ValueError(f"{Path(cells_csv).name}: no usable cells (status ok with finite base_p1 and gain)")
    Gs = sorted(df["G"].unique())
    if len(Gs) != 1:
        raise ValueError(f"{Path(cells_csv).name}: cells use several group sizes {Gs}; fit one G at a time")
    G = int(Gs[0]) if Gs else G_DEFAULT
    law = GainForecast([float(c) for c in fit_coef(df, G)], np.empty(0), G, level)
    resid = df["gain"].to_numpy(float) - law.point(df["before"], df["chance"])
    return GainForecast(
        law.coef,
        resid,
        G,
        level,
        len(df),
        df["source"].nunique(),
        fitted_on=f"toy grids ({Path(cells_csv).name})",
    )


STUDY_PREDICTORS = ("phi0", "greedy")
"""The study's shipped base-only predictors whose features a published row has (no coverage, no step_prob)."""


def study_predictor_scores(predictors_json: str | Path, real: pd.DataFrame, G: int = G_DEFAULT) -> dict:
    """The study's own fitted predictors (predictors.json of `aha study`), applied as shipped to the real
    rows: `phi0` = φ(base pass@1, G), `greedy` = base accuracy (published pass@1 stands in for greedy).
    Per predictor: MAE, Spearman ρ and rows, beside a constant at the toy mean gain (its `constant`)."""
    from theory.predict_gain import LinearPredictor  # noqa: PLC0415

    from .transfer import rank_corr  # noqa: PLC0415

    fitted = json.loads(Path(predictors_json).read_text())["predictors"]
    p = real["before"].to_numpy(float)
    feats = pd.DataFrame({"phi0": phi(p, G), "greedy": p})
    y = real["gain"].to_numpy(float)
    out = {}
    for name in (*STUDY_PREDICTORS, "constant"):
        if name in fitted:
            pred = LinearPredictor.from_dict(fitted[name]).predict(feats)
            out[name] = {"mae": float(np.mean(np.abs(pred - y))), "rho": rank_corr(pred, y), "n_rows": len(y)}
    return out


def transfer_note(cells_csv: str | Path, real: pd.DataFrame) -> str:
    """Where the toy cells and the real rows sit in capability units, and what would have to change
    for a toy-fitted law to transfer (bridge.md's closing words on the scale-free question)."""
    toy = toy_rows(cells_csv)
    p_toy = capability(toy["before"], toy["chance"])["p_sig"].to_numpy()
    p_real = capability(real["before"], real["chance"] if "chance" in real else 0.0)["p_sig"].to_numpy()
    lo, hi = np.quantile(p_toy, [0.05, 0.95])
    inside = float(np.mean((p_real >= lo) & (p_real <= hi)))
    return (
        f"Where the two meet: the toy cells' chance-corrected base pass@1 has median {np.median(p_toy):.3f} "
        f"(5–95%: {lo:.3f}–{hi:.3f}); the real rows' has median {np.median(p_real):.3f}, and {100 * inside:.0f}% "
        "of them lie inside the toy 5–95% range, so on the others the toy law extrapolates. For a law fitted on "
        "toy grids to transfer, (1) the grids would have to cover the real capability range (bases that solve a "
        "sizeable share of problems without RL, not only bases near chance); (2) the RL budget would have to be "
        "comparable or be a variable of the law (toy gains come from one short fixed run, real ones from recipes "
        "that differ by orders of magnitude in steps and data); (3) pass@1 would have to mean the same thing: a "
        "toy answer is a short string with a known chance level, a real one a long free-form solution whose base "
        "pass@1 moves with prompt format and sampling settings; and (4) the features would have to include what "
        "real gains vary with and toy cells do not (answer length, format learning, benchmark contamination)."
    )
