"""The per-cell aha onsets moved to toymodels.onset (issue 21); `aha fit` fits them
(toymodels.run_fits) and draws their figure (aha/fit.py). This name stays for older imports."""

from __future__ import annotations

from toymodels.onset import CURVE, onset_dataset

__all__ = ["CURVE", "onset_dataset"]
