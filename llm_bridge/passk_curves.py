"""Published pass@k curves, base model vs RL model, at the k values a source prints (long form).

    curves = load_passk_curves()            # llm_bridge/data/published_passk_curves.csv
    curves = load_passk_curves("mine.csv")  # your own rows, same columns (checked strictly)

One CSV row is one (source, model, benchmark, k) point: `before` is the base model's pass@k, `after`
the RL model's, in percent points (0-100). The loaded Dataset has dims (`curve`, `k`), one `curve` per
(source, model, benchmark), with

- `before`, `after`: pass@k as rates in [0, 1], NaN where the source gives no value at that k;
- `delta` = after − before (rate); > 0 means RL raised pass@k at that k;
- coords over `curve`: `source`, `model`, `benchmark`, `params_total_B`, `arxiv_or_url`;
- `location`, `read_from` (`table` | `plot` | `text` | `unknown`), `notes` per point.

The shipped file holds what stored text gives: Yue et al. (arXiv:2504.13837) print their curves as
figures and give numbers only at k = 1 and k = 256 (Tables 2-3); those two points are here. Every point
also stands in `published_rl_results.csv` (tests check they agree); this file is their curve view.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from .published import READ_FROM, parse_number, read_csv_checked

CURVES_CSV = Path(__file__).parent / "data" / "published_passk_curves.csv"
CURVE_COLUMNS = ("source", "model", "benchmark", "k", "before", "after")
CURVE_OPTIONAL = ("arxiv_or_url", "location", "params_total_B", "read_from", "paper_version", "notes")
_POINT_STRINGS = ("location", "read_from", "notes")


def _read_points(path: Path) -> list[dict]:
    """Rows of the CSV, validated: one-line errors name the line, the column and what it allows."""
    _, rows = read_csv_checked(path, CURVE_COLUMNS, CURVE_OPTIONAL, "pass@k curve CSV")
    seen: set[tuple] = set()
    for i, r in enumerate(rows, start=2):
        where = f"{path.name} line {i}"
        if not r["k"].isdigit() or int(r["k"]) < 1:
            raise ValueError(f"{where}: column 'k' must be a whole number >= 1; got {r['k']!r}")
        for c in ("before", "after"):
            x, _, ok = parse_number(r[c])
            if not ok or not (np.isnan(x) or 0 <= x <= 100):
                raise ValueError(
                    f"{where}: column '{c}' must be a number in percent points (0-100) or NA; got {r[c]!r}"
                )
        if r.get("read_from", "") not in ("", *READ_FROM):
            raise ValueError(
                f"{where}: column 'read_from' must be one of {', '.join(READ_FROM)}; got {r['read_from']!r}"
            )
        key = (r["source"], r["model"], r["benchmark"], int(r["k"]))
        if key in seen:
            raise ValueError(f"{where}: duplicate point for source, model, benchmark, k = {key}")
        seen.add(key)
    if not rows:
        raise ValueError(f"{path.name}: no rows")
    return rows


def load_passk_curves(path: str | Path | None = None) -> xr.Dataset:
    """The shipped curve CSV or your own (same columns), as a Dataset over (`curve`, `k`)."""
    p = CURVES_CSV if path is None else Path(path)
    rows = _read_points(p)
    curves = list(dict.fromkeys((r["source"], r["model"], r["benchmark"]) for r in rows))
    ks = sorted({int(r["k"]) for r in rows})
    ci, ki = {c: j for j, c in enumerate(curves)}, {k: j for j, k in enumerate(ks)}
    num = {v: np.full((len(curves), len(ks)), np.nan) for v in ("before", "after")}  # (curve, k)
    strs = {v: np.full((len(curves), len(ks)), "", dtype=object) for v in _POINT_STRINGS}
    first: dict[tuple, dict] = {}
    for r in rows:
        c = (r["source"], r["model"], r["benchmark"])
        first.setdefault(c, r)
        idx = (ci[c], ki[int(r["k"])])
        for v in ("before", "after"):
            num[v][idx] = parse_number(r[v])[0] / 100.0
        for v in _POINT_STRINGS:
            strs[v][idx] = r.get(v, "")
    dims = ("curve", "k")
    ds = xr.Dataset(
        {
            **{v: (dims, a) for v, a in num.items()},
            "delta": (dims, num["after"] - num["before"]),
            **{v: (dims, a.astype(str)) for v, a in strs.items()},
        },
        coords={
            "curve": np.arange(len(curves)),
            "k": ks,
            "source": ("curve", [c[0] for c in curves]),
            "model": ("curve", [c[1] for c in curves]),
            "benchmark": ("curve", [c[2] for c in curves]),
            "params_total_B": ("curve", [parse_number(first[c].get("params_total_B", ""))[0] for c in curves]),
            "arxiv_or_url": ("curve", [first[c].get("arxiv_or_url", "") for c in curves]),
        },
    )
    for v in ("before", "after", "delta"):
        ds[v].attrs["units"] = "rate in [0, 1] (pass@k); NaN = not given at this k"
    ds.attrs.update(source_file=str(p), schema="aha-playground published pass@k curves (long form)")
    return ds


__all__ = ["CURVES_CSV", "load_passk_curves"]
