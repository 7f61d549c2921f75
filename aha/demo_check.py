"""After `aha demo` (and `make demo`): how the run's headline figures compare with the shipped ones
in docs/demo, and whether each difference lies within the spread expected between two runs.

Every number is read from the two runs' files (grid.nc, fits.json, env.json; docs/demo/repro.json
for the measured thread-count difference), never typed. The expected spread (theory.two_runs) treats another
machine as another draw of seeds: a mean over S seeds moves between two runs by about
sd_seed · √(2/S), sd_seed being the shipped run's spread over seeds at that width. A difference
beyond ``Z`` times that is flagged, not hidden; verdict words and collapse counts have no such model
and are only compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from theory.text import in_machine_units, signed, threads
from theory.two_runs import Z, mean_differences
from toymodels.results import ok_only, rl_gain

__all__ = ["SHIPPED", "Z", "compare_with_shipped", "same_spec"]

SHIPPED = Path(__file__).resolve().parents[1] / "docs" / "demo"
"""The shipped demo run (its grid.nc, fits.json, env.json, repro.json)."""


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
    from toymodels.storage import load_dataset, read_json  # noqa: PLC0415

    return load_dataset(run / "grid.nc"), read_json(run / "fits.json"), read_json(run / "env.json")


def _timing(env: dict) -> str:
    t = env.get("timing")
    if not t:
        return "not recorded"
    units = in_machine_units(t["total_s"], env.get("yardstick"))  # "" before env.json recorded a yardstick
    return f"{t['total_s'] / 60:.1f} min on {t['cpus']} CPU cores, {threads(t['torch_threads'])}" + (
        f" ({units})" if units else ""
    )


def _gain_lines(mine: xr.DataArray, ref: xr.DataArray) -> tuple[list[str], int, int]:
    """Mean gain overall and per width, yours against the shipped, each with its expected spread."""
    rows = mean_differences(mine, ref, Z)
    label = lambda w: "mean RL gain in pass@1 (all cells)" if w is None else f"  width {w}"  # noqa: E731
    out = [
        f"{label(r['width'])}: "
        f"yours {signed(r['mine'])}, shipped {signed(r['ref'])}; difference {signed(r['difference'])}, "
        f"expected within ±{r['spread']:.2f}: {'within' if r['within'] else 'OUTSIDE'}"
        for r in rows
    ]
    return out, sum(r["within"] for r in rows), len(rows)


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
