"""Which cells a study claim may count as evidence about a model (issue 22).

A cell whose RL never received a signal (``no-signal``) or that broke a base which could already do
the task (``broke-capable``) measured the recipe, not the model: the claims' rules never read such a
cell, and every verdict reports beside it how many of the cells it would have read were set aside
(`theory.health` defines the labels; the cell table's ``rl_health`` column holds them). A table
without the column (a study written before it) sets nothing aside.

C7 reads the set-aside cells too (theory.study_signals.benefits judges each signal's health and
counts them; think-first = plain - no-think is its reading). Pure pandas.
"""

from __future__ import annotations

import pandas as pd

NOT_EVIDENCE = ("no-signal", "broke-capable")
"""rl_health labels whose cells no claim counts."""


def split_evidence(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the cells a claim may read, the cells set aside by their rl_health)."""
    if "rl_health" not in cells:
        return cells, cells.iloc[:0]
    out = cells["rl_health"].astype(str).isin(NOT_EVIDENCE)
    return cells[~out], cells[out]


def excluded_counts(excluded: pd.DataFrame, settings=None) -> dict[str, int]:
    """Cells set aside per label (every label of NOT_EVIDENCE), among ``settings`` (None: all)."""
    if "rl_health" not in excluded or "setting" not in excluded:
        return dict.fromkeys(NOT_EVIDENCE, 0)
    sub = excluded if settings is None else excluded[excluded["setting"].isin(list(settings))]
    labels = sub["rl_health"].astype(str)
    return {h: int((labels == h).sum()) for h in NOT_EVIDENCE}


def format_counts(counts: dict[str, int]) -> str:
    """'no-signal 3, broke-capable 0' (the words study.md and report.md print)."""
    return ", ".join(f"{k} {n}" for k, n in counts.items())
