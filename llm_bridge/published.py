"""Published before/after-RL numbers for real LLMs (or a user's own CSV) as a results Dataset.

    ds = load_published()                      # the shipped llm_bridge/data/published_rl_results.csv
    ds = load_published("mine.csv")            # your own rows, same columns (checked strictly)

One CSV row is one (source, model, setting, benchmark, metric) entry. Rows are grouped into
*model groups* (column `group`, or `source: model | setting` where it is empty); each group is
one entry of the `model` dim. The Dataset has dims (`model`, `benchmark`, `metric`) and

- `before`, `after`, `delta`: rates in [0, 1] (percent points / 100; `#solvable/N` counts / N);
  NaN where the CSV says NA or the cell is not a single number (the text is kept in `*_raw`);
- `tag` (reliability tags found in `notes`: P, S, U, D, P-blog, ...), `approx` (value had `~`),
  `source`, `arxiv_or_url`, `location`, `notes`, `origin`, `*_raw` per entry;
- coords over `model`: `n_params` (params_B * 1e9; NaN if undisclosed or a range), `params_B_raw`,
  `moe`, `model_name`, `setting`, `source_group`, `contrast`.

pass@k mapping (see `pass_at_k_view`): metric `pass@K` fills `k=K`; `avg@K`, `acc_pct` and
lm-eval's `acc`/`exact_match` are mean single-sample accuracies and fill `k=1`, in that priority
(pass@1 first). `before` becomes `base_pass_at_k`, `after` becomes `rl_pass_at_k`, over
(`model`, `benchmark`, `k`); `pass_at_k_metric` records which metric filled each cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

DATA_CSV = Path(__file__).parent / "data" / "published_rl_results.csv"

REQUIRED = ("source", "model", "params_B", "setting", "benchmark", "metric", "before", "after")
OPTIONAL = (
    "arxiv_or_url",
    "location",
    "delta_computed",
    "notes",
    "contrast",
    "group",
    "origin",
    "result_id",
    "duplicate_of",
    "params_total_B",
    "params_active_B",
    "paper_version",
    "read_from",
)
META = ("arxiv_or_url", "location", "notes", "origin", "result_id", "duplicate_of", "paper_version", "read_from")
READ_FROM = ("table", "plot", "text", "unknown")
CONTRASTS = (
    "base_to_rl",
    "rl_variant",
    "rl_spurious_reward",
    "prompt",
    "sft",
    "reference",
    "none",
    "rm_overoptimization",
)
METRIC_HELP = "pass@K, avg@K, cons@K, maj@K, acc_pct, acc_gain_pts, #solvable/N, qualitative"
_STRICT_METRIC = re.compile(r"^(pass@\d+|avg@\d+|cons@\d+|maj@\d+|acc_pct|acc_gain_pts|#solvable/\d+|qualitative)$")
_NUM = re.compile(r"^\s*(~|approx\.?\s*)?([+-]?\d+(?:\.\d+)?)\s*%?\s*(\([^()]*\))?\s*$")
_TAG = re.compile(r"\[([PSUD](?:-[a-z]+)?)\]")
_STRING_VARS = (
    "tag",
    "source",
    "arxiv_or_url",
    "location",
    "notes",
    "origin",
    "result_id",
    "duplicate_of",
    "paper_version",
    "read_from",
    "before_raw",
    "after_raw",
    "delta_raw",
)


def parse_number(text: str) -> tuple[float, bool, bool]:
    """'~12.5' -> (12.5, approx=True, ok=True); 'NA'/'' -> (nan, False, True); junk -> (nan, False, False)."""
    t = (text or "").strip()
    if t in ("", "NA", "N/A", "nan"):
        return float("nan"), False, True
    m = _NUM.match(t)
    if not m:
        return float("nan"), False, False
    return float(m.group(2)), bool(m.group(1)), True


def parse_params(text: str) -> tuple[float, bool, bool]:
    """'671(MoE)' -> (671.0, moe=True, ok); '7' -> (7.0, False, ok); 'undisclosed'/'0.5-7' -> (nan, ., False)."""
    t = (text or "").strip()
    moe = "moe" in t.lower()
    t = re.sub(r"\(\s*moe\s*\)", "", t, flags=re.I).strip()
    if t in ("", "NA"):
        return float("nan"), moe, True
    try:
        return float(t), moe, True
    except ValueError:
        return float("nan"), moe, False


def row_params(row: dict) -> tuple[float, float]:
    """(total, active) parameters in billions: the numeric columns where present, else from `params_B`
    (a plain number; dense models active = total, MoE active unknown); NaN where undisclosed."""
    total, moe, _ = parse_params(row.get("params_B", ""))
    active = float("nan") if moe else total
    if "params_total_B" in row:
        total = parse_number(row["params_total_B"])[0]
    if "params_active_B" in row:
        active = parse_number(row["params_active_B"])[0]
    return total, active


def metric_scale(metric: str) -> float | None:
    """Divisor that turns a value of `metric` into a rate; None when it is not a rate (counts, text)."""
    m = metric.strip()
    if m == "qualitative":
        return None
    if m.startswith("#"):
        n = re.search(r"/(\d+)", m)
        return float(n.group(1)) if n else None
    return 100.0


def duplicates_by_origin(rows: list[dict]) -> set[int]:
    """Indices of combined rows (`origin` 'shared row N') whose results also stand in split rows
    ('split of shared row N'): the rule used where a CSV has no `duplicate_of` column."""
    split = {r.get("origin", "")[len("split of ") :] for r in rows if r.get("origin", "").startswith("split of ")}
    return {i for i, r in enumerate(rows) if r.get("origin", "") and r.get("origin", "") in split}


@dataclass
class Entry:
    group: str
    model: str
    params_B: str
    setting: str
    source: str
    contrast: str
    benchmark: str
    metric: str
    values: dict  # column -> raw text
    meta: dict
    params: tuple[float, float] | None = None
    """(total, active) parameters in billions; None: from `params_B` (see `row_params`)."""

    def __post_init__(self):
        if self.params is None:
            self.params = row_params({"params_B": self.params_B})


def _split_lists(row: dict) -> list[tuple[str, str, dict]]:
    """Expand 'A/B/C' benchmarks or metrics whose value columns hold lists of the same length."""
    vals = {c: row.get(c, "") or "" for c in ("before", "after", "delta_computed")}
    for key in ("benchmark", "metric"):
        parts = [p.strip() for p in row[key].split("/")]
        if len(parts) < 2:
            continue
        split = {c: [p.strip() for p in v.split("/")] for c, v in vals.items()}
        if any(len(s) == len(parts) for s in split.values()) and all(len(s) in (1, len(parts)) for s in split.values()):
            out = []
            for i, p in enumerate(parts):
                v = {c: (s[i] if len(s) == len(parts) else s[0]) for c, s in split.items()}
                out.append((p, row["metric"], v) if key == "benchmark" else (row["benchmark"], p, v))
            return out
    return [(row["benchmark"], row["metric"], vals)]


def read_csv_checked(path: Path, required: tuple, optional: tuple, what: str) -> tuple[list[str], list[dict]]:
    """(columns, rows with stripped cells) of a CSV; a one-line error names the missing columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = list(reader.fieldnames or [])
        missing = [c for c in required if c not in cols]
        if missing:
            raise ValueError(
                f"{path.name}: missing column(s) {', '.join(missing)}; required: {', '.join(required)}"
                f" (optional: {', '.join(optional)})"
            )
        return cols, [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]


def read_rows(path: Path, strict: bool) -> list[Entry]:
    """Parse and validate the CSV; strict mode raises a one-line error for the first bad cell."""
    path = Path(path)
    cols, rows = read_csv_checked(path, REQUIRED, OPTIONAL, "published CSV")
    dup_rule = set() if "duplicate_of" in cols else duplicates_by_origin(rows)
    entries: list[Entry] = []
    seen: set[tuple[str, str, str]] = set()
    for i, row in enumerate(rows, start=2):  # line numbers as a spreadsheet shows them
        where = f"{path.name} line {i}"
        if not row.get("result_id"):
            row["result_id"] = f"{path.name}:{i}"
        if i - 2 in dup_rule:
            row["duplicate_of"] = "split rows of the same origin"
        contrast = row.get("contrast") or "base_to_rl"
        if contrast not in CONTRASTS:
            raise ValueError(f"{where}: column 'contrast' must be one of {', '.join(CONTRASTS)}; got {contrast!r}")
        if strict:
            _, _, ok = parse_params(row["params_B"])
            if not ok:
                raise ValueError(
                    f"{where}: column 'params_B' must be a number of billions (optionally "
                    f"'(MoE)') or NA; got {row['params_B']!r}"
                )
            for c in ("params_total_B", "params_active_B"):
                if not parse_number(row.get(c, ""))[2] or "~" in row.get(c, ""):
                    raise ValueError(f"{where}: column '{c}' must be a number of billions or NA; got {row[c]!r}")
            if row.get("read_from", "") not in ("", *READ_FROM):
                raise ValueError(
                    f"{where}: column 'read_from' must be one of {', '.join(READ_FROM)}; got {row['read_from']!r}"
                )
            if not _STRICT_METRIC.match(row["metric"]):
                raise ValueError(f"{where}: column 'metric' must be one of {METRIC_HELP}; got {row['metric']!r}")
        group = row.get("group") or f"{row['source']}: {row['model']} | {row['setting']}"
        params = row_params(row)
        for bench, metric, vals in _split_lists(row):
            if strict:
                for c, v in vals.items():
                    if not parse_number(v)[2]:
                        raise ValueError(
                            f"{where}: column '{c}' must be a number in percent points "
                            f"(0-100), '~number' or NA; got {v!r}"
                        )
            key = (group, bench, metric)
            if key in seen:
                if strict:
                    raise ValueError(
                        f"{where}: duplicate entry for group {group!r}, benchmark {bench!r}, "
                        f"metric {metric!r}; give the rows different 'group' or 'setting'"
                    )
                continue
            seen.add(key)
            meta = {c: row.get(c, "") for c in META}
            entries.append(
                Entry(
                    group,
                    row["model"],
                    row["params_B"],
                    row["setting"],
                    row["source"],
                    contrast,
                    bench,
                    metric,
                    vals,
                    meta,
                    params,
                )
            )
    if not entries:
        raise ValueError(f"{path.name}: no rows")
    return entries


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
            **{v: (dims, a.astype(str)) for v, a in strs.items()},
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
    per_entry = [s for s in ("result_id", "arxiv_or_url", "location", "tag", "read_from", "paper_version") if s in ds]
    recs: list[dict] = []
    for a, b, j in sorted(map(tuple, np.argwhere(keep)), key=lambda t: (t[0], t[2], t[1])):
        c = (a, b, j)
        recs.append(
            {
                "before": float(ds.before.values[c]),
                "after": float(ds.after.values[c]),
                "k": metric_k[j][0],
                "approx": bool(ds.approx.values[c]),
                "params_total_B": float(ds.n_params_total.values[a]) / 1e9,
                "params_active_B": float(ds.n_params_active.values[a]) / 1e9,
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
