"""Published before/after-RL numbers for real LLMs (or a user's own CSV) as a results Dataset.

    ds = load_published()                      # the shipped llm_bridge/data/published_rl_results.csv
    ds = load_published("mine.csv")            # your own rows, same columns (checked strictly)

One CSV row is one (source, model, setting, benchmark, metric) entry. Rows are grouped into
*model groups* (column `group`, or `source: model | setting` where it is empty); each group is
one entry of the `model` dim. The Dataset has dims (`model`, `benchmark`, `metric`) and

- `before`, `after`, `delta`: rates in [0, 1] (percent points / 100; `#solvable/N` counts / N);
  NaN where the CSV says NA or the cell is not a single number (the text is kept in `*_raw`);
- `tag` (reliability tags found in `notes`: P, S, U, D, P-blog, ...), `approx` (value had `~`),
  `source`, `arxiv_or_url`, `location`, `notes`, `origin`, `result_id`, `duplicate_of`,
  `paper_version`, `read_from`, `*_raw` per entry;
- coords over `model`: `n_params_total`, `n_params_active` (parameters, from the numeric columns
  `params_total_B` / `params_active_B`, else from a plain-number `params_B`; NaN if undisclosed, a
  range or a list), `n_params` (= `n_params_total`), `params_B_raw`, `moe`, `model_name`, `setting`,
  `source_group`, `contrast`, `family` (model series, e.g. Qwen2.5; empty where not set).

Each result counts once: an entry whose `duplicate_of` is set repeats a result given elsewhere (a
combined row kept beside its split rows, or a second estimate of the same quantity) and is kept for
provenance only; `unique_results(ds)` blanks those, and every check and `gain_table()` use it. A CSV
without the column gets the rule from `origin`: a row `shared row N` with rows `split of shared row N`.
`gain_table()` is the flat view for forecasts: one entry per unique `base_to_rl` result over `result`.

pass@k mapping (see `pass_at_k_view`): metric `pass@K` fills `k=K`; `avg@K`, `acc_pct` and
lm-eval's `acc`/`exact_match` are mean single-sample accuracies and fill `k=1`, in that priority
(pass@1 first). `before` becomes `base_pass_at_k`, `after` becomes `rl_pass_at_k`, over
(`model`, `benchmark`, `k`); `pass_at_k_metric` records which metric filled each cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xarray as xr

from .published_csv import (  # noqa: F401  (re-exported: the CSV half of this module)
    CONTRASTS,
    META,
    METRIC_HELP,
    OPTIONAL,
    READ_FROM,
    REQUIRED,
    Entry,
    duplicates_by_origin,
    parse_number,
    parse_params,
    read_csv_checked,
    read_rows,
    row_params,
)

FACTORS = ("start", "checkpoint_id", "in_distribution", "averaged", "protocol")
"""Per-result factors of the starting point and of like-for-like measurement (data/README.md)."""

DATA_CSV = Path(__file__).parent / "data" / "published_rl_results.csv"

_TAG = re.compile(r"\[([PSUD](?:-[a-z]+)?)\]")
_STRING_VARS = ("tag", "source", *META, "before_raw", "after_raw", "delta_raw")


def metric_scale(metric: str) -> float | None:
    """Divisor that turns a value of `metric` into a rate; None when it is not a rate (counts, text)."""
    m = metric.strip()
    if m == "qualitative":
        return None
    if m.startswith("#"):
        n = re.search(r"/(\d+)", m)
        return float(n.group(1)) if n else None
    return 100.0


def entries_to_dataset(entries: list[Entry]) -> xr.Dataset:
    groups = list(dict.fromkeys(e.group for e in entries))
    benches = list(dict.fromkeys(e.benchmark for e in entries))
    metrics = list(dict.fromkeys(e.metric for e in entries))
    shape = (len(groups), len(benches), len(metrics))
    num = {v: np.full(shape, np.nan) for v in ("before", "after", "delta")}
    approx = np.zeros(shape, bool)
    strs = {v: np.full(shape, "", dtype=object) for v in _STRING_VARS}
    gi, bi, mi = ({x: j for j, x in enumerate(xs)} for xs in (groups, benches, metrics))
    first: dict[str, Entry] = {}
    for e in entries:
        first.setdefault(e.group, e)
        idx = (gi[e.group], bi[e.benchmark], mi[e.metric])
        scale = metric_scale(e.metric)
        for var, col in (("before", "before"), ("after", "after"), ("delta", "delta_computed")):
            x, ap, _ = parse_number(e.values[col])
            num[var][idx] = x / scale if scale else np.nan
            approx[idx] |= ap
            strs[f"{var}_raw"][idx] = e.values[col]
        tags = _TAG.findall(e.meta["notes"])
        strs["tag"][idx] = ",".join(dict.fromkeys(tags)) or "untagged"
        strs["source"][idx] = e.source
        for c in META:
            strs[c][idx] = e.meta.get(c, "")
    params = [parse_params(first[g].params_B) for g in groups]
    dims = ("model", "benchmark", "metric")
    ds = xr.Dataset(
        {
            **{v: (dims, a) for v, a in num.items()},
            "approx": (dims, approx),
            **{v: (dims, a) for v, a in strs.items()},  # object dtype: fixed-width <U would take ~330 MB
        },
        coords={
            "model": groups,
            "benchmark": benches,
            "metric": metrics,
            "n_params": ("model", np.array([first[g].params[0] * 1e9 for g in groups])),
            "n_params_total": ("model", np.array([first[g].params[0] * 1e9 for g in groups])),
            "n_params_active": ("model", np.array([first[g].params[1] * 1e9 for g in groups])),
            "params_B_raw": ("model", [first[g].params_B for g in groups]),
            "moe": ("model", np.array([p[1] for p in params])),
            "model_name": ("model", [first[g].model for g in groups]),
            "setting": ("model", [first[g].setting for g in groups]),
            "source_group": ("model", [first[g].source for g in groups]),
            "family": ("model", [first[g].meta.get("family", "") for g in groups]),
            "contrast": ("model", [first[g].contrast for g in groups]),
        },
    )
    ds["n_params"].attrs["note"] = "total parameters (params_total_B * 1e9; MoE flagged in `moe`); = n_params_total"
    ds["n_params_active"].attrs["note"] = "parameters active per token (= total for dense models); NaN if undisclosed"
    for v in ("before", "after", "delta"):
        ds[v].attrs["units"] = "rate in [0, 1] (percent points / 100); NaN = NA or not a single number"
    return ds


def load_published(path: str | Path | None = None, strict: bool | None = None) -> xr.Dataset:
    """The shipped CSV (lenient: odd cells become NaN, text kept) or your own (strict by default)."""
    strict = (path is not None) if strict is None else strict
    p = DATA_CSV if path is None else Path(path)
    ds = entries_to_dataset(read_rows(p, strict))
    ds.attrs.update(source_file=str(p), schema="aha-playground results (llm_bridge published)")
    return ds


K1_PRIORITY = ("pass@1", "avg@", "acc_pct", "exact_match", "acc")


def _metric_k(metric: str) -> tuple[int, int] | None:
    """(k, priority) for metrics that estimate pass@k; None for the others."""
    m = re.match(r"^pass@(\d+)$", metric)
    if m:
        return int(m.group(1)), 0
    for prio, prefix in enumerate(K1_PRIORITY):
        if (
            metric == prefix
            or (prefix.endswith("@") and metric.startswith(prefix))
            or (prefix in ("exact_match", "acc") and metric.split("[")[0] == prefix)
        ):
            return 1, prio
    return None


def pass_at_k_view(ds: xr.Dataset) -> xr.Dataset:
    """`base_pass_at_k`, `rl_pass_at_k` and `pass_at_k_metric` over (model, benchmark, k)."""
    mk = {m: _metric_k(str(m)) for m in ds.metric.values}
    ks = sorted({v[0] for v in mk.values() if v})
    shape = (ds.sizes["model"], ds.sizes["benchmark"], len(ks))
    out = {n: np.full(shape, np.nan) for n in ("base_pass_at_k", "rl_pass_at_k")}
    which = np.full(shape, "", dtype=object)
    order = sorted((v[1], m) for m, v in mk.items() if v)  # best priority last, so it overwrites
    for _, m in reversed(order):
        j = ks.index(mk[m][0])
        for name, var in (("base_pass_at_k", "before"), ("rl_pass_at_k", "after")):
            x = ds[var].sel(metric=m).values  # (model, benchmark)
            have = ~np.isnan(x)
            out[name][..., j] = np.where(have, x, out[name][..., j])
            which[..., j] = np.where(have, m, which[..., j])
    dims = ("model", "benchmark", "k")
    res = xr.Dataset(
        {**{n: (dims, a) for n, a in out.items()}, "pass_at_k_metric": (dims, which.astype(str))},
        coords={"model": ds.model, "benchmark": ds.benchmark, "k": ks},
    )
    return res.assign_coords({c: ds[c] for c in ds.coords if ds[c].dims == ("model",)})


def unique_results(ds: xr.Dataset) -> xr.Dataset:
    """`ds` with every entry that repeats a result given elsewhere (`duplicate_of` set: a combined row
    kept beside its split rows) blanked, and model groups left empty dropped: each result counts once."""
    if "duplicate_of" not in ds:
        return ds
    dup = ds.duplicate_of != ""
    if not bool(dup.any()):
        return ds
    out = ds.copy()
    for v in out.data_vars:
        fill = np.nan if out[v].dtype.kind == "f" else (False if out[v].dtype.kind == "b" else "")
        out[v] = out[v].where(~dup, fill)
    keep = (out.source != "").any(("benchmark", "metric"))
    return out.sel(model=keep.values)


GAIN_STRINGS = (
    "result_id",
    "source",
    "arxiv_or_url",
    "location",
    "model",
    "group",
    "benchmark",
    "metric",
    "setting",
    "tag",
    "read_from",
    "paper_version",
    "start",
    "checkpoint_id",
    "in_distribution",
    "averaged",
    "protocol",
)


def gain_table(ds: xr.Dataset | None = None, averages: bool = False) -> xr.Dataset:
    """One entry per unique `base_to_rl` result with numeric before and after, over dim `result`.

    Variables: `before`, `after` (rates in [0, 1]), `k` (K of pass@K; 1 for avg@K / acc_pct / pass@1),
    `params_total_B`, `params_active_B` (billions; NaN undisclosed), `approx` ('~' in the source) and
    the strings `GAIN_STRINGS` (object arrays; `model` is the model as named in the source, `group` the
    model group of `ds`). Benchmarks named `Avg*` average other rows and are left out unless `averages`.
    Counts, gaps and stated gains without both sides (acc_gain_pts, #solvable/N) are not rates of
    pass@k and are left out.
    """
    ds = unique_results(load_published() if ds is None else ds)
    metric_k = {j: _metric_k(str(m)) for j, m in enumerate(ds.metric.values)}
    keep = np.isfinite(ds.before.values) & np.isfinite(ds.after.values)  # (model, benchmark, metric)
    keep &= (ds.contrast.values == "base_to_rl")[:, None, None]
    keep &= np.array([mk is not None for mk in metric_k.values()])[None, None, :]
    if not averages:
        keep &= np.array([not str(b).startswith("Avg") for b in ds.benchmark.values])[None, :, None]
    per_entry = [
        s for s in ("result_id", "arxiv_or_url", "location", "tag", "read_from", "paper_version", *FACTORS) if s in ds
    ]
    # (model,) parameters; Datasets saved before the numeric columns existed have only n_params (total)
    total = (ds.n_params_total if "n_params_total" in ds.coords else ds.n_params).values
    active = ds.n_params_active.values if "n_params_active" in ds.coords else np.full(total.shape, np.nan)
    recs: list[dict] = []
    for a, b, j in sorted(map(tuple, np.argwhere(keep)), key=lambda t: (t[0], t[2], t[1])):
        c = (a, b, j)
        recs.append(
            {
                "before": float(ds.before.values[c]),
                "after": float(ds.after.values[c]),
                "k": metric_k[j][0],
                "approx": bool(ds.approx.values[c]),
                "params_total_B": float(total[a]) / 1e9,
                "params_active_B": float(active[a]) / 1e9,
                "source": str(ds.source.values[c]),
                **{s: str(ds[s].values[c]) for s in per_entry},
                "model": str(ds.model_name.values[a]),
                "group": str(ds.model.values[a]),
                "benchmark": str(ds.benchmark.values[b]),
                "metric": str(ds.metric.values[j]),
                "setting": str(ds.setting.values[a]),
            }
        )
    recs.sort(key=lambda r: (r["source"], r["group"], r["benchmark"], r["k"]))
    data = {}
    for v in ("before", "after", "params_total_B", "params_active_B"):
        data[v] = ("result", np.array([r[v] for r in recs], dtype=float))
    data["k"] = ("result", np.array([r["k"] for r in recs], dtype=int))
    data["approx"] = ("result", np.array([r["approx"] for r in recs], dtype=bool))
    for v in GAIN_STRINGS:
        data[v] = ("result", np.array([r.get(v, "") for r in recs], dtype=object))
    out = xr.Dataset(data, coords={"result": np.arange(len(recs))})
    out["before"].attrs["units"] = out["after"].attrs["units"] = "rate in [0, 1]"
    out.attrs.update(source_file=ds.attrs.get("source_file", ""), rule="unique base_to_rl results, both sides numeric")
    return out
