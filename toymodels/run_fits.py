"""Every theory fit that a run's grid supports, with its verdict and its figure: what `aha fit`
writes to fits.json (aha/fit.py writes the file and renders report.md from it). The fits and the
verdict rules are theory's; this module selects the arrays, calls them and collects what they return,
in the order report.md prints them. What the dataset lacks is recorded as "not testable".

The entries: ``collapses``, ``sharpening``, ``rl_health`` (always: toymodels.summaries.run_entries);
with the fits also ``excluded_cells``, ``n_cells``, ``H1`` ... ``H7``, ``onset``, ``H10`` and
``<H>_<axis>`` (each hypothesis's numbers, with its ``verdict``), ``theory`` (every hypothesis line as
a theory.verdict.Verdict), ``rules`` and ``figures``. The theory figures are drawn here (theory.plots);
the onset figure is left to the caller (RunFits.onset, its path already listed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from theory import hypotheses as hyp
from theory import plots
from theory.amplifier import chance_corrected, crossover, fit_gain_model, loo_compare
from theory.credit import phi
from theory.entropy_law import entropy_law_vs_size, fit_entropy_law
from theory.onset_stats import summarize_onsets
from theory.predictor import compare_prediction, predict_threshold
from theory.surface import critical_surface
from theory.transitions import fit_transition, sharpness_survives

from . import storage
from .onset import CURVE, onset_dataset
from .results import extra_dims, file_suffix, fit_settings, ok_mask, sel, slice_label, slices
from .summaries import run_entries

__all__ = ["ONSET_FIGURE", "RunFits", "fit_hypotheses"]

ONSET_FIGURE = "aha_onset_vs_size.png"
"""The onset figure's file under RUN_DIR/figures (drawn by the caller from RunFits.onset)."""

_FIG_ALT = {
    "H1_rl_gain": "H1: RL gain against size with the fitted transition",
    "H7_logp": "H7: change in log p of the answer against size with the fitted transition",
    "H3_phi": "H3: informative-group fraction against size, measured and theory",
    "H4_p_qL": "H4: per-step probability q and p = q^L against size",
    "H6_entropy_law": "H6: reward against exp(entropy) per cell with the fitted law",
    "aha_onset_vs_size": "Aha onset (update of the reward's jump) against size, cells without one marked",
}


class RunFits:
    """What one fit of a run collects: fits.json's entries, the Theory lines (as verdicts), the figures
    (path, alt text) and the per-cell onset fits (None when there are none)."""

    def __init__(self, ds: xr.Dataset, fig_dir: Path, n_boot: int, seed: int):
        self.ds, self.fig_dir, self.n_boot, self.seed = ds, fig_dir, n_boot, seed
        self.fits: dict = {}
        self.items: list[dict] = []
        self.figures: list[tuple[Path, str]] = []
        cfg = fit_settings(ds)
        self.cfg, self.G = cfg, int(cfg.get("rl", {}).get("group_size", 8))
        self.ok = ok_mask(ds)
        # each split has its own chance; every fit below is in-distribution, so it takes the id split's
        self.chance = sel(ds["chance"], split="id") if "chance" in ds else xr.DataArray(0.0)
        self.extra = extra_dims(ds)
        self.gain = None
        self.onset: xr.Dataset | None = None

    def mask(self, da: xr.DataArray) -> xr.DataArray:
        return da if self.ok is None else da.where(self.ok)

    def first_slice(self, da: xr.DataArray) -> xr.DataArray:
        return da.isel({d: 0 for d in self.extra if d in da.dims}) if self.extra else da

    def item(self, verdict, kind: str = "line", at: list[str] | None = None) -> None:
        self.items.append({"kind": kind, **verdict.to_dict(), "at": at})

    def missing(self, hid: str, var: str) -> None:
        self.item(hyp.not_tested(hid, f"missing variable {var}"))

    def figure(self, path: Path, alt: str) -> None:
        self.figures.append((path, alt))


def _h1(f: RunFits) -> None:
    ds = f.ds
    if "rl_pass_at_k" not in ds or "base_pass_at_k" not in ds:
        return f.missing("H1", "rl_pass_at_k / base_pass_at_k")
    f.gain = f.mask(sel(ds["rl_pass_at_k"] - ds["base_pass_at_k"], k=1, split="id"))
    h1 = f.fits["H1"] = {}
    for chosen, sub in slices(f.gain, f.extra):
        label = f"[{slice_label(chosen)}]" if chosen else ""
        try:
            fit = fit_transition(sub, n_boot=f.n_boot, seed=f.seed)
        except ValueError as e:
            f.item(hyp.not_tested(f"H1 rl_gain{label}", str(e), "undetermined"))
            continue
        h1[f"rl_gain{label}"] = fit
        f.item(hyp.verdict_h1(f"H1 rl_gain{label}", fit), "transition", ["H1", f"rl_gain{label}"])
        path = f.fig_dir / f"H1_rl_gain{file_suffix(chosen)}.png"
        plots.plot_transition(sub, fit, path, "RL gain in pass@1 (fraction of held-out prompts)")
        f.figure(path, _FIG_ALT["H1_rl_gain"] + (f" ({slice_label(chosen)})" if chosen else ""))
    n_trials = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts")
    if not f.extra and n_trials is not None:
        try:
            fit = fit_transition(
                f.mask(sel(ds["rl_pass_at_k"], k=1, split="id")), n_trials, n_boot=f.n_boot, seed=f.seed
            )
            h1["rl_pass1"] = fit
            f.item(hyp.verdict_h1("H1 post-RL pass@1", fit), "transition", ["H1", "rl_pass1"])
        except ValueError as e:
            f.item(hyp.not_tested("H1 post-RL pass@1", str(e), "undetermined"))


def _h7(f: RunFits) -> None:
    ds = f.ds
    if "rl_logp_answer" not in ds:
        return f.missing("H7", "rl_logp_answer")
    y = ds["rl_logp_answer"] - ds["base_logp_answer"] if "base_logp_answer" in ds else ds["rl_logp_answer"]
    y = f.first_slice(f.mask(sel(y, split="id")))
    try:
        f7 = fit_transition(y, n_boot=f.n_boot, seed=f.seed)
    except ValueError as e:
        return f.item(hyp.not_tested("H7", str(e), "undetermined"))
    rate = f.fits.get("H1", {}).get("rl_gain")
    chk = sharpness_survives(rate, f7) if f.gain is not None and rate is not None else None
    v = hyp.verdict_h7(f7, chk)
    f.fits["H7"] = {"logp_fit": f7, **({"sharpness": chk} if chk is not None else {}), "verdict": v.verdict}
    f.item(v, "H7", ["H7", "logp_fit"])
    plots.plot_transition(y, f7, f.fig_dir / "H7_logp.png", "Δ log p(answer) (nats)")
    f.figure(f.fig_dir / "H7_logp.png", _FIG_ALT["H7_logp"])


def _groups(da: xr.DataArray) -> np.ndarray:
    """Integer id per cell of its size/setting (all dims except seed)."""
    dims = list(da.dims)
    idx = np.indices(da.shape).reshape(len(dims), -1)
    keep = [i for i, d in enumerate(dims) if d != "seed"]
    if not keep:
        return np.zeros(da.size, dtype=int)
    return np.ravel_multi_index(tuple(idx[keep]), tuple(da.shape[i] for i in keep))


def _h2(f: RunFits) -> None:
    ds, gain = f.ds, f.gain
    base1 = f.mask(sel(ds["base_pass_at_k"], k=1, split="id"))
    kmax = int(ds["k"].max()) if "k" in ds.dims else 1
    if "base_trace_pass_at_k" in ds:
        cov, feature = f.mask(sel(ds["base_trace_pass_at_k"], k=kmax, split="id")), f"trace pass@{kmax}"
    else:
        cov = chance_corrected(f.mask(sel(ds["base_pass_at_k"], k=kmax, split="id")), f.chance, kmax)
        feature = f"chance-corrected pass@{kmax}"
    y, p1, c, n, ch = (
        a.values for a in xr.broadcast(gain, base1, cov, gain["n_params"].broadcast_like(gain), f.chance)
    )
    h2 = f.fits["H2"] = {}
    for kind in ("phi", "coverage"):
        pk, chk = (c, 0.0) if kind == "coverage" else (None, ch)
        loo = loo_compare(p1, y, n, _groups(gain), pk, chk, f.G, kind, k=1)
        v = hyp.verdict_h2(kind, loo, feature)
        h2[kind] = {"loo": loo, "gain_params": fit_gain_model(p1, y, pk, chk, f.G, kind, k=1), "verdict": v.verdict}
        if kind == "coverage":
            h2[kind]["feature"] = feature
        f.item(v, at=["H2", kind])


def _per_size(v: xr.DataArray, n_cells: np.ndarray, like: xr.DataArray, sizes: np.ndarray | None = None) -> np.ndarray:
    """Mean of ``v`` (broadcast like ``like``) per unique n_params."""
    vals = v.broadcast_like(like).values.ravel()
    un = np.unique(n_cells[np.isfinite(n_cells)]) if sizes is None else sizes
    return np.array([np.nanmean(vals[np.isclose(n_cells, u)]) if np.isclose(n_cells, u).any() else np.nan for u in un])


def _h3(f: RunFits) -> None:
    ds = f.ds
    if "informative_frac" not in ds or f.gain is None:
        return f.missing("H3", "informative_frac")
    inf0 = f.mask(ds["informative_frac"].isel(step=0))
    a, y = xr.broadcast(inf0, f.gain)
    v = hyp.verdict_h3(a.values, y.values)
    f.fits["H3"] = {**v.numbers, "verdict": v.verdict}
    f.item(v, at=["H3"])
    base1 = f.mask(sel(ds["base_pass_at_k"], k=1, split="id"))
    nn = base1["n_params"].broadcast_like(base1).values.ravel()
    curves = {
        "φ measured (step 0)": _per_size(inf0, nn, base1),
        "φ(p_reward) theory": _per_size(xr.apply_ufunc(phi, base1, f.G), nn, base1),
    }
    if "base_trace_pass_at_k" in ds:
        pt = f.mask(sel(ds["base_trace_pass_at_k"], k=1, split="id"))
        curves["φ(p_trace) theory"] = _per_size(xr.apply_ufunc(phi, pt, f.G), nn, base1)
    path, un = f.fig_dir / "H3_phi.png", np.unique(nn[np.isfinite(nn)])
    title = "Informative GRPO groups at the first update against size"
    plots.plot_signal(un, curves, path, "informative-group fraction φ (fraction of groups)", title)
    f.figure(path, _FIG_ALT["H3_phi"])


def _h4(f: RunFits) -> None:
    ds, cfg = f.ds, f.cfg
    L = cfg.get("task_kwargs", {}).get("L") or ds.attrs.get("L")
    # q is the probability of the correct step under sampling (step_prob), not the argmax
    # accuracy (step_acc_argmax), which hides the probability a wrong step gets
    if "base_step_prob" not in ds or not L:
        return f.missing("H4", "base_step_prob" if "base_step_prob" not in ds else "config task_kwargs.L")
    q, L, rl_cfg = f.first_slice(f.mask(sel(ds["base_step_prob"], split="id"))), int(L), cfg.get("rl", {})
    n_upd = int(rl_cfg.get("n_updates", rl_cfg.get("steps", int(ds["step"].max()) if "step" in ds.dims else 100)))
    chance = float(f.chance.isel({d: 0 for d in f.extra if d in f.chance.dims}).mean())
    pred = predict_threshold(
        q, L=L, n_updates=n_upd, G=f.G, prompts_per_update=int(rl_cfg.get("prompts", 1)), chance=chance
    )
    h4 = f.fits["H4"] = {
        "prediction": pred,
        "L": L,
        "lr_note": "mean-field lr = 1.0 (uncalibrated scale)",
        "q_source": "base_step_prob: teacher-forced probability of the correct step at the eval temperature",
    }
    if f.gain is not None:
        obs = f.fits.get("H1", {}).get("rl_gain")
        h4["comparison"] = table = compare_prediction(
            pred, f.first_slice(f.gain), obs.N_c if obs is not None and obs.trustworthy else None
        )
        v = hyp.verdict_h4(L, pred, table, "horizon" in ds.dims)
        h4["verdict"] = v.verdict
        f.item(v, "H4", ["H4", "prediction"])
    else:
        f.items.append({"kind": "H4", "claim": "H4", "result": None, "verdict": None, "at": ["H4", "prediction"]})
    nn = np.array(pred.n_params)
    curves = {"q (per step)": np.array(pred.q), f"p = q^{L}": np.array(pred.p0)}
    if "base_trace_pass_at_k" in ds:
        pt = f.mask(sel(ds["base_trace_pass_at_k"], k=1, split="id"))
        curves["trace pass@1 measured"] = _per_size(pt, pt["n_params"].broadcast_like(pt).values.ravel(), pt, nn)
    title = f"Per-step probability q and whole-trace p = q^{L} against size"
    plots.plot_signal(nn, curves, f.fig_dir / "H4_p_qL.png", "probability (0 to 1)", title)
    f.figure(f.fig_dir / "H4_p_qL.png", _FIG_ALT["H4_p_qL"])


def _h5_h6(f: RunFits) -> None:
    ds = f.ds
    if "rl_pass_at_k" in ds and "k" in ds.dims and ds.sizes["k"] > 1:
        cx = crossover(f.mask(sel(ds["base_pass_at_k"], split="id")), f.mask(sel(ds["rl_pass_at_k"], split="id")))
        valid = f.mask(sel(ds["rl_pass_at_k"], split="id", k=1)).notnull()
        v = hyp.verdict_h5(cx["k_star"].values, float(cx["expanded"].where(valid).mean()))
        f.fits["H5"] = {**v.numbers, "verdict": v.verdict}
        f.item(v, at=["H5"])
    else:
        f.missing("H5", "rl_pass_at_k over k")
    if "reward" not in ds or "entropy" not in ds:
        return f.missing("H6", "reward / entropy")
    law = fit_entropy_law(f.mask(ds["reward"]), f.mask(ds["entropy"]))
    v = hyp.verdict_h6(s := entropy_law_vs_size(law))
    f.fits["H6"] = {"summary": s, "verdict": v.verdict}
    f.item(v, at=["H6"])
    path = f.fig_dir / "H6_entropy_law.png"
    plots.plot_entropy_law(f.mask(ds["reward"]), f.mask(ds["entropy"]), law, path)
    f.figure(path, _FIG_ALT["H6_entropy_law"])


def _onset(f: RunFits, run_dir: Path) -> None:
    """Per-cell onsets into RUN_DIR/onset.nc, their summary into fits.json, the figure's path listed."""
    if "step" not in f.ds.dims:
        return
    on = onset_dataset(f.ds, f.G, int(f.cfg.get("rl", {}).get("prompts") or 16))
    if on is not None:
        storage.atomic_write_dataset(Path(run_dir) / "onset.nc", on)
        f.onset = on
        found = summarize_onsets(on.to_dataframe().reset_index(), CURVE)
        if found:
            f.fits["onset"] = found
    f.items.append({"kind": "onset", "claim": "Aha onset", "result": None, "verdict": None, "at": ["onset"]})
    if on is not None:
        f.figure(Path(run_dir) / "figures" / ONSET_FIGURE, _FIG_ALT["aha_onset_vs_size"])


def _axes(f: RunFits) -> None:
    """H10 (N_c per depth), then H4 / H8 / H11 on a horizon, prior or pretraining-budget axis."""
    gain = f.gain
    if gain is not None and "depth" in gain.dims and gain.sizes["depth"] > 1 and "width" in gain.dims:
        surf, _ = critical_surface(f.first_slice(gain), "depth", n_boot=f.n_boot, seed=f.seed)
        v = hyp.verdict_axis("H10", surf)
        f.fits["H10"] = {**surf.to_dict(), "verdict": v.verdict}
        f.item(v, "surface", ["H10"])
    else:
        f.item(hyp.not_tested("H10", "depth has a single value"))
    for dim, hid in hyp.AXES.items():
        if gain is None or dim not in gain.dims or gain.sizes[dim] < 2:
            continue
        g = gain.isel({d: 0 for d in f.extra if d != dim})
        if "depth" in g.dims:
            g = g.isel(depth=0) if g.sizes["depth"] > 1 else g.squeeze("depth", drop=True)
        surf, _ = critical_surface(g, dim, n_boot=f.n_boot, seed=f.seed)
        v = hyp.verdict_axis(hid, surf)
        f.fits[f"{hid}_{dim}"] = {**surf.to_dict(), "verdict": v.verdict}
        f.item(v, "surface", [f"{hid}_{dim}"])


def fit_hypotheses(ds: xr.Dataset, run_dir: Path, n_boot: int = 200, seed: int = 0, fit: bool = True) -> RunFits:
    """fits.json's entries of the run in ``run_dir`` (its grid ``ds``): the collapses, sharpening and
    rl_health always; with ``fit`` every hypothesis fit, RUN_DIR/onset.nc and the theory figures
    under RUN_DIR/figures (which must exist)."""
    f = RunFits(ds, Path(run_dir) / "figures", n_boot, seed)
    if f.ok is not None and fit:
        f.fits.update(excluded_cells=int((~f.ok).sum()), n_cells=int(f.ok.size))
    f.fits.update(run_entries(ds))
    if fit:
        for step in (_h1, _h7):
            step(f)
        if f.gain is not None:
            _h2(f)
        for step in (_h3, _h4, _h5_h6):
            step(f)
        _onset(f, run_dir)
        _axes(f)
        f.fits |= {"theory": f.items, "rules": hyp.RULES}
        f.fits["figures"] = [{"file": p.name, "alt": alt} for p, alt in f.figures]
    return f
