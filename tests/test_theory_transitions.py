"""Transition fits on synthetic data with known parameters: CI coverage, model selection, trust flags."""

import itertools
import json

import numpy as np
import pytest
import xarray as xr

from theory.surface import critical_surface, fit_joint_surface
from theory.transitions import fit_transition, sharpness_survives

N = np.logspace(5, 8, 10)
LN_NC, W = np.log(3e6), 0.8  # 10-90 % rise over ~1.5 decades: ~5 of 10 sizes inside it


def _truth(kind: str, x: np.ndarray, w: float = W) -> np.ndarray:
    return {
        "logistic": 0.05 + 0.8 / (1 + np.exp(-(x - LN_NC) / w)),
        "power": 0.9 - 0.7 * np.exp(-0.6 * (x - x.min())),
        "linear": 0.4 + 0.08 * (x - x.mean()),
        "constant": np.full_like(x, 0.3),
    }[kind]


def _rates(kind, rng, m=300, seeds=0, w=W):
    p = _truth(kind, np.log(N), w)
    if seeds:
        return xr.DataArray(
            rng.binomial(m, np.broadcast_to(p, (seeds, len(N)))) / m,
            dims=("seed", "width"),
            coords={"n_params": ("width", N)},
        )
    return xr.DataArray(rng.binomial(m, p) / m, dims=("model",), coords={"n_params": ("model", N)})


def test_nc_ci_coverage():
    """90 % bootstrap CI of N_c covers the truth in >= 85 % of 40 seeded repetitions (resolved rise)."""
    rng = np.random.default_rng(123)
    hits = trusted = 0
    for r in range(40):
        f = fit_transition(_rates("logistic", rng), n_trials=300, n_boot=60, seed=r, families=("logistic",))
        hits += f.N_c_ci[0] <= np.exp(LN_NC) <= f.N_c_ci[1]
        trusted += f.trustworthy
    assert hits / 40 >= 0.85 and trusted >= 30


def test_unresolved_sharp_rise_is_flagged():
    """A rise narrower than the grid spacing: still a sharp transition, but N_c is flagged."""
    rng = np.random.default_rng(5)
    x = np.log(N)
    p = 0.05 + 0.8 / (1 + np.exp(-(x - LN_NC) / 0.15))
    y = xr.DataArray(rng.binomial(300, p) / 300, dims=("model",), coords={"n_params": ("model", N)})
    f = fit_transition(y, n_trials=300, n_boot=40)
    assert f.verdict == "sharp transition" and not f.trustworthy
    assert any("inside the transition" in p for p in f.problems)


@pytest.mark.parametrize("kind,verdict", [("logistic", "sharp transition"), ("power", "smooth"), ("linear", "smooth")])
def test_model_selection_picks_generating_family(kind, verdict):
    rng = np.random.default_rng(7)
    # logistic rise over 0.7 decades of a 3-decade grid: "sharp" by the verdict's definition
    f = fit_transition(_rates(kind, rng, m=2000, seeds=3, w=0.35), n_trials=2000, n_boot=30)
    assert f.comparison.best_bic == kind
    assert f.verdict == verdict
    json.dumps(f.to_dict())


def test_no_trend_data_never_called_sharp():
    """Null data: the constant wins most of the time and a transition is never claimed."""
    rng = np.random.default_rng(11)
    fits = [fit_transition(_rates("constant", rng, m=2000, seeds=3), n_trials=2000, n_boot=20) for _ in range(10)]
    verdicts = [f.verdict for f in fits]
    assert "sharp transition" not in verdicts
    assert verdicts.count("no trend") >= 6 and sum(f.comparison.best_bic == "constant" for f in fits) >= 7


def test_gaussian_sharp_vs_continuous_smooth():
    rng = np.random.default_rng(1)
    x = np.log(N)
    rate = xr.DataArray(
        _truth("logistic", x, 0.35)[None] + rng.normal(0, 0.02, (4, len(N))),
        dims=("seed", "width"),
        coords={"n_params": ("width", N)},
    )
    logp = xr.DataArray(
        -3 + 0.5 * (x - x.mean())[None] + rng.normal(0, 0.05, (4, len(N))),
        dims=("seed", "width"),
        coords={"n_params": ("width", N)},
    )
    fr, fc = fit_transition(rate, n_boot=30), fit_transition(logp, n_boot=30)
    assert fr.likelihood == "gaussian" and fr.bootstrap == "seeds" and fr.verdict == "sharp transition"
    chk = sharpness_survives(fr, fc)
    assert fc.verdict == "smooth" and chk.survives == "no"


def test_untrustworthy_with_few_sizes():
    n = np.array([1e5, 1e6, 1e7, 1e8])
    y = xr.DataArray([0.05, 0.06, 0.8, 0.85], dims=("model",), coords={"n_params": ("model", n)})
    f = fit_transition(y, n_trials=200, n_boot=30)
    assert not f.trustworthy and any("sizes" in p for p in f.problems)
    assert f.verdict != "sharp transition"


def test_critical_surface_per_depth_and_joint():
    rng = np.random.default_rng(2)
    widths, depths = np.array([8, 16, 32, 64, 128, 256, 512]), np.array([1, 2, 4])
    n = 12 * widths[:, None] ** 2 * depths[None, :]  # (width, depth)
    nc = 3e4 * depths  # deeper nets need more parameters here
    p = 0.05 + 0.85 / (1 + np.exp(-(np.log(n) - np.log(nc)) / 0.3))
    y = xr.DataArray(
        rng.binomial(500, p) / 500,
        dims=("width", "depth"),
        coords={"width": widths, "depth": depths, "n_params": (("width", "depth"), n)},
    )
    surf, fits = critical_surface(y, "depth", n_trials=500, n_boot=30)
    assert len(fits) == 3
    assert np.all(np.diff(surf.N_c) > 0)
    joint = fit_joint_surface(y.assign_coords(dep=("depth", depths.astype(float))), "n_params", "dep", 500)
    assert joint.converged and joint.slope_ln_u_per_ln_v > 0.5


# --- demo-shaped grids: 5 widths (4x apart in N), 3 seeds, gaussian seed noise on the gain ------------
DEMO_N = 12.0 * np.array([8, 16, 32, 64, 128]) ** 2  # (width,) n_params of the demo's widths


def _demo_gain(rng, ln_nc: float, w: float, sd: float = 0.08, amp: float = 0.6, seeds: int = 3) -> xr.DataArray:
    x = np.log(DEMO_N)
    mu = amp / (1 + np.exp(-np.clip((x - ln_nc) / w, -60, 60)))  # (width,)
    y = mu[None] + rng.normal(0, sd, (seeds, len(x)))  # (seed, width)
    return xr.DataArray(y, dims=("seed", "width"), coords={"n_params": ("width", DEMO_N)})


def test_nc_interval_not_point_for_unresolved_step():
    """Item 3: a step between two grid sizes gives N_c as the bracket of those sizes, never a point."""
    rng = np.random.default_rng(0)
    truth = np.sqrt(DEMO_N[2] * DEMO_N[3])
    f = fit_transition(_demo_gain(rng, np.log(truth), 0.02), n_boot=60, seed=0)
    lo, hi = f.N_c_ci
    assert lo <= truth <= hi
    assert hi / lo >= 0.99 * DEMO_N[3] / DEMO_N[2]  # at least the whole gap between the neighbours
    assert f.N_c_bracketed and "steeper than the grid" in f.N_c_note
    assert lo == pytest.approx(DEMO_N[2]) and hi == pytest.approx(DEMO_N[3])
    assert 0.0 <= f.boot_fail_frac <= 1.0
    assert f.boot_fail_frac == pytest.approx(f.n_boot_failed / (f.n_boot_ok + f.n_boot_failed))


def test_resolved_rise_is_not_bracketed():
    """A rise spread over several sizes keeps its bootstrap interval (not replaced by a bracket)."""
    rng = np.random.default_rng(3)
    ln_nc = np.log(DEMO_N).mean()
    f = fit_transition(_demo_gain(rng, ln_nc, 1.0, sd=0.02), n_boot=60, seed=0, families=("logistic",))
    assert not f.N_c_bracketed and f.N_c_note == ""
    assert f.N_c_ci[0] < f.N_c_ci[1] and f.N_c_ci[0] <= np.exp(ln_nc) <= f.N_c_ci[1]


def _coverage(reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    x = np.log(DEMO_N)
    hits = 0
    for r in range(reps):
        ln_nc = rng.uniform(x[1] + 0.2, x[3] - 0.2)  # inside the grid, two sizes on each side at most
        w = rng.choice([0.05, 0.3, 0.6, 1.0])  # from a step between sizes to a rise over the grid
        f = fit_transition(_demo_gain(rng, ln_nc, w), n_boot=60, seed=r, families=("logistic",))
        assert f.N_c_ci[1] > f.N_c_ci[0], (w, f.N_c_ci)  # never a point
        hits += f.N_c_ci[0] <= np.exp(ln_nc) <= f.N_c_ci[1]
    return hits / reps


def test_nc_interval_covers_truth_on_demo_shaped_grids():
    """Item 3: synthetic recovery on demo-shaped grids: the 90 % interval covers N_c in >= 85 % of
    100 repetitions (this was also a quick 40-repetition run beside a slow-marked 100-repetition
    one; nothing deselects slow tests, so the 100 alone carry the claim)."""
    assert _coverage(100, 7) >= 0.85


def _smooth_and_step(n_sizes: int, kind: str, sd: float, s: int) -> xr.DataArray:
    n = np.logspace(5, 8, n_sizes)
    x = np.log(n)
    span, xm, u = np.ptp(x), x.mean(), (x - x.min()) / np.ptp(x)
    y = {
        "wide logistic": 0.1 + 0.7 / (1 + np.exp(-(x - xm) / (span / 5))),  # 10-90 % over 0.9 of the grid
        "linear ramp": 0.1 + 0.7 * u,
        "step": 0.1 + 0.7 * (x > xm),
    }[kind]
    rng = np.random.default_rng(s)
    return xr.DataArray(
        y[None] + rng.normal(0, sd, (3, n_sizes)), dims=("seed", "width"), coords={"n_params": ("width", n)}
    )


@pytest.mark.parametrize("kind", ["wide logistic", "linear ramp"])
def test_smooth_curve_never_called_sharp(kind):
    """Item 15: a kink that the change-point family fits on a smooth curve is not a sharp transition."""
    for n_sizes, sd, s in itertools.product((5, 8, 10), (0.03, 0.06), range(4)):
        f = fit_transition(_smooth_and_step(n_sizes, kind, sd, s), n_boot=10)
        assert f.verdict != "sharp transition", (n_sizes, sd, s, f.evidence)


def test_step_called_sharp():
    """Item 15: a true step between two sizes is a sharp transition."""
    for n_sizes, sd, s in itertools.product((6, 8, 10), (0.03, 0.06), range(2)):
        f = fit_transition(_smooth_and_step(n_sizes, "step", sd, s), n_boot=20)
        assert f.verdict == "sharp transition", (n_sizes, sd, s, f.evidence)
