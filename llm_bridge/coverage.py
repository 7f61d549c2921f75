"""What the published table covers, counted from the CSV (the data README's coverage paragraph).

    python -m llm_bridge.coverage        # prints the paragraph that llm_bridge/data/README.md carries

The README's numbers are this module's output pasted in; tests/test_llm_bridge_data.py fails when the
table and the paragraph disagree, so the numbers are never retyped by hand.
"""

from __future__ import annotations

import sys

import numpy as np

from .by_start import flagged
from .published import gain_table

STARTS = ("base", "instruct", "distilled", "rl-continued")
BEFORE_ISSUE_25 = "Before issue 25: 285 results from 18 sources."
"""The coverage before issue 25's rows, as the README stated it then (a record, not a count of today's table)."""


def coverage() -> dict:
    """Counts of the unique before/after-RL results (gain_table), the pass@1 rows the forecast uses by
    starting point (with the like-for-like ones), sizes by band and how each number was read."""
    df = gain_table().to_dataframe()
    p1 = df[df.k == 1]
    base = p1[p1.start == "base"]
    lfl = base[~flagged(base)]
    size = df.params_total_B.to_numpy(float)  # (result,) billions
    return {
        "n": len(df),
        "sources": df.source.nunique(),
        "n_pass1": len(p1),
        "by_start": {s: (int((p1.start == s).sum()), p1[p1.start == s].source.nunique()) for s in STARTS},
        "base_lfl": (len(lfl), lfl.source.nunique()),
        "size_range": (float(np.nanmin(size)), float(np.nanmax(size))),
        "bands": [
            int((size <= 1).sum()),
            int(((size > 1) & (size <= 10)).sum()),
            int(((size > 10) & (size < 30)).sum()),
            int((size >= 30).sum()),
        ],
        "read_from": {k: int(v) for k, v in df.read_from.value_counts().items()},
    }


def paragraph(c: dict | None = None) -> str:
    """The README's coverage paragraph, one line (the README wraps it; compare with whitespace collapsed)."""
    c = coverage() if c is None else c
    b, i, d, r = (c["by_start"][s] for s in STARTS)
    bands = c["bands"]
    rf = c["read_from"]
    lo, hi = c["size_range"]
    return (
        f"What the table covers (issue 25): **{c['n']} unique `base_to_rl` results with both sides numeric, from "
        f"{c['sources']} sources**; {c['n_pass1']} of them are pass@1-type rows that the forecast uses: {b[0]} start "
        f"from a base model (zero-RL; {b[1]} sources, {c['base_lfl'][0]} of them like-for-like from "
        f"{c['base_lfl'][1]} sources), {i[0]} from an instruct/SFT/DPO model, {d[0]} from a distilled reasoner, "
        f"{r[0] or 'none'} from an RL-trained model. {BEFORE_ISSUE_25} The sizes run from {lo:g}B to {hi:g}B "
        f"(MoE): {bands[0]} results at ≤ 1B, {bands[1]} at 1-10B, {bands[2]} at 10-30B and {bands[3]} at ≥ 30B. "
        f"{rf.get('table', 0)} of them were read from tables, {rf.get('text', 0)} from running text and "
        f"{rf.get('unknown', 0)} from a page whose figure/text status is unknown."
    )


if __name__ == "__main__":
    sys.stdout.write(paragraph() + "\n")
