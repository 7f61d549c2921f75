"""The SmolLM2 experiment's pieces that need no model: the arithmetic split is disjoint by content and
fixed, the forecast's subset is spread over it, and the before/after judgement follows its rule."""

from __future__ import annotations

import json

import numpy as np

from llm_bridge.benchmark import load_jsonl
from llm_bridge.smollm2 import N_FORECAST, addition_items, gain_interval, verdict, write_data


def test_split_is_disjoint_fixed_and_the_forecast_subset_spread(tmp_path):
    train, ev = addition_items()
    assert len(train) + len(ev) == 400 and not {r["prompt"] for r in train} & {r["prompt"] for r in ev}
    assert (train, ev) == addition_items()  # a hash of (a, b), no random state
    tr, e, sub = write_data(tmp_path)
    items = load_jsonl(sub)
    assert len(items) == N_FORECAST and {i.prompt for i in items} <= {r["prompt"] for r in ev}
    firsts = [int(i.prompt.split()[2]) for i in items]  # a of "What is a + b?"
    assert min(firsts) <= 2 and max(firsts) >= 17  # spread over the sorted problems, not the easiest few
    assert all(i.verifier == "numeric" and json.loads(json.dumps(i.answer)) for i in items)


def test_verdict_rule():
    fc = {"lo": -0.02, "hi": 0.10}
    assert verdict(fc, 0.05, (0.01, 0.09)) == "holds"  # inside; forecast interval spans 0
    assert verdict({"lo": 0.01, "hi": 0.10}, 0.05, (0.01, 0.09)) == "confirmed"
    assert verdict(fc, 0.30, (0.2, 0.4)) == "wrong side"
    assert verdict({"lo": float("nan"), "hi": float("nan")}, 0.0, (0, 0)).startswith("not testable")


def test_gain_interval_is_paired_over_problems():
    before = {"correct_per_prompt": [0, 1, 2, 3] * 10, "n_samples": 4}
    after = {"correct_per_prompt": [1, 2, 3, 4] * 10, "n_samples": 4}
    lo, hi = gain_interval(before, after)
    assert np.isclose(lo, 0.25) and np.isclose(hi, 0.25)  # every problem gains exactly one sample in four
