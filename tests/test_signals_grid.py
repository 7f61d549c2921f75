"""The study's signals grid on one base that reads every signal (issues 22 item 3, 23 C7): its own
plain arm, C5-C7 paired within it, and one base recognised by its pretraining, not by a base
pass@1 that the think flag changes at evaluation. Table-only and spec-only: seconds."""

from __future__ import annotations

import json

import pandas as pd

from aha.studies import DESIGN_SIGNALS, READABLE, SIGNALS_GRID, get_study
from theory import study_claims
from theory.study_signals import base_shift

REF = {"task": "ModChain", "horizon": 5, "cot": True}


def _key(**over) -> str:
    return json.dumps(dict(sorted({**REF, **over}.items())), sort_keys=True)


def test_quick_signals_grid_is_one_readable_base_with_its_own_plain_arm():
    spec = next(s for s in get_study("quick").specs() if s.name == SIGNALS_GRID)
    assert "plain" in spec.variants and set(DESIGN_SIGNALS) <= set(spec.variants)
    assert len(spec.axes["seed"]) >= 12  # C7: coin-flip outcomes need >= 12 seeds
    groups = list(spec.groups())
    for g in groups:
        cfg = g.config
        for f, v in READABLE.items():
            assert getattr(cfg, f) == v, f
        if cfg.hint:  # the hint reveals what hinted pretraining prompts revealed
            assert cfg.hint <= cfg.pretrain_hint and cfg.hint_rate > 0
        if cfg.curriculum:  # every horizon of the ramp was pretrained
            assert cfg.curriculum_start >= cfg.pretrain_horizon_min
        if not cfg.cot:  # the flag that asks for the answer alone was pretrained
            assert 0 < cfg.think_rate < 1
    by_width: dict[int, set] = {}
    for g in groups:  # one base per width: every arm pretrains exactly as plain does
        c = g.config
        base = (c.model_config(), repr(c.pretrain_mix()), c.pretrain_budget(), c.pretrain_lr, c.prior)
        by_width.setdefault(c.width, set()).add(base)
    assert all(len(v) == 1 for v in by_width.values())


def _table() -> pd.DataFrame:
    """The reference grid (3 seeds; gains 0.6 from width 32) and a signals grid with its own plain arm
    on another base (its plain gains 0.3 from width 32; 12 seeds); a no-think arm on the signals base
    that gains 0 (its base pass@1 differs, evaluated without the trace, its pretraining loss does not)."""
    rows = []
    sig = dict(READABLE)

    def row(setting, grid, key, variant, w, seed, gain, base_p1, loss):
        cell = dict(setting=setting, grid=grid, key=key, variant=variant, width=w, seed=seed, status="ok")
        return cell | dict(n_params=12.0 * w * w, gain=gain + 0.001 * seed, base_p1=base_p1, pretrain_loss=loss,
                           rl_health="ok")  # fmt: skip

    for w in (8, 16, 32, 64):
        for seed in range(12):
            if seed < 3:
                rows.append(row("threshold", "threshold", _key(), "", w, seed, 0.6 * (w >= 32), 0.1, 1.0 + w))
            loss = 2.0 + w + seed / 100
            plain = 0.3 * (w >= 32)
            rows.append(row("signals[variant=plain]", "signals", _key(**sig), "plain", w, seed, plain, 0.2, loss))
            rows.append(row("signals[variant=no-think]", "signals", _key(**sig, cot=False), "no-think", w, seed, 0.0,
                            0.05, loss))  # fmt: skip
    return pd.DataFrame(rows)


def test_c7_pairs_the_signals_grids_arms_with_their_own_plain_arm():
    """With the signals grid kept apart, think-first = its plain − no-think = +0.3 at large widths
    (12 pairs each); the old reading paired no-think with the reference's plain cells (+0.6, 3 pairs)
    or excluded it for a base pass@1 the flag changes."""
    s = study_claims.setup(_table(), _key(), None, "signals")
    assert s.sig is not None and s.sig.ref == _key(**READABLE)
    assert not (s.cells.grid == "signals").any()  # C1-C4, C8 never read the signals grid
    v = study_claims.decide_c7(s)
    assert "think-first" in v.result and "large +0.3" in v.result, v.result
    assert "not on plain's base" not in json.dumps(v.to_dict())
    settings = study_claims.claim_settings(s)
    assert all(st.startswith("signals") for st in settings["C7"]) and "threshold" in settings["C2"]


def test_one_base_is_named_by_its_pretraining_loss_when_recorded():
    t = _table()
    plain, nt = t[t.variant == "plain"], t[t.variant == "no-think"]
    assert base_shift(nt, plain) == 0.0  # same pretraining, though base pass@1 differs by 0.15
    assert base_shift(nt.drop(columns="pretrain_loss"), plain) > 0.1  # without the record: pass@1 decides
    other = nt.assign(pretrain_loss=nt["pretrain_loss"] + 0.01)
    assert base_shift(other, plain) > 0.0  # another pretraining is another base


def test_a_signals_grid_without_a_plain_arm_reads_the_reference_as_before():
    t = _table()
    t = t[t.variant != "plain"]
    s = study_claims.setup(t, _key(), None, "signals")
    assert s.sig is None and (s.cells.grid == "signals").any()


def test_every_design_signal_of_the_grid_is_one_of_c7s_settings():
    """The curriculum arm sets curriculum_budget too (plain's updates at L plus the ramp): a field
    outside the recipe fields made it neither a recipe setting nor C7's, and C7 silently judged four
    signals of five."""
    from theory.study_stats import C7_FIELDS, C9_FIELDS, RECIPE_FIELDS

    for arm in DESIGN_SIGNALS.values():
        assert set(arm) <= RECIPE_FIELDS and set(arm) <= C7_FIELDS
    assert "curriculum_budget" in C9_FIELDS  # C9 reads the same curriculum arm in its own grid
    rows = []
    for variant, over in {"plain": {}, **DESIGN_SIGNALS}.items():
        for w in (8, 64):
            for seed in range(2):
                key = _key(**READABLE, **over)
                rows.append(dict(setting=f"signals[variant={variant}]", grid="signals", key=key, variant=variant,
                                 width=w, seed=seed, n_params=12.0 * w * w, status="ok", gain=0.2 * (w == 64),
                                 pretrain_loss=1.0 + w + seed, rl_health="ok"))  # fmt: skip
    s = study_claims.setup(pd.DataFrame(rows), _key(), None, "signals")
    assert set(s.sig.pick(C7_FIELDS)) == set(DESIGN_SIGNALS)


def test_the_readable_base_spans_the_range_in_its_shipped_base_only_runs():
    """READABLE's corpus and budget were chosen on base-only runs by issue 22's criterion (trace
    coverage <= 0.05 at the smallest width, >= 0.5 at the largest, never falling with width): the
    shipped grid docs/signals/base-check/L3-readable-per-param.nc holds READABLE's setting and meets it,
    and the fixed budgets beside it do not (700k: width 64 short of 0.5; 1.4M: width 8 above 0.05)."""
    from pathlib import Path

    from toymodels.storage import load_dataset

    here = Path(__file__).resolve().parents[1] / "docs" / "signals" / "base-check"
    ds = load_dataset(here / "L3-readable-per-param.nc")
    fixed = json.loads(ds.attrs["config"])["fixed"]
    for f, v in READABLE.items():
        if f != "pretrain_tokens_per_param":
            assert fixed[f] == v, f
    assert fixed["pretrain_tokens"] == get_study("quick").specs()[0].fixed["pretrain_tokens"]  # the floor
    cov = ds.base_trace_pass_at_k.sel(split="id", k=64, depth=1).mean("seed")
    mine = cov.sel(pretrain_tokens_per_param=READABLE["pretrain_tokens_per_param"]).values
    assert len(mine) == 4 and mine[0] <= 0.05 and mine[-1] >= 0.5, mine
    assert all(b - a >= -0.05 for a, b in zip(mine, mine[1:])), mine
    widths = list(ds.width.values)
    spec = next(s for s in get_study("quick").specs() if s.name == SIGNALS_GRID)
    assert widths == spec.axes["width"]
    old = load_dataset(here / "L3-readable.nc").base_trace_pass_at_k.sel(split="id", k=64, depth=1).mean("seed")
    assert float(old.sel(width=64)) < 0.5
    budgets = load_dataset(here / "L3-readable-budgets.nc").base_trace_pass_at_k.sel(split="id", k=64, depth=1)
    assert float(budgets.sel(width=8, pretrain_tokens=1_400_000).mean("seed")) > 0.05
