"""Item 5: base greedy accuracy beside sampled pass@1, sharpening called sharpening, collapses counted."""

import json

import numpy as np
import pytest
import xarray as xr

from theory.sharpening import collapsed, count_collapses, sharpening, summarize_sharpening

WIDTHS = np.array([8, 16, 32, 64, 128])


def small_grid(path=None) -> xr.Dataset:
    """Demo-shaped: 5 widths x 3 seeds; above the threshold base greedy ≈ 1 while sampled pass@1 ≈ 0.16,
    RL mostly lifts pass@1 towards greedy; width 64 seed 2 and width 128 seed 0 collapse."""
    seeds, k = np.arange(3), np.array([1, 2, 4, 8])
    base1 = np.array([[0.10] * 3, [0.10] * 3, [0.10] * 3, [0.16, 0.16, 0.875], [0.16, 0.39, 0.16]])  # (width, seed)
    rl1 = np.array([[0.10] * 3, [0.11, 0.09, 0.10], [0.10] * 3, [0.97, 0.95, 0.11], [0.11, 0.95, 0.99]])
    greedy = np.array([[0.1] * 3, [0.1] * 3, [0.3] * 3, [1.0] * 3, [0.9] * 3])
    passk = lambda p1: np.stack([1 - (1 - p1) ** kk for kk in k], -1)[:, None, :, None, :]  # (w, depth, seed, split, k)
    dims = ("width", "depth", "seed", "split", "k")
    ds = xr.Dataset(
        {
            "base_pass_at_k": (dims, passk(base1)),
            "rl_pass_at_k": (dims, passk(rl1)),
            "base_trace_pass_at_k": (dims, passk(base1) * 0.9),
            "rl_trace_pass_at_k": (dims, passk(rl1) * 0.9),
            "base_greedy_acc": (dims[:4], greedy[:, None, :, None]),
            "chance": (("split",), [0.1]),
            "status": (dims[:3], np.full((5, 1, 3), "ok")),
        },
        coords={
            "width": WIDTHS,
            "depth": [1],
            "seed": seeds,
            "split": ["id"],
            "k": k,
            "n_params": ("width", 12.0 * WIDTHS**2),
        },
        attrs={"n_eval_prompts": 64, "config": json.dumps({"name": "small"})},
    )
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(path / "grid.nc", engine="h5netcdf")
    return ds


def test_collapse_rule_uses_the_binomial_noise_of_the_eval():
    n = 64 * 64  # demo: 64 prompts x k_max 64 samples
    assert collapsed(0.875, 0.11, n) and collapsed(0.39, 0.11, n)  # the demo's two collapses
    assert not collapsed(0.16, 0.15, 8 * 4)  # a small drop on a small eval is noise
    assert collapsed(0.16, 0.15, 10**7)  # the same drop measured on very many samples is not
    assert not collapsed(0.16, 0.9, n)  # a gain is never a collapse
    assert not collapsed(np.nan, 0.1, n)


def test_count_collapses_names_the_seeds():
    ds = small_grid()
    b, r = (ds[v].sel(k=1, split="id") for v in ("base_pass_at_k", "rl_pass_at_k"))
    c = count_collapses(b, r, 64 * 8)
    assert c.n == 2 and c.n_cells == 15
    assert {(d["width"], d["seed"]) for d in c.cells} == {(64, 2), (128, 0)}
    assert "binomial" in c.rule and "512" in c.rule


def test_sharpening_splits_the_gain_at_base_greedy_accuracy():
    sh, beyond = sharpening(np.array([0.16, 0.10, 0.5]), np.array([0.68, 0.60, 0.3]), np.array([1.0, 0.10, 0.9]))
    assert sh == pytest.approx([0.52, 0.0, -0.2]) and beyond == pytest.approx([0.0, 0.5, 0.0])
    ds = small_grid()
    s = summarize_sharpening(
        *(ds[v].sel(k=1, split="id") for v in ("base_pass_at_k", "rl_pass_at_k")), ds.base_greedy_acc.sel(split="id")
    )
    w64 = next(r for r in s.per_size if r["n_params"] == 12 * 64**2)
    assert w64["base_greedy_acc"] == pytest.approx(1.0) and w64["base_pass1"] == pytest.approx(0.39833, abs=1e-4)
    assert w64["beyond_greedy"] == 0
    assert w64["gap_closed"] == pytest.approx((0.67667 - 0.39833) / (1 - 0.39833), abs=1e-4)
    assert s.mean_beyond_greedy == pytest.approx((0.01 + 0.05 + 0.09) / 15)  # widths 16, 128: RL above greedy
    assert s.frac_gain_sharpening == pytest.approx(1 - s.mean_beyond_greedy / s.mean_gain)


def test_fit_run_counts_collapses_and_sharpening(tmp_path):
    from aha.fit import fit_run

    small_grid(tmp_path)
    out = fit_run(tmp_path, n_boot=10)
    c = out["fits"]["collapses"]
    assert c["n"] == 2 and {(d["width"], d["seed"]) for d in c["cells"]} == {(64, 2), (128, 0)}
    assert c["n_samples"] == [64 * 8]
    assert out["fits"]["sharpening"]["frac_gain_sharpening"] == pytest.approx(0.931, abs=1e-3)
    from aha.render import sharpening_lines  # the lines report.md prints in its own section, from fits.json

    md = "\n".join(sharpening_lines(out["fits"], [], has_rl=True))
    assert "Collapses**: 2 of 15 cells" in md and "width=64, depth=1, seed=2" in md
    assert "sharpening" in md and "base greedy accuracy" in md


def test_report_tables_and_figure_show_base_greedy(tmp_path):
    from aha.fit import fit_run
    from aha.plots import gain_vs_size_series
    from aha.report import size_table, write_report

    ds = small_grid(tmp_path)
    fits = fit_run(tmp_path, fit=False, render=False)["fits"]  # the collapses and sharpening only
    table = size_table(ds, fits)
    head = [h.strip() for h in table.splitlines()[0].strip("|").split("|")]
    assert head[head.index("base pass@1") + 1] == "base greedy acc"
    row64 = next(line for line in table.splitlines() if line.startswith("| 64 |"))
    cells = [c.strip() for c in row64.strip("|").split("|")]
    assert cells[head.index("base greedy acc")].startswith("1.000")
    assert cells[head.index("collapsed seeds")] == "seed 2"
    series = gain_vs_size_series(ds.sel(depth=1))
    n, greedy = series["base greedy acc"]
    assert list(n) == list(12.0 * WIDTHS**2) and greedy[3] == pytest.approx(1.0)
    assert "base pass@1" in series
    text = write_report(tmp_path).read_text()
    assert "Collapses**: 2 of 15 cells" in text and "sharpening" in text.lower()
