"""Prediction before RL: a study's fitted predictors (predictors.json, theory.predict_gain) applied
to a base-only run (`aha grid --base-only`): each cell's predicted RL gain and P(gain >= threshold),
and each setting's predicted N_c. What `aha predict` prints and writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from theory.predict_gain import LinearPredictor, setting_N_c

from .cells import cell_table
from .grid import GridSpec
from .storage import load_dataset


def load_predictors(path: Path) -> dict:
    """predictors.json as aha study wrote it, each predictor a LinearPredictor (one-line errors)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--model {path} does not exist (aha study writes predictors.json)")
    try:
        blob = json.loads(path.read_text())
        return {**blob, "predictors": {k: LinearPredictor.from_dict(v) for k, v in blob["predictors"].items()}}
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"--model {path} is not a predictors.json written by aha study ({e})") from None


def predict_cells(run_dir: Path, blob: dict, predictor: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Per cell: predicted gain and P(gain >= threshold); per setting: predicted N_c."""
    name = predictor or blob["best"]
    if name not in blob["predictors"]:
        raise ValueError(f"--predictor must be one of {', '.join(blob['predictors'])}; got {name!r}")
    model = blob["predictors"][name]
    if model.intercept is None:
        raise ValueError(
            f"--predictor {name} was fitted on no cells (every cell of the study was ok-less or set aside by "
            "rl_health); run a study whose cells received a signal"
        )
    spec = GridSpec.from_dict(json.loads((run_dir / "config.json").read_text()))
    df, _ = cell_table(spec, load_dataset(run_dir / "grid.nc"))
    df["predicted_gain"] = model.predict(df)
    df["p_gain"] = model.prob_gain(df)
    nc = setting_N_c(df.rename(columns={"predicted_gain": "pg"}), "pg", model.threshold)
    return df, {s: {"N_c": v[0], "note": v[1], "predictor": name} for s, v in nc.items()}
