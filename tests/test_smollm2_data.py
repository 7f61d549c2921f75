"""The SmolLM2 experiment's pieces that need no model: the arithmetic split is disjoint by content and
fixed, the forecast's subset is spread over it, and the before/after judgement follows its rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from llm_bridge.benchmark import load_jsonl
from llm_bridge.smollm2 import N_FORECAST, addition_items, gain_interval, verdict, write_data, write_report

SHIPPED = Path(__file__).resolve().parents[1] / "docs" / "bridge" / "smollm2"


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


def _run(before: list[int], after: list[int], **extra) -> dict:
    ev = lambda c: {  # noqa: E731
        "pass1": float(np.mean(c)) / 4,
        "pass1_ci90": [0.0, 1.0],
        "greedy_accuracy": 0.5,
        "n_prompts": len(c),
        "n_samples": 4,
        "example": "x",
        "correct_per_prompt": c,
    }
    b, a = ev(before), ev(after)
    cfg = {
        "seed": extra.pop("seed", 0),
        "steps": 2,
        "prompts_per_step": 2,
        "group_size": 8,
        "lr": 2e-5,
        "max_new_tokens": 16,
    }
    hist = [
        {"reward": 0.5, "informative_frac": 1.0, "mean_len": 14.0},
        {"reward": 0.25, "informative_frac": 0.5, "mean_len": 9.0},
    ]
    return {
        "model": "m",
        "task": "t",
        "config": cfg,
        "before": b,
        "after": a,
        "gain": a["pass1"] - b["pass1"],
        "history": hist,
        "wall_s": 600.0,
        "threads": 1,
        **extra,
    }


def test_report_judges_the_shipped_forecast_and_states_only_what_the_run_recorded(tmp_path):
    shutil.copytree(SHIPPED / "forecast_add", tmp_path / "forecast_add")
    (row,) = json.loads((SHIPPED / "forecast_add" / "forecast.json").read_text())["benchmarks"]
    (tmp_path / "grpo").mkdir()
    far = [4] * 40  # 1.00 - 0.25 = +0.75 on every problem: far outside the forecast's interval
    (tmp_path / "grpo" / "grpo.json").write_text(json.dumps(_run([1] * 40, far)))
    md = write_report(tmp_path).read_text()
    assert md.startswith("# SmolLM2") and "**Verdict: wrong side.**" in md and "a gain of +75.0 points" in md
    assert f"on {row['n_prompts']} of the evaluation problems with {row['n_samples']} samples" in md
    assert "load average" not in md  # this run did not record it, so the report says nothing about it
    same = _run([1, 2] * 20, [1, 2] * 20, loadavg=[7.25, 6.0, 5.0])
    (tmp_path / "grpo" / "grpo.json").write_text(json.dumps(same))
    md = write_report(tmp_path).read_text()
    assert "**Verdict: holds.**" in md and "load average 7.2 at the end" in md
    assert "greedy accuracy 0.500 → 0.500 (+0.0 points)" in md and "first 1 training steps 14.0 tokens" in md
    assert "other GRPO seeds" not in md


def test_report_lists_other_seeds_each_judged_by_the_rule(tmp_path):
    shutil.copytree(SHIPPED / "forecast_add", tmp_path / "forecast_add")
    for name, after, seed in (("grpo", [2] * 40, 0), ("grpo_seed1", [4] * 40, 1), ("grpo_seed2", [1] * 40, 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "grpo.json").write_text(json.dumps(_run([1] * 40, after, seed=seed)))
    md = write_report(tmp_path).read_text()
    rows = [line for line in md.splitlines() if line[:4] in ("| 0 ", "| 1 ", "| 2 ")]
    assert len(rows) == 3 and rows[1].endswith("| wrong side |") and rows[2].endswith("| holds |")
    assert "+0.0 [+0.0, +0.0]" in rows[2] and "Gain over the 3 seeds: +0.0 to +75.0 points." in md
