"""The cell-cost model that projects a study's time (`aha study --dry-run`, the progress bar, the
refinement budget): the demo's measured seconds per cell, scaled by each cell's budgets. Pinned
before it moved from aha/studies.py to toymodels/ (issue 21)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from aha.presets import demo
from toymodels.cost import PRETRAIN_SHARE, RL_SHARE, cell_cpu_seconds, demo_seconds, spec_cpu_seconds, spec_gpu_seconds


def _demo_cfg(width: int):
    return replace(demo().groups()[0].config, width=width)


def test_a_demo_cell_costs_the_demos_measured_time():
    table = dict(demo_seconds())
    for w in (8, 32, 128):
        assert cell_cpu_seconds(_demo_cfg(w)) == pytest.approx(table[w])  # the demo's budgets: scale 1
    assert cell_cpu_seconds(_demo_cfg(32), base_only=True) == pytest.approx(table[32] * (1 - RL_SHARE))


def test_widths_between_and_beyond_the_demo_interpolate_in_log_log():
    table = dict(demo_seconds())
    mid = math.exp((math.log(table[16]) + math.log(table[32])) / 2)  # width 16 * sqrt(2) ~ 22.6
    assert cell_cpu_seconds(_demo_cfg(22)) == pytest.approx(
        math.exp(math.log(table[16]) + (math.log(table[32]) - math.log(table[16])) * math.log(22 / 16) / math.log(2))
    )
    assert cell_cpu_seconds(_demo_cfg(22)) == pytest.approx(mid, rel=0.05)
    slope = (math.log(table[128]) - math.log(table[64])) / math.log(2)
    assert cell_cpu_seconds(_demo_cfg(256)) == pytest.approx(table[128] * 2**slope)


def test_budgets_scale_the_cost_and_a_spec_sums_its_cells():
    base = cell_cpu_seconds(_demo_cfg(32))
    longer = replace(_demo_cfg(32), rl_updates=300)
    assert cell_cpu_seconds(longer) == pytest.approx(base * (1 + RL_SHARE))  # RL's share doubles
    spec = demo()
    assert spec_cpu_seconds(spec) == pytest.approx(sum(3 * t for _, t in demo_seconds()))  # 3 seeds per width
    assert spec_gpu_seconds(spec) == pytest.approx(5 * 60.0)  # one assumed minute per group (5 widths)


def test_a_budget_that_grows_with_size_is_costed_at_its_tokens():
    """pretrain_tokens_per_param sets the tokens a cell pretrains on (CellConfig.pretrain_budget), so the
    projection scales pretraining by those tokens, not by the floor pretrain_tokens: 20 tokens per
    parameter is 20 x 198,528 = 4.0M tokens at width 128, 5.7 times the demo's 700k."""
    small, big = _demo_cfg(8), _demo_cfg(128)
    assert cell_cpu_seconds(replace(small, pretrain_tokens_per_param=20.0)) == pytest.approx(cell_cpu_seconds(small))
    grown = replace(big, pretrain_tokens_per_param=20.0)
    extra = cell_cpu_seconds(grown) - cell_cpu_seconds(big)
    share = dict(demo_seconds())[128] * PRETRAIN_SHARE  # the demo cell's pretraining seconds
    assert extra == pytest.approx(share * (grown.pretrain_budget() / 700_000 - 1))


def test_arms_that_share_a_pretraining_pay_for_it_once():
    """The fused runner (the default) pretrains once for every group whose pretraining inputs agree
    (toymodels.fused.pretrain_key): the signals grid's nine arms share one base per width and seed.
    The projection counted that pretraining nine times (its signals row 2.4x the cells' measured time)."""
    from toymodels.cost import group_seconds, pretrain_cpu_seconds
    from toymodels.grid import GridSpec

    fixed = {k: v for k, v in demo().fixed.items()}
    axes = {"width": [32], "depth": [1], "seed": [0, 1, 2]}
    one = cell_cpu_seconds(_demo_cfg(32))
    pre = pretrain_cpu_seconds(_demo_cfg(32))
    assert pre == pytest.approx(one * PRETRAIN_SHARE)
    shared = GridSpec("s", axes, fixed, variants={"plain": {}, "temperature": {"temperature": 1.5}})
    assert spec_cpu_seconds(shared) == pytest.approx(3 * (2 * one - pre))
    assert sum(group_seconds(shared).values()) == pytest.approx(spec_cpu_seconds(shared))
    apart = GridSpec("a", axes, fixed, variants={"plain": {}, "prior": {"prior": 1.0}})
    assert spec_cpu_seconds(apart) == pytest.approx(3 * 2 * one)  # another corpus: its own pretraining


def test_a_base_only_cell_pays_nothing_for_rl_whatever_its_rl_settings():
    """A base-only cell pretrains and evaluates, so its projection must not depend on the RL settings it
    never uses. The discount used to subtract RL's share at the demo's prompts, group size and sequence
    length only: a cell with group size 16 kept half its projected RL time."""
    cfg = _demo_cfg(32)
    base = cell_cpu_seconds(cfg, base_only=True)
    for rl in ({"group_size": 16}, {"prompts_per_update": 32}, {"rl_updates": 600}, {"ppo_epochs": 2}):
        assert cell_cpu_seconds(replace(cfg, **rl), base_only=True) == pytest.approx(base), rl
    long_task = replace(cfg, horizon=7)  # a longer sequence: evaluation costs more, RL still nothing
    rl_part = cell_cpu_seconds(long_task) - cell_cpu_seconds(long_task, base_only=True)
    assert cell_cpu_seconds(replace(long_task, group_size=16)) - cell_cpu_seconds(long_task) == pytest.approx(rl_part)
