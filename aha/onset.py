"""Aha onsets of a run, for `aha fit` (``fit_run`` calls ``onset_section``), which writes

- ``RUN_DIR/onset.nc``: toymodels.onset.onset_dataset, the change-point fit of ``theory.onset`` on
  every cell's RL reward curve (what each variable is and which cells are not judged: there);
- ``fits.json["onset"]``: theory.onset_stats.summarize_onsets (rule, counts per call and per size,
  Spearman ρ of the onset against size, φ at the start of RL and the predicted first-signal time);
- a figure of onset against N, cells without an aha marked.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from theory.onset_stats import summarize_onsets
from toymodels import storage
from toymodels.onset import CURVE, onset_dataset

__all__ = ["CURVE", "onset_dataset", "onset_section"]


def onset_section(ds: xr.Dataset, run_dir: Path, G: int, prompts_per_update: int) -> tuple[dict, list[Path]]:
    """(fits.json entry, figure paths) of the onset fits; writes RUN_DIR/onset.nc ({} and no
    figure without a reward curve over RL updates)."""
    on = onset_dataset(ds, G, prompts_per_update)
    if on is None:
        return {}, []
    storage.atomic_write_dataset(Path(run_dir) / "onset.nc", on)
    s = summarize_onsets(on.to_dataframe().reset_index(), CURVE)
    from .plots_behaviour import onset_vs_size  # noqa: PLC0415

    return s, [onset_vs_size(on, Path(run_dir) / "figures" / "aha_onset_vs_size.png")]
