"""After `aha demo` (and `make demo`): how the run's headline figures compare with the shipped ones
in docs/demo, and whether each difference lies within the spread expected between two runs.

Every number is read from the two runs' files (grid.nc, fits.json, env.json; docs/demo/repro.json
for the measured thread-count difference), never typed. The expected spread treats another machine
as another draw of seeds: above the smallest widths RL takes off or not by seed, and even by CPU
(DESIGN.md), so a mean over S seeds moves between two runs by about sd_seed · √(2/S), sd_seed
being the shipped run's spread over seeds at that width. A difference beyond ``Z`` times that is
flagged, not hidden; verdict words and collapse counts have no such model and are only compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from theory.text import signed, threads
from toymodels.results import ok_only, rl_gain

__all__ = ["SHIPPED", "Z", "compare_with_shipped", "same_spec"]

SHIPPED = Path(__file__).resolve().parents[1] / "docs" / "demo"
"""The shipped demo run (its grid.nc, fits.json, env.json, repro.json)."""
Z = 2.0
"""A difference within Z standard deviations of the difference of two runs' means is 'within'."""


def _spec(ds: xr.Dataset) -> dict:
    spec = json.loads(ds.attrs.get("config", "{}"))
    fixed = {k: v for k, v in spec.get("fixed", {}).items() if k != "device"}
    return {"axes": spec.get("axes"), "fixed": fixed, "variants": spec.get("variants")}


def same_spec(a: xr.Dataset, b: xr.Dataset) -> bool:
    """Whether two runs ran the same grid (axes, fixed fields and variants; the device aside)."""
    return _spec(a) == _spec(b)


def _per_width(ds: xr.Dataset) -> xr.DataArray:
    g = rl_gain(ok_only(ds))  # (width, depth, seed, ...) in-distribution pass@1 gain
    return g.mean([d for d in g.dims if d not in ("width", "seed")])  # (width, seed)


def _load(run: Path) -> tuple[xr.Dataset, dict, dict]:
    from toymodels.storage import load_dataset  # noqa: PLC0415

    read = lambda name: json.loads((run / name).read_text()) if (run / name).is_file() else {}  # noqa: E731
    return load_dataset(run / "grid.nc"), read("fits.json"), read("env.json")


def _timing(env: dict) -> str:
    t = env.get("timing")
    if not t:
        return "not recorded"
    return f"{t['total_s'] / 60:.1f} min on {t['cpus']} CPU cores, {threads(t['torch_threads'])}"


def _gain_lines(mine: xr.DataArray, ref: xr.DataArray) -> tuple[list[str], int, int]:
    """Mean gain overall and per width, yours against the shipped, each with its expected spread."""
    S = ref.sizes["seed"]
    sd = ref.std("seed", ddof=1)  # (width,) the shipped seed spread
    rows = [
        (
            "mean RL gain in pass@1 (all cells)",
            mine.mean(),
            ref.mean(),
            float(np.sqrt(2 * (sd**2).sum() / S)) / ref.sizes["width"],
        )
    ]
    rows += [
        (
            f"  width {int(w)}",
            mine.sel(width=w).mean(),
            ref.sel(width=w).mean(),
            float(sd.sel(width=w)) * np.sqrt(2 / S),
        )
        for w in ref.width.values
        if w in mine.width.values
    ]
    out, n_in = [], 0
    for label, m, r, s in rows:
        d = float(m) - float(r)
        ok = abs(d) <= Z * s
        n_in += ok
        out.append(
            f"{label}: yours {signed(float(m))}, shipped {signed(float(r))}; difference {signed(d)}, "
            f"expected within ±{Z * s:.2f}: {'within' if ok else 'OUTSIDE'}"
        )
    return out, n_in, len(rows)


def compare_with_shipped(run: Path, shipped: Path = SHIPPED) -> list[str]:
    """The lines `aha demo` prints at its end (empty when there is no shipped demo to compare with)."""
    if not (shipped / "grid.nc").is_file() or Path(run).resolve() == shipped.resolve():
        return []
    (ds, fits, env), (ref, ref_fits, ref_env) = _load(Path(run)), _load(shipped)
    head = f"Your demo against the shipped one ({shipped}; every number from the two runs' files):"
    if not same_spec(ds, ref):
        return [head, "  your run is another grid (a --set changed it): its numbers are not comparable"]
    gains, n_in, n = _gain_lines(_per_width(ds), _per_width(ref))
    out = [head] + ["  " + line for line in gains]
    v, rv = fits.get("H1", {}).get("rl_gain", {}), ref_fits.get("H1", {}).get("rl_gain", {})
    if v and rv:
        same = "the same" if v["verdict"] == rv["verdict"] else "differs (a verdict on 3 seeds per size can flip)"
        out.append(f"  H1 verdict: yours `{v['verdict']}`, shipped `{rv['verdict']}`: {same}")
    c, rc = fits.get("collapses"), ref_fits.get("collapses")
    if c and rc:
        out.append(
            f"  collapses (RL made pass@1 worse): yours {c['n']} of {c['n_cells']}, "
            f"shipped {rc['n']} of {rc['n_cells']}"
        )
    out.append(f"  wall time: yours {_timing(env)}; shipped {_timing(ref_env)}")
    out.append(
        f"  {n_in} of {n} gain figures within the expected spread (±{Z:g} sd of the difference of two runs' "
        f"means, the sd over seeds from the shipped run: another machine acts as new seeds)."
    )
    repro = shipped / "repro.json"
    if repro.is_file():
        for r in json.loads(repro.read_text()).get("comparisons", []):
            out.append(f"  measured for the shipped demo: {r['summary']}")
    return out
