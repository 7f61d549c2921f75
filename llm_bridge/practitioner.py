"""bridge.md's first screen: what gain to expect for a model like mine, then which law predicts it.

practitioner_lines(rows)      # size band × starting point × benchmark family, with recipes
start_law_lines(laws, laws_all)  # every candidate per starting point, with and without flagged rows
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .by_start import STARTS, WIN_RULE, flagged
from .laws import CANDIDATES, PRIMARY

SIZE_BANDS = ((0, 1.0, "≤ 1B"), (1.0, 3.0, "1–3B"), (3.0, 10.0, "3–10B"), (10.0, 40.0, "10–40B"), (40.0, 1e9, "> 40B"))
FAMILIES = (
    ("competition math", r"^(AIME|AMC|Olympiad|Omni-MATH)"),
    ("school math", r"^(GSM8K|MATH|Minerva|CMATH|MGSM)"),
    ("code", r"(HumanEval|MBPP|LiveCodeBench|LCB|CRUX|code)"),
    ("logic puzzles", r"^(K&K|Countdown)"),
    ("instruction following", r"^IFEval"),
    ("knowledge and reasoning", r"^(MMLU|GPQA|ARC|BBH|DROP|PopQA|TruthfulQA|FlenQA|PhiBench)"),
)
ALGOS = ("Dr. GRPO", "GRPO", "PPO", "DAPO", "RLOO", "ReMax", "Reinforce++", "REINFORCE++", "self-play")


def family(benchmark: str) -> str:
    """Benchmark family of a benchmark name (FAMILIES order; `other` when none matches)."""
    for name, pat in FAMILIES:
        if re.search(pat, str(benchmark)):
            return name
    return "other"


def size_band(params_B: float) -> str:
    if not np.isfinite(params_B):
        return "size not published"
    return next(name for lo, hi, name in SIZE_BANDS if lo < params_B <= hi or (lo == 0 and params_B <= hi))


def algorithm(setting: str) -> str:
    """The RL algorithm a setting names (first of ALGOS found), or `not stated`."""
    return next((a for a in ALGOS if a.lower() in str(setting).lower()), "not stated")


def _e(s) -> str:
    return str(s).replace("|", "\\|")


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}"


def practitioner_lines(rows: pd.DataFrame) -> list[str]:
    """Median gain (points) by size band × start × benchmark family on like-for-like rows, with recipes."""
    r = rows[~flagged(rows)].copy()
    r["band"] = [size_band(x) for x in r["params_total_B"]]
    r["family"] = [family(b) for b in r["benchmark"]]
    r["algo"] = [algorithm(s) for s in r["setting"]]
    order = {name: i for i, (_, _, name) in enumerate(SIZE_BANDS)}
    md = [
        "| size | starting point | benchmark family | rows (checkpoints, sources) | base pass@1, median | "
        "gain in points, median [25–75%] | gain range | algorithms (as the sources name them) | recipes, as the "
        "sources state them (data, steps, context, compute) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted(
        r.groupby(["band", "start", "family"]).groups,
        key=lambda k: (order.get(k[0], 99), STARTS.index(k[1]) if k[1] in STARTS else 9, k[2]),
    )
    for band, start, fam in keys:
        g = r[(r["band"] == band) & (r["start"] == start) & (r["family"] == fam)]
        q = np.quantile(g["gain"], [0.25, 0.5, 0.75])
        algos = ", ".join(sorted({a for a in g["algo"] if a != "not stated"})) or "not stated"
        rs = sorted(set(g["setting"].astype(str)), key=len)
        recipes = "; ".join(rs[:3]) + (f"; and {len(rs) - 3} more" if len(rs) > 3 else "")
        md.append(
            f"| {band} | {start} | {fam} | {len(g)} ({g['checkpoint_id'].nunique()}, {g['source'].nunique()}) | "
            f"{100 * np.median(g['before']):.1f} | {_pct(q[1])} [{_pct(q[0])}, {_pct(q[2])}] | "
            f"{_pct(g['gain'].min())} to {_pct(g['gain'].max())} | {_e(algos)} | {_e(recipes)} |"
        )
    return md


def _score_cell(s: dict) -> str:
    if s["mae"] is None or not np.isfinite(s["mae"]):
        return "–"
    ci = s["diff_ci"]
    tail = f" [{ci[0]:+.3f}, {ci[1]:+.3f}]" if s["name"] != "constant" and np.all(np.isfinite(ci)) else ""
    mark = " ✔" if s.get("beats_constant") else ""
    return f"{s['mae']:.3f}{tail}{mark}"


def start_law_lines(laws: dict, laws_all: dict) -> list[str]:
    """Per start: rows, groups, winner, every candidate's held-out MAE (and its difference to the constant),
    on like-for-like rows and with the flagged rows put back."""
    names = list(CANDIDATES)
    md = [
        "| starting point | rows | rows flagged | checkpoint groups | sources | winner (like-for-like rows) | "
        + " | ".join(f"`{n}`" for n in names)
        + " | winner with flagged rows |",
        "|---|---|---|---|---|---|" + "---|" * len(names) + "---|",
    ]
    for s in STARTS:
        if s not in laws:
            md.append(f"| {s} | 0 | – | – | – | no published rows | " + " | ".join("–" for _ in names) + " | – |")
            continue
        d, a = laws[s].to_dict(), laws_all[s].to_dict() if s in laws_all else None
        cells = [_score_cell(d["scores"][n]) for n in names]
        md.append(
            f"| {s} | {d['n_rows']} | {d['n_flagged_left_out']} | {d['n_groups']} | {d['n_sources']} | "
            f"**{d['winner']}** | " + " | ".join(cells) + f" | {a['winner'] if a else '–'} |"
        )
    md += [
        "",
        "Each cell: held-out MAE of the law (rates; 0.1 = 10 points) by leave-one-checkpoint-group-out and, in "
        "brackets, the 90% interval over checkpoint groups of its MAE minus the constant's on the same rows; "
        "✔ = the interval lies below 0. The winner is "
        + WIN_RULE
        + ". Laws: "
        + "; ".join(f"`{n}`: {law.formula}" for n, law in CANDIDATES.items())
        + f". The mechanism's own law: {', '.join(f'`{v}` for {k}' for k, v in PRIMARY.items())}.",
        "",
        "With the flagged rows put back (in-distribution, averaged, greedy-vs-sampled or a tool on one side):",
        "",
        "| starting point | rows | checkpoint groups | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for s, law in laws_all.items():
        d = law.to_dict()
        md.append(
            f"| {s} | {d['n_rows']} | {d['n_groups']} | "
            + " | ".join(_score_cell(d["scores"][n]) for n in names)
            + " |"
        )
    md += ["", "Stricter folds, whole source clusters held out (sources linked by a shared checkpoint):", ""]
    md += ["| starting point | clusters | " + " | ".join(f"`{n}`" for n in names) + " |"]
    md += ["|---|---|" + "---|" * len(names)]
    for s, law in laws.items():
        st = law.strict
        md.append(
            f"| {s} | {st.get('n_clusters', '–')} | "
            + " | ".join(f"{st[n]:.3f}" if st.get(n) is not None else "–" for n in names)
            + " |"
        )
    return md
