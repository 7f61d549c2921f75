"""Figures for the fits (matplotlib, Agg backend; every function writes one PNG and returns its path)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .transitions import TransitionFit  # noqa: E402

__all__ = ["plot_transition", "plot_signal", "plot_entropy_law"]


def plot_transition(y: xr.DataArray, fit: TransitionFit, path: Path, ylabel: str = "y") -> Path:
    """Cells (dots), per-size mean, fitted curves (best and logistic), N_c with its CI band."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    n = y["n_params"].broadcast_like(y).values.ravel()
    v = y.values.ravel()
    ax.scatter(n, v, s=10, alpha=0.4, color="0.4", label="cells")
    un = np.unique(n[np.isfinite(v)])
    ax.plot(un, [np.nanmean(v[n == u]) for u in un], "o", color="k", label="mean per size")
    grid = np.logspace(np.log10(fit.N_range[0]), np.log10(fit.N_range[1]), 200)
    best = fit.comparison.best_bic
    ax.plot(grid, fit.predict(grid, best), color="C0", label=f"best: {best}")
    if best != "logistic" and "logistic" in fit.params:
        ax.plot(grid, fit.predict(grid, "logistic"), "--", color="C1", label="logistic")
    if np.all(np.isfinite(fit.N_c_ci)):
        ax.axvspan(*fit.N_c_ci, color="C1", alpha=0.15, label=f"N_c {fit.ci_level:.0%} CI")
    if np.isfinite(fit.N_c):
        ax.axvline(fit.N_c, color="C1", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("n_params")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{fit.verdict}" + ("" if fit.trustworthy else " (N_c not trustworthy)"), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_signal(n_params: np.ndarray, curves: dict[str, np.ndarray], path: Path, ylabel: str = "") -> Path:
    """Several base-only quantities (φ, p = q^L, ...) against N."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    order = np.argsort(n_params)
    for name, c in curves.items():
        ax.plot(np.asarray(n_params)[order], np.asarray(c)[order], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("n_params")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_entropy_law(
    reward: xr.DataArray, entropy: xr.DataArray, law: xr.Dataset, path: Path, max_cells: int = 12
) -> Path:
    """R against exp(H) per cell (first ``max_cells`` cells) with the fitted lines."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    cell_dims = [d for d in reward.dims if d != "step"]
    R = reward.stack(cell=cell_dims) if cell_dims else reward.expand_dims(cell=[0])
    H = entropy.stack(cell=cell_dims) if cell_dims else entropy.expand_dims(cell=[0])
    a = law["a"].stack(cell=cell_dims).values if cell_dims else np.atleast_1d(law["a"].values)
    b = law["b"].stack(cell=cell_dims).values if cell_dims else np.atleast_1d(law["b"].values)
    for i in range(min(R.sizes["cell"], max_cells)):
        X = np.exp(H.isel(cell=i).values)
        if not np.isfinite(X).any():  # an excluded cell
            continue
        ax.plot(X, R.isel(cell=i).values, ".", color=f"C{i % 10}", alpha=0.6)
        xs = np.linspace(np.nanmin(X), np.nanmax(X), 20)
        ax.plot(xs, -a[i] * xs + b[i], color=f"C{i % 10}", lw=1)
    ax.set_xlabel("exp(entropy)")
    ax.set_ylabel("reward")
    ax.set_title("R = -a exp(H) + b per cell", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
