"""rl_health (issue 22 item 2): the rule on constructed cells, and the record in run_cell and grid.nc."""

import math

import numpy as np
import pytest
import xarray as xr
from test_rl import MOVES, SMALL

from theory.health import CAPABLE, HEALTH, N_SE, broke_capable, counts, pass1_drop_se, rl_health
from toymodels import CellConfig, run_cell
from toymodels.health import grid_health

N = 64  # held-out prompts


def one(status="ok", base=0.3, rl=0.4, informative=0.2, ill=0.0, n=N):
    return rl_health(status, base, rl, n, informative, ill)


# --- the rule on constructed cells -------------------------------------------------------------------
def test_each_label_from_its_defining_numbers():
    assert one() == "ok"
    assert one(status="diverged") == "diverged"
    assert one(status="failed") == "n/a"
    assert one(base=0.9, rl=0.1) == "broke-capable"
    assert one(ill=0.6) == "malformed"
    assert one(informative=0.0) == "no-signal"


def test_broke_capable_is_three_binomial_standard_errors_below_a_capable_base():
    se = math.sqrt((0.8 * 0.2 + 0.5 * 0.5) / N)
    assert pass1_drop_se(0.8, 0.5, N) == pytest.approx(se)
    assert N_SE == 3 and CAPABLE == 0.5
    assert 0.3 > 3 * se  # 0.8 -> 0.5 over 64 prompts is a break
    assert one(base=0.8, rl=0.5) == "broke-capable"
    assert one(base=0.8, rl=0.5, n=8) == "ok"  # the same drop over 8 prompts is within noise
    # the boundary: a drop just above and just below 3 s.e. from the same base
    b = 0.9
    lo = b - 3 * math.sqrt((b * (1 - b) + 0.7 * 0.3) / N)
    assert one(base=b, rl=lo - 0.01) == "broke-capable" and one(base=b, rl=lo + 0.01) == "ok"
    # a base below CAPABLE never counts, however far it falls
    assert one(base=0.49, rl=0.0) == "ok" and one(base=0.5, rl=0.0) == "broke-capable"
    # a perfect base that RL leaves a little lower is not broken: the s.e. comes from both estimates
    assert one(base=1.0, rl=0.97, informative=0.0) == "no-signal"
    assert bool(broke_capable(1.0, 0.8, N))


def test_boundaries_of_malformed_and_no_signal():
    assert one(ill=0.5) == "ok" and one(ill=0.5001) == "malformed"
    assert one(informative=1e-9) == "ok" and one(informative=0.0) == "no-signal"


def test_one_label_per_cell_in_the_documented_order():
    assert one(status="diverged", base=0.9, rl=0.0, ill=1.0, informative=0.0) == "diverged"
    assert one(base=0.9, rl=0.0, ill=1.0, informative=0.0) == "broke-capable"
    assert one(ill=1.0, informative=0.0) == "no-signal"  # an untrained base writes garbage: no signal first
    assert one(ill=1.0, informative=0.3) == "malformed"


def test_missing_measurements_never_trigger_a_label():
    nan = float("nan")
    assert one(informative=nan, ill=nan) == "ok"
    assert one(base=nan, rl=0.0) == "ok"


def test_vectorised_over_cells_and_counted():
    labels = rl_health(
        np.array(["ok", "ok", "diverged", "ok", "failed"]),
        np.array([0.9, 0.2, 0.5, 0.3, np.nan]),
        np.array([0.1, 0.3, np.nan, 0.3, np.nan]),
        N,
        np.array([0.5, 0.0, np.nan, 0.4, np.nan]),
        np.array([0.0, 0.0, np.nan, 0.9, np.nan]),
    )
    assert labels.tolist() == ["broke-capable", "no-signal", "diverged", "malformed", "n/a"]
    assert counts(labels) == {
        "ok": 0,
        "no-signal": 1,
        "broke-capable": 1,
        "malformed": 1,
        "diverged": 1,
        "n/a": 1,
    }
    assert list(counts(["ok"])) == list(HEALTH)
    with pytest.raises(ValueError, match="rl_health labels must be among"):
        counts(["fine"])


# --- the record ------------------------------------------------------------------------------------
def test_run_cell_records_health_and_its_inputs():
    ds = run_cell(CellConfig(seeds=(0, 1), **MOVES))
    assert ds.rl_health.dims == ("seed",) and set(ds.rl_health.values) <= set(HEALTH)
    for v in ("informative_early", "ill_formed_late"):
        assert ds[v].dims == ("seed",) and np.all((ds[v] >= 0) & (ds[v] <= 1)), v
    assert ds.ill_formed.dims == ("seed", "step")
    assert "description" in ds.rl_health.attrs
    # the stored label is the rule applied to the stored numbers
    again = grid_health(ds)
    assert again.values.tolist() == ds.rl_health.values.tolist()


def test_a_run_without_signal_is_flagged_no_signal():
    """An untrained base on 3-digit addition (chance 1e-4) never earns the reward: every group is
    all-zero from the first update on."""
    ds = run_cell(CellConfig(**{**SMALL, "task": "MultiDigitAdd", "horizon": None, "pretrain_tokens": 0}))
    assert float(ds.informative_early.sel(seed=0)) == 0 and float(ds.reward.max()) == 0
    assert str(ds.rl_health.sel(seed=0).values) == "no-signal"


def test_grid_health_of_a_grid_without_the_new_records_uses_its_logged_curves():
    """Grids written before informative_early / ill_formed_late existed: no-signal from the logged
    informative fraction over the first 10% of the updates; malformed cannot be called."""
    ds = xr.Dataset(
        {
            "base_pass_at_k": (("width", "seed", "split", "k"), np.array([[[[0.9], [0.9]]], [[[0.2], [0.2]]]])),
            "rl_pass_at_k": (("width", "seed", "split", "k"), np.array([[[[0.1], [0.1]]], [[[0.2], [0.2]]]])),
            "informative_frac": (("width", "seed", "step"), np.array([[[0.5, 0.5, 0.5]], [[0.0, 0.0, 0.7]]])),
            "status": (("width", "seed"), np.array([["ok"], ["ok"]])),
        },
        coords={"width": [8, 16], "seed": [0], "split": ["id", "ood"], "k": [1], "step": [0, 10, 140]},
        attrs={"n_eval_prompts": 64, "config": '{"rl_updates": 150}'},
    )
    h = grid_health(ds)
    assert h.dims == ("width", "seed")
    assert h.sel(width=8, seed=0).item() == "broke-capable" and h.sel(width=16, seed=0).item() == "no-signal"
