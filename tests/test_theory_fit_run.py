"""aha.fit.fit_run end to end on a small synthetic grid.nc (toy schema)."""

import json

import numpy as np
import pytest
import xarray as xr

from aha.fit import fit_run


def make_grid(path, seed: int = 0, with_optional: bool = True) -> xr.Dataset:
    """A toy-schema grid: width × depth × seed, k, split, step; a sharp gain transition in ln N."""
    rng = np.random.default_rng(seed)
    widths, depths, seeds = np.array([8, 16, 32, 64, 128, 256]), np.array([1, 2]), np.arange(3)
    k, steps, L, G, m = np.array([1, 2, 4, 8, 16, 32, 64]), np.arange(0, 50, 5), 4, 8, 200
    n = 12 * widths[:, None] ** 2 * depths[None, :]  # (width, depth)
    shape = (len(widths), len(depths), len(seeds))
    q = 1 / (1 + np.exp(-(np.log(n) - np.log(5e4)) * 1.2))[..., None] * np.ones(shape)  # per-step accuracy
    p_base = q**L
    p_rl = p_base + (1 - p_base) * 0.8 / (1 + np.exp(-(np.log(n) - np.log(8e4)) / 0.4))[..., None]
    draw = lambda p: rng.binomial(m, np.clip(p, 0, 1)) / m
    base1, rl1 = draw(p_base), draw(p_rl)
    passk = lambda p1: 1 - (1 - p1[..., None]) ** k  # (width, depth, seed, k)
    split = lambda a: np.stack([a, a * 0.8], axis=-1)  # (..., split)
    dims = ("width", "depth", "seed")
    inf = 1 - p_base**G - (1 - p_base) ** G
    H = np.linspace(2.0, 0.6, len(steps))[:, None, None, None] * np.ones((1, *shape))
    R = -0.1 * np.exp(H) + 0.9 + rng.normal(0, 0.01, H.shape)
    status = np.full(shape, "ok", dtype=object)
    status[0, 0, 0] = "diverged"
    ds = xr.Dataset(
        {
            "base_pass_at_k": ((*dims, "k", "split"), split(passk(base1))),
            "rl_pass_at_k": ((*dims, "k", "split"), split(passk(rl1))),
            "base_trace_pass_at_k": ((*dims, "k", "split"), split(passk(base1))),
            "chance": ((), 0.0),
            "reward": (("step", *dims), R),
            "entropy": (("step", *dims), H),
            "informative_frac": (("step", *dims), np.broadcast_to(inf, H.shape).copy()),
            "status": (dims, status.astype(str)),
        },
        coords={
            "width": widths,
            "depth": depths,
            "seed": seeds,
            "k": k,
            "split": ["id", "ood"],
            "step": steps,
            "n_params": (("width", "depth"), n),
        },
        attrs={
            "config": json.dumps({"task": "ModChain", "task_kwargs": {"L": L}, "rl": {"group_size": G}}),
            "n_eval_prompts": m,
        },
    )
    if with_optional:
        ds["base_step_prob"] = (dims + ("split",), np.stack([q, q], axis=-1))
        ds["base_logp_answer"] = (dims + ("split",), split(np.log(np.maximum(p_base, 1e-6))))
        ds["rl_logp_answer"] = (dims + ("split",), split(np.log(np.maximum(p_rl, 1e-6))))
    path.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path / "grid.nc", engine="h5netcdf")
    return ds


def test_fit_run_end_to_end(tmp_path):
    run = tmp_path / "run"
    make_grid(run)
    (run / "report.md").write_text("# Run\n\n## Theory\nold text\n\n## Other\nkeep me\n")
    out = fit_run(run, n_boot=30, seed=0)
    fits = json.loads((run / "fits.json").read_text())
    assert fits == out["fits"]
    assert fits["excluded_cells"] == 1
    for hid in ("H1", "H2", "H3", "H4", "H5", "H6", "H7", "H10"):
        assert hid in fits, hid
    pass1 = fits["H1"]["rl_pass1"]  # generated: a logistic rise (w = 0.4 in ln N) of post-RL pass@1 near 8e4
    assert pass1["likelihood"] == "binomial" and pass1["verdict"] == "sharp transition"
    assert pass1["N_c_ci"][0] < 8e4 < pass1["N_c_ci"][1] and abs(np.log(pass1["N_c"] / 8e4)) < np.log(1.5)
    g = fits["H1"]["rl_gain"]  # the gain jumps between two sizes: N_c is a bracket, printed as one
    assert g["N_c_bracketed"] and g["N_c_ci"][1] / g["N_c_ci"][0] >= 2 and 0 <= g["boot_fail_frac"] <= 1
    assert "H1 rl_gain**" in out["markdown"] and "N_c between" in out["markdown"]
    assert "steeper than the grid resolves" in out["markdown"] and "refits failed" in out["markdown"]
    assert fits["H2"]["phi"]["gain_params"]["kind"] == "phi"
    assert fits["H6"]["summary"]["median_r2"] > 0.9
    report = (run / "report.md").read_text()  # rendered whole from the run's files, nothing of the old kept
    assert "old text" not in report and "keep me" not in report and report.count("## Theory") == 1
    assert report.index("## Summary") < report.index("## Theory") and "H1 rl_gain `" in report
    assert "## Theory" in out["markdown"] and "H1 rl_gain" in out["markdown"]
    figs = list((run / "figures").glob("*.png"))
    assert len(figs) >= 4 and all(f.stat().st_size > 1000 for f in figs)


def test_fit_run_skips_missing(tmp_path):
    run = tmp_path / "run"
    ds = make_grid(run, with_optional=False)
    ds.drop_vars(["reward", "entropy", "informative_frac"]).isel(depth=[0]).to_netcdf(
        run / "grid.nc", engine="h5netcdf"
    )
    out = fit_run(run, n_boot=20)
    md = out["markdown"]
    for var in ("rl_logp_answer", "informative_frac", "base_step_prob", "reward / entropy"):
        assert f"missing variable {var}; verdict: **not testable**." in md
    assert "H10**: depth has a single value; verdict: **not testable**." in md
    assert (run / "report.md").read_text().startswith("## Theory")


def test_fit_run_reports_threshold_per_swept_setting(tmp_path):
    """H11: a pretrain_tokens axis gets N_c per budget; here N_c falls as the budget grows."""
    rng = np.random.default_rng(1)
    widths, budgets, seeds = np.array([8, 12, 16, 24, 32, 48, 64, 96, 128]), np.array([1e5, 3e5, 1e6]), np.arange(3)
    n = 12 * widths.astype(float) ** 2  # (width,)
    true_nc = np.array([4e4, 1.5e4, 5e3])  # (pretrain_tokens,) the threshold moves down with tokens
    p_rl = 0.1 + 0.7 / (1 + np.exp(-(np.log(n)[:, None] - np.log(true_nc)[None, :]) / 0.6))  # (width, budget)
    m = 256
    rl1 = rng.binomial(m, np.broadcast_to(p_rl[..., None], (*p_rl.shape, 3))) / m  # (width, budget, seed)
    base1 = np.full_like(rl1, 0.1)
    k = np.array([1, 2, 4])
    dims = ("width", "depth", "pretrain_tokens", "seed")
    passk = lambda p1: np.stack([1 - (1 - p1) ** kk for kk in k], -1)[:, None]  # (width, 1, budget, seed, k)
    ds = (
        xr.Dataset(
            {
                "base_pass_at_k": ((*dims, "k"), passk(base1)),
                "rl_pass_at_k": ((*dims, "k"), passk(rl1)),
                "status": (dims, np.full((len(widths), 1, 3, 3), "ok")),
            },
            coords={
                "width": widths,
                "depth": [1],
                "pretrain_tokens": budgets,
                "seed": seeds,
                "k": k,
                "n_params": ("width", n),
            },
        )
        .expand_dims(split=["id"])
        .transpose(*dims, "k", "split")
    )
    ds.to_netcdf(tmp_path / "grid.nc", engine="h5netcdf")
    out = fit_run(tmp_path, n_boot=60)
    surf = out["fits"]["H11_pretrain_tokens"]
    assert surf["slice_dim"] == "pretrain_tokens" and len(surf["N_c"]) == 3
    for est, truth in zip(surf["N_c"], true_nc):
        assert abs(np.log(est / truth)) < np.log(2)  # within a factor of 2 of the generating N_c
    assert all(surf["trustworthy"]), out["markdown"]
    assert surf["spearman_rho"] < 0  # N_c falls with the budget, as generated
    assert "**H11**: N_c of the RL gain per pretrain_tokens" in out["markdown"]


def test_in_distribution_fits_use_the_id_split_chance(tmp_path):
    """Item 12: the ood split's chance must not leak into the in-distribution fits (H2, H4)."""
    ds = make_grid(tmp_path / "base")
    out = {}
    for name, ood in (("a", 0.5), ("b", 0.1)):
        (tmp_path / name).mkdir()
        ds.assign(chance=("split", [0.1, ood])).to_netcdf(tmp_path / name / "grid.nc", engine="h5netcdf")
        out[name] = fit_run(tmp_path / name, n_boot=10)["fits"]
    assert out["a"]["H4"]["prediction"]["budget"]["chance"] == pytest.approx(0.1)
    assert out["a"]["H2"] == out["b"]["H2"] and out["a"]["H4"] == out["b"]["H4"]
