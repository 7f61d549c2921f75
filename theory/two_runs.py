"""Two runs of one grid (yours and a shipped one): is each difference of mean RL gain within the
spread expected between two draws of seeds?

Another machine acts as another draw of seeds: above the smallest widths RL takes off or not by seed,
and even by CPU (DESIGN.md), so a mean over S seeds moves between two runs by about
sd_seed · √(2/S), sd_seed being the reference run's spread over seeds at that width (the mean over
all widths: √(2 Σ sd² / S) / n_widths). A difference within ``z`` times that is 'within'.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["Z", "mean_differences"]

Z = 2.0
"""A difference within Z standard deviations of the difference of two runs' means is 'within'."""


def mean_differences(mine: xr.DataArray, ref: xr.DataArray, z: float = Z) -> list[dict]:
    """Over all cells, then per width of ``ref`` that ``mine`` has: ``{"width"`` (None for all cells),
    ``"mine", "ref", "difference", "spread"`` (z times the sd of the difference), ``"within"}``;
    both arrays are (width, seed), the sd over seeds is ``ref``'s."""
    S = ref.sizes["seed"]
    sd = ref.std("seed", ddof=1)  # (width,)
    rows = [(None, mine.mean(), ref.mean(), float(np.sqrt(2 * (sd**2).sum() / S)) / ref.sizes["width"])]
    rows += [
        (int(w), mine.sel(width=w).mean(), ref.sel(width=w).mean(), float(sd.sel(width=w)) * np.sqrt(2 / S))
        for w in ref.width.values
        if w in mine.width.values
    ]
    out = []
    for width, m, r, s in rows:
        d = float(m) - float(r)
        out.append(
            {
                "width": width,
                "mine": float(m),
                "ref": float(r),
                "difference": d,
                "spread": z * s,
                "within": bool(abs(d) <= z * s),
            }
        )
    return out
