"""lm-evaluation-harness results JSON files -> the published-results Dataset (bring your own numbers).

    ds = load_lm_eval(["base.json"], rl_files=["rl.json"])   # paired: base -> RL, one model group
    ds = load_lm_eval(["a.json", "b.json"])                   # base measurements only

Each file's `results` maps task -> {"acc,none": 0.41, "exact_match,strict-match": 0.3, ...}; the
metric `acc,none` becomes `acc`, `exact_match,strict-match` becomes `exact_match[strict-match]`
(stderr entries are dropped). Rates stay rates. The model name comes from `model_name`, else
`config.model_args` (`pretrained=...`), else the file name; `config.model_num_parameters` gives
`n_params` when present. Files are paired positionally: rl_files[i] is the RL run of files[i].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from .published import Entry, entries_to_dataset


def _read(path: Path) -> tuple[str, float, dict[tuple[str, str], float]]:
    if not path.is_file():
        raise FileNotFoundError(f"lm-eval results file not found: {path}")
    try:
        obj = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path.name}: not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(obj.get("results"), dict) or not obj["results"]:
        raise ValueError(f"{path.name}: missing 'results' (task -> {{'acc,none': ...}}) of lm-evaluation-harness")
    cfg = obj.get("config") or {}
    name = obj.get("model_name") or ""
    if not name:
        args = cfg.get("model_args") or ""
        if isinstance(args, dict):
            name = str(args.get("pretrained", ""))
        else:
            parts = dict(a.split("=", 1) for a in str(args).split(",") if "=" in a)
            name = parts.get("pretrained", "")
    name = name or path.stem
    n = cfg.get("model_num_parameters")
    vals: dict[tuple[str, str], float] = {}
    for task, res in obj["results"].items():
        for key, v in res.items():
            metric, _, filt = key.partition(",")
            if "stderr" in metric or not isinstance(v, int | float) or isinstance(v, bool):
                continue
            m = metric if filt in ("", "none") else f"{metric}[{filt}]"
            vals[(task, m)] = float(v)
    if not vals:
        raise ValueError(f"{path.name}: 'results' holds no numeric metrics")
    return name, float(n) / 1e9 if n else float("nan"), vals


def load_lm_eval(files, rl_files=None, source: str = "lm-evaluation-harness") -> xr.Dataset:
    """Dataset with the published schema; `before` from files, `after` from rl_files (if given)."""
    files = [Path(f) for f in files]
    rl = [Path(f) for f in rl_files] if rl_files else [None] * len(files)
    if len(rl) != len(files):
        raise ValueError(f"rl_files must pair one-to-one with files: got {len(rl)} for {len(files)}")
    entries = []
    for f, r in zip(files, rl, strict=True):
        name, params_b, base = _read(f)
        after = {}
        group = name
        if r is not None:
            rname, _, after = _read(r)
            group = f"{name} -> {rname}"
        for task, metric in dict.fromkeys([*base, *after]):
            b, a = base.get((task, metric), np.nan), after.get((task, metric), np.nan)
            # the shared machinery reads percent points; lm-eval gives rates
            vals = {"before": _pts(b), "after": _pts(a), "delta_computed": _pts(a - b)}
            meta = {
                "arxiv_or_url": str(f),
                "location": "results",
                "notes": "[P] own measurement",
                "origin": f"{f.name}" + (f" + {r.name}" if r else ""),
            }
            entries.append(
                Entry(
                    group,
                    name,
                    "NA" if np.isnan(params_b) else repr(params_b),
                    "",
                    source,
                    "base_to_rl",
                    task,
                    metric,
                    vals,
                    meta,
                )
            )
    ds = entries_to_dataset(entries)
    ds.attrs["source_file"] = ", ".join(map(str, files + [x for x in rl if x]))
    return ds


def _pts(x: float) -> str:
    return "NA" if not np.isfinite(x) else repr(100.0 * x)
