"""Reading the published before/after-RL CSV: columns, cell parsers and validation (one-line errors).

Used by `llm_bridge.published` (which re-exports these names); see its docstring for the schema.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

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
    "family",
    "start",
    "checkpoint_id",
    "in_distribution",
    "averaged",
    "protocol",
)
META = (
    "arxiv_or_url",
    "location",
    "notes",
    "origin",
    "result_id",
    "duplicate_of",
    "paper_version",
    "read_from",
    "start",
    "checkpoint_id",
    "in_distribution",
    "averaged",
    "protocol",
)
STARTS = ("base", "instruct", "distilled", "rl-continued")
"""Starting point of RL: a pretrained base (zero-RL), an instruct/SFT/DPO model, a reasoner distilled from a
larger reasoner's traces, or a model already trained with RL."""
PROTOCOLS = ("same", "greedy-vs-sampled", "different-decoding")
"""How before and after were measured: the same way; a greedy base against a sampled RL model; otherwise
differently (a tool, a prompt or a decoding budget on one side only)."""
FLAGS = ("in_distribution", "averaged")
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


def _check_factors(row: dict, where: str) -> None:
    """start, protocol and the true/false flags, where a CSV gives them (empty = not stated)."""
    for col, allowed in (("start", STARTS), ("protocol", PROTOCOLS), *((f, ("true", "false")) for f in FLAGS)):
        v = row.get(col, "")
        if v and v not in allowed:
            raise ValueError(f"{where}: column '{col}' must be one of {', '.join(allowed)} (or empty); got {v!r}")


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
            _check_factors(row, where)
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
            meta = {c: row.get(c, "") for c in (*META, "family")}
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
