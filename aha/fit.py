"""``fit_run``: every theory fit that a run's ``grid.nc`` supports, as fits.json, figures and a
"## Theory" section of report.md. What the dataset lacks is listed as "not testable"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import xarray as xr

from aha.report import sharpening_and_collapses
from theory import plots
from theory._result import to_jsonable
from theory.amplifier import chance_corrected, crossover, fit_gain_model, loo_compare
from theory.credit import phi
from theory.entropy_law import entropy_law_vs_size, fit_entropy_law
from theory.predictor import compare_prediction, predict_threshold
from theory.surface import critical_surface
from theory.transitions import TransitionFit, fit_transition, sharpness_survives

__all__ = ["fit_run", "replace_section"]

_GRID_DIMS = ("width", "depth", "seed", "model")
_AXES = ("k", "split", "step")


def _sel(da: xr.DataArray, **kw) -> xr.DataArray:
    """``.sel`` on the dims that exist."""
    return da.sel({d: v for d, v in kw.items() if d in da.dims})


def _fmt_ci(fit: TransitionFit) -> str:
    lo, hi = fit.N_c_ci
    if fit.N_c_bracketed:  # an interval, never a point: the grid does not locate N_c inside it
        return (
            f"N_c between {lo:.3g} and {hi:.3g} ({fit.ci_level:.0%}; bracket of grid sizes), w <= {fit.w:.2g} in ln N"
        )
    return f"N_c = {fit.N_c:.3g} ({fit.ci_level:.0%} CI {lo:.3g}–{hi:.3g}), w = {fit.w:.2g} in ln N"


#: the verdict rules the "## Theory" section states (each hypothesis line ends with its verdict word)
RULES = {
    "H1": "`sharp transition`, `smooth` or `no trend` when that kind of fit is best by BIC by at least 2 "
    "(a sharp one also needs a trustworthy N_c); otherwise `undetermined`",
    "H2": "`holds` when the base-only gain model's leave-one-size-out RMSE is below both the constant's and "
    "the ln N line's; `fails` otherwise; `undetermined` with fewer than 4 sizes to leave out",
    "H3": "`holds` when the cells without signal (φ < 0.05 at the first RL update) gain less than 0.02 on "
    "average; `fails` otherwise; `not testable` when every cell has signal",
    "H4": "on a horizon axis as H8; on one horizon `not testable` (the p = q^L predictor is still compared "
    "with the observed gain)",
    "H5": "`holds` when RL pass@k_max is above the base's (support expanded) in fewer than half of the ok "
    "cells; `fails` otherwise",
    "H6": "`undetermined` when no cell's law could be fitted; `holds` when the median R² over cells is at least 0.5 "
    "and a > 0 in more than half of them; "
    "`fails` otherwise",
    "H7": "`holds` when the continuous metric also shows a sharp transition (sharpness survives); `fails` "
    "when it is smooth or flat; `undetermined` when the rate itself is not sharp",
    "H8": "(and H4, H10, H11 on their axes) `holds` when every N_c on the axis is trustworthy and Spearman "
    "ρ(N_c, axis) has the predicted sign (H4: > 0, H8: < 0, H11: < 0; H10: |ρ| ≥ 0.5); `fails` when they "
    "are trustworthy and it has not; `undetermined` when any N_c is not trustworthy; `not testable` "
    "without the axis",
}


def _v(word: str) -> str:
    """The verdict word that ends a hypothesis line."""
    return f"verdict: **{word}**."


def _transition_lines(name: str, fit: TransitionFit, verdict: str | None = None) -> list[str]:
    """Lines of one transition fit; the first ends with ``verdict`` (the fit's own by default)."""
    lead = "" if verdict is None else f"fit: {fit.verdict}; "
    out = [
        f"- **{name}**: {lead}{_fmt_ci(fit)}; {fit.n_sizes} sizes, {fit.n_obs} cells, "
        f"{fit.likelihood} likelihood, bootstrap over {fit.bootstrap} "
        f"({fit.n_boot_failed} of {fit.n_boot_ok + fit.n_boot_failed} refits failed); " + _v(verdict or fit.verdict)
    ]
    if fit.N_c_note:
        out.append(f"  - N_c: {fit.N_c_note}")
    out += [f"  - evidence: {e}" for e in fit.evidence]
    if not fit.trustworthy:
        out.append(f"  - N_c not trustworthy because: {'; '.join(fit.problems)}")
    out += [f"  - note: {n}" for n in fit.notes]
    return out


def _config(ds: xr.Dataset) -> dict:
    """The settings the fits need, from a grid's flat `cell_config` attr or a nested `config`."""
    try:
        cell = json.loads(ds.attrs.get("cell_config", "{}"))
        cfg = json.loads(ds.attrs.get("config", "{}"))
    except (TypeError, ValueError):
        return {}
    if not cell:
        return cfg
    import envs  # noqa: PLC0415  (aha may import everything)

    task_kwargs = dict(cell.get("task_kwargs") or {})
    if cell.get("horizon") is not None:
        task_kwargs[envs.task_class(cell["task"]).horizon_arg] = cell["horizon"]
    task_kwargs.setdefault("L", task_kwargs.get(envs.task_class(cell["task"]).horizon_arg))
    return {
        "task": cell["task"],
        "task_kwargs": task_kwargs,
        "rl": {
            "group_size": cell.get("group_size"),
            "n_updates": cell.get("rl_updates"),
            "prompts": cell.get("prompts_per_update"),
        },
    }


def replace_section(text: str, heading: str, body: str) -> str:
    """Replace ``heading`` up to the next '## ' heading (or the end) by ``body``; append if absent."""
    pat = re.compile(rf"^{re.escape(heading)}[ \t]*\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(text):
        return pat.sub(lambda _: body.rstrip("\n") + "\n\n", text, count=1)
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + body.rstrip("\n") + "\n"


def fit_run(run_dir: Path, n_boot: int = 200, seed: int = 0) -> dict:
    """Run the supported fits on ``run_dir/grid.nc``; write fits.json, figures/ and report.md.

    Returns ``{"fits": <the JSON dict>, "markdown": <the ## Theory section>, "figures": [paths]}``.
    """
    run_dir = Path(run_dir)
    from toymodels.storage import load_dataset  # noqa: PLC0415

    ds = load_dataset(run_dir / "grid.nc")  # a corrupt file: one line naming `aha rebuild`
    cfg = _config(ds)
    fig_dir = run_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    fits: dict = {}
    md = ["## Theory", "", "Verdict rules (each line below ends with its verdict; ± is the sd over seeds):", ""]
    md += [f"- {h} rule: {text}." for h, text in RULES.items()] + [""]
    figures: list[Path] = []
    missing = lambda hid, var: md.append(f"- **{hid}**: missing variable {var}; {_v('not testable')}")

    ok = None
    if "status" in ds:
        ok = ds["status"] == "ok"
        n_bad = int((~ok).sum())
        md.append(f"Cells excluded from fits (status != ok): {n_bad} of {int(ok.size)}.")
        md.append("")
        fits["excluded_cells"] = n_bad
    mask = (lambda da: da.where(ok)) if ok is not None else (lambda da: da)
    n_trials = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts")
    # each split has its own chance; every fit below is in-distribution, so it takes the id split's
    chance = _sel(ds["chance"], split="id") if "chance" in ds else xr.DataArray(0.0)
    G = int(cfg.get("rl", {}).get("group_size", 8))
    extra = [d for d in ds.dims if d not in _GRID_DIMS + _AXES]

    # --- what the RL gain is made of: sharpening towards base greedy accuracy, and collapses -----
    found, _ = sharpening_and_collapses(ds)  # their lines are in report.md's own section
    fits.update(found)

    # --- H1: transition of the RL gain (and of post-RL pass@1) -------------------------------
    gain = None
    if "rl_pass_at_k" in ds and "base_pass_at_k" in ds:
        gain = mask(_sel(ds["rl_pass_at_k"] - ds["base_pass_at_k"], k=1, split="id"))
        h1 = {}
        for label, sub in _slices(gain, extra):
            try:
                f = fit_transition(sub, n_boot=n_boot, seed=seed)
            except ValueError as e:
                md.append(f"- **H1{label}**: {e}; {_v('undetermined')}")
                continue
            h1[f"rl_gain{label}"] = f
            md += _transition_lines(f"H1 rl_gain{label}", f)
            figures.append(
                plots.plot_transition(
                    sub, f, fig_dir / f"H1_rl_gain{_fn(label)}.png", "RL gain in pass@1 (fraction of held-out prompts)"
                )
            )
        rl1 = mask(_sel(ds["rl_pass_at_k"], k=1, split="id"))
        if not extra and n_trials is not None:
            try:
                f = fit_transition(rl1, n_trials, n_boot=n_boot, seed=seed)
                h1["rl_pass1"] = f
                md += _transition_lines("H1 post-RL pass@1", f)
            except ValueError as e:
                md.append(f"- **H1 post-RL pass@1**: {e}; {_v('undetermined')}")
        fits["H1"] = h1
    else:
        missing("H1", "rl_pass_at_k / base_pass_at_k")

    # --- H7: the same fit on a continuous metric ---------------------------------------------
    if "rl_logp_answer" in ds:
        y = ds["rl_logp_answer"] - ds["base_logp_answer"] if "base_logp_answer" in ds else ds["rl_logp_answer"]
        y = mask(_sel(y, split="id"))
        if extra:
            y = y.isel({d: 0 for d in extra})
        try:
            f7 = fit_transition(y, n_boot=n_boot, seed=seed)
            fits["H7"] = {"logp_fit": f7}
            chk = None
            if gain is not None and "rl_gain" in fits.get("H1", {}):
                chk = sharpness_survives(fits["H1"]["rl_gain"], f7)
                fits["H7"]["sharpness"] = chk
            word = {"yes": "holds", "no": "fails"}.get(chk.survives, "undetermined") if chk else "undetermined"
            md += _transition_lines("H7 log p(answer)", f7, verdict=word)
            if chk is not None:
                md.append(f"  - sharpness survives on the continuous metric: {chk.survives} ({chk.reason})")
            figures.append(plots.plot_transition(y, f7, fig_dir / "H7_logp.png", "Δ log p(answer) (nats)"))
        except ValueError as e:
            md.append(f"- **H7**: {e}; {_v('undetermined')}")
    else:
        missing("H7", "rl_logp_answer")

    # --- H2: base coverage vs gain, leave-one-out --------------------------------------------
    if gain is not None:
        base1 = mask(_sel(ds["base_pass_at_k"], k=1, split="id"))
        kmax = int(ds["k"].max()) if "k" in ds.dims else 1
        if "base_trace_pass_at_k" in ds:
            cov = mask(_sel(ds["base_trace_pass_at_k"], k=kmax, split="id"))
            cov_note = f"trace pass@{kmax}"
        else:
            cov = chance_corrected(mask(_sel(ds["base_pass_at_k"], k=kmax, split="id")), chance, kmax)
            cov_note = f"chance-corrected pass@{kmax}"
        arrs = xr.broadcast(gain, base1, cov, gain["n_params"].broadcast_like(gain), chance)
        groups = _groups(gain)
        h2 = {}
        for kind in ("phi", "coverage"):
            loo = loo_compare(
                arrs[1].values,
                arrs[0].values,
                arrs[3].values,
                groups,
                arrs[2].values if kind == "coverage" else None,
                0.0 if kind == "coverage" else arrs[4].values,
                G,
                kind,
                k=1,
            )
            params = fit_gain_model(
                arrs[1].values,
                arrs[0].values,
                arrs[2].values if kind == "coverage" else None,
                0.0 if kind == "coverage" else arrs[4].values,
                G,
                kind,
                k=1,
            )
            h2[kind] = {"loo": loo, "gain_params": params}
            r = loo.rmse
            word = (
                "undetermined"
                if loo.verdict.startswith("undetermined")
                else "holds"
                if r["gain_model"] < min(r["constant"], r["linear_lnN"])
                else "fails"
            )
            md.append(
                f"- **H2 ({kind}{', ' + cov_note if kind == 'coverage' else ''})**: {loo.verdict}; "
                f"LOO RMSE gain model {r['gain_model']:.3g} vs constant {r['constant']:.3g} vs "
                f"linear in ln N {r['linear_lnN']:.3g} ({loo.n_groups} held-out sizes); {_v(word)}"
            )
        fits["H2"] = h2

    # --- H3: informative groups at the start of RL vs gain ----------------------------------
    if "informative_frac" in ds and gain is not None:
        inf0 = mask(ds["informative_frac"].isel(step=0))
        a, g = xr.broadcast(inf0, gain)
        m = np.isfinite(a.values) & np.isfinite(g.values)
        rho = float(np.corrcoef(a.values[m], g.values[m])[0, 1]) if m.sum() > 2 else float("nan")
        low = g.values[m][a.values[m] < 0.05]
        fits["H3"] = {
            "corr_informative0_gain": rho,
            "n_cells_no_signal": int(low.size),
            "mean_gain_no_signal": float(low.mean()) if low.size else None,
        }
        word = "not testable" if not low.size else "holds" if abs(low.mean()) < 0.02 else "fails"
        md.append(
            f"- **H3**: corr(φ at step 0, gain) = {rho:.2f}; cells with φ < 0.05: {low.size}"
            + (f", their mean gain {low.mean():.3f}" if low.size else " (every cell has signal)")
            + f"; {_v(word)}"
        )
        base1 = mask(_sel(ds["base_pass_at_k"], k=1, split="id"))
        nn = base1["n_params"].broadcast_like(base1).values.ravel()
        curves = {
            "φ measured (step 0)": _per_size(inf0, nn, base1),
            "φ(p_reward) theory": _per_size(xr.apply_ufunc(phi, base1, G), nn, base1),
        }
        if "base_trace_pass_at_k" in ds:
            pt = mask(_sel(ds["base_trace_pass_at_k"], k=1, split="id"))
            curves["φ(p_trace) theory"] = _per_size(xr.apply_ufunc(phi, pt, G), nn, base1)
        un = np.unique(nn[np.isfinite(nn)])
        figures.append(
            plots.plot_signal(
                un,
                curves,
                fig_dir / "H3_phi.png",
                "informative-group fraction φ (fraction of groups)",
                "Informative GRPO groups at the first update against size",
            )
        )
    else:
        missing("H3", "informative_frac")

    # --- H4: p = q^L and the threshold predictor --------------------------------------------
    L = cfg.get("task_kwargs", {}).get("L") or ds.attrs.get("L")
    # q is the probability of the correct step under sampling (step_prob), not the argmax
    # accuracy (step_acc_argmax), which hides the probability a wrong step gets
    if "base_step_prob" in ds and L:
        q = mask(_sel(ds["base_step_prob"], split="id"))
        if extra:
            q = q.isel({d: 0 for d in extra})
        L = int(L)
        rl_cfg = cfg.get("rl", {})
        n_upd = int(rl_cfg.get("n_updates", rl_cfg.get("steps", int(ds["step"].max()) if "step" in ds.dims else 100)))
        pred = predict_threshold(
            q,
            L=L,
            n_updates=n_upd,
            G=G,
            prompts_per_update=int(rl_cfg.get("prompts", 1)),
            chance=float(chance.isel({d: 0 for d in extra if d in chance.dims}).mean()),
        )
        h4 = {
            "prediction": pred,
            "L": L,
            "lr_note": "mean-field lr = 1.0 (uncalibrated scale)",
            "q_source": "base_step_prob: teacher-forced probability of the correct step at the eval temperature",
        }
        if gain is not None:
            g0 = gain.isel({d: 0 for d in extra}) if extra else gain
            obs_nc = fits.get("H1", {}).get("rl_gain")
            table = compare_prediction(pred, g0, obs_nc.N_c if obs_nc is not None and obs_nc.trustworthy else None)
            h4["comparison"] = table
            md.append(
                f"- **H4**: L = {L}, q = base step_prob; predicted N_c = {pred.N_c:.3g} "
                "(mean-field, uncalibrated lr=1); "
                f"prediction vs observed gain: RMSE {table.rmse:.3g}, corr {table.corr:.2f}; "
                + (
                    _v("not testable")
                    if "horizon" not in ds.dims
                    else "the N_c per horizon line decides; " + _v("see below")
                )
            )
        md += [f"  - note: {n}" for n in pred.notes]
        nn = np.array(pred.n_params)
        curves = {"q (per step)": np.array(pred.q), f"p = q^{L}": np.array(pred.p0)}
        if "base_trace_pass_at_k" in ds:
            pt = mask(_sel(ds["base_trace_pass_at_k"], k=1, split="id"))
            curves["trace pass@1 measured"] = _per_size(pt, pt["n_params"].broadcast_like(pt).values.ravel(), pt, nn)
        figures.append(
            plots.plot_signal(
                nn,
                curves,
                fig_dir / "H4_p_qL.png",
                "probability (0 to 1)",
                f"Per-step probability q and whole-trace p = q^{L} against size",
            )
        )
        fits["H4"] = h4
    else:
        missing("H4", "base_step_prob" if "base_step_prob" not in ds else "config task_kwargs.L")

    # --- H5: crossover k* ----------------------------------------------------------------------
    if "rl_pass_at_k" in ds and "k" in ds.dims and ds.sizes["k"] > 1:
        cx = crossover(mask(_sel(ds["base_pass_at_k"], split="id")), mask(_sel(ds["rl_pass_at_k"], split="id")))
        ks = cx["k_star"].values
        valid = mask(_sel(ds["rl_pass_at_k"], split="id", k=1)).notnull()
        exp_frac = float(cx["expanded"].where(valid).mean())
        fits["H5"] = {
            "median_k_star": float(np.nanmedian(ks)) if np.isfinite(ks).any() else None,
            "frac_cells_with_crossover": float(np.mean(np.isfinite(ks))),
            "frac_cells_support_expanded": exp_frac,
        }
        md.append(
            f"- **H5**: crossover in {np.mean(np.isfinite(ks)):.0%} of cells"
            + (f" (median k* = {np.nanmedian(ks):.3g})" if np.isfinite(ks).any() else "")
            + f"; RL pass@k_max above base's (support expanded) in {exp_frac:.0%} of ok cells; "
            + _v("holds" if exp_frac < 0.5 else "fails")
        )
    else:
        missing("H5", "rl_pass_at_k over k")

    # --- H6: entropy law -----------------------------------------------------------------------
    if "reward" in ds and "entropy" in ds:
        law = fit_entropy_law(mask(ds["reward"]), mask(ds["entropy"]))
        s = entropy_law_vs_size(law)
        fits["H6"] = {"summary": s}
        md.append(
            f"- **H6**: R = −a·exp(H) + b, median R² = {s.median_r2:.2f} over {s.n_cells} cells, "
            f"a > 0 in {s.frac_a_positive:.0%}; d a / d ln N = {s.a_slope_lnN:.3g} (p = {s.a_slope_p:.2g}), "
            f"d b / d ln N = {s.b_slope_lnN:.3g} (p = {s.b_slope_p:.2g}); "
            + _v(
                "undetermined"
                if s.n_cells == 0
                else "holds"
                if s.median_r2 >= 0.5 and s.frac_a_positive > 0.5
                else "fails"
            )
        )
        figures.append(
            plots.plot_entropy_law(mask(ds["reward"]), mask(ds["entropy"]), law, fig_dir / "H6_entropy_law.png")
        )
    else:
        missing("H6", "reward / entropy")

    # --- the aha as an event: change-point onset of each cell's reward curve (aha/fit_onset.py) ---
    if "step" in ds.dims:
        from .fit_onset import onset_section  # noqa: PLC0415

        rl_cfg = cfg.get("rl", {})
        found, lines, figs = onset_section(ds, run_dir, G, int(rl_cfg.get("prompts") or 16))
        if found:
            fits["onset"] = found
        md += lines
        figures += figs

    # --- H10: N_c per depth ----------------------------------------------------------------
    if gain is not None and "depth" in gain.dims and gain.sizes["depth"] > 1 and "width" in gain.dims:
        g10 = gain.isel({d: 0 for d in extra}) if extra else gain
        surf, _ = critical_surface(g10, "depth", n_boot=n_boot, seed=seed)
        fits["H10"] = surf
        rows = ", ".join(
            f"depth {v:g}: {nc:.3g}{'' if t else ' (untrusted)'}"
            for v, nc, t in zip(surf.values, surf.N_c, surf.trustworthy, strict=True)
        )
        md.append(
            f"- **H10**: N_c per depth: {rows}; Spearman ρ(N_c, depth) = {surf.spearman_rho:.2f}; "
            + _v(_axis_verdict("H10", surf))
        )
        md += [f"  - note: {n}" for n in surf.notes]
    else:
        md.append(f"- **H10**: depth has a single value; {_v('not testable')}")

    # --- H4 / H8 / H11: does N_c move with a swept setting? -----------------------------------
    for dim, hid in _SETTING_HYPOTHESES.items():
        if gain is None or dim not in gain.dims or gain.sizes[dim] < 2:
            continue
        g = gain.isel({d: 0 for d in extra if d != dim})
        if "depth" in g.dims:
            g = g.isel(depth=0) if g.sizes["depth"] > 1 else g.squeeze("depth", drop=True)
        surf, _ = critical_surface(g, dim, n_boot=n_boot, seed=seed)
        fits[f"{hid}_{dim}"] = surf
        rows = ", ".join(
            f"{dim} {v:g}: {nc:.3g} ({verdict}{'' if t else ', untrusted'})"
            for v, nc, verdict, t in zip(surf.values, surf.N_c, surf.verdicts, surf.trustworthy, strict=True)
        )
        rho = "n/a" if not np.isfinite(surf.spearman_rho) else f"{surf.spearman_rho:.2f}"
        md.append(
            f"- **{hid}**: N_c of the RL gain per {dim}: {rows}; Spearman ρ(N_c, {dim}) = {rho}; "
            + _v(_axis_verdict(hid, surf))
        )
        md += [f"  - note: {n}" for n in surf.notes]

    md.append("")
    md += [f"![{_FIG_ALT.get(p.stem.split('[')[0].rstrip('_'), p.stem)}](figures/{p.name})" for p in figures]
    markdown = "\n".join(md) + "\n"
    fits_json = to_jsonable(fits)
    (run_dir / "fits.json").write_text(json.dumps(fits_json, indent=2))
    report = run_dir / "report.md"
    report.write_text(replace_section(report.read_text() if report.exists() else "", "## Theory", markdown))
    if (fig_dir / "passk_curves.png").exists() and "H1" in fits:
        from aha.plots import plot_run  # noqa: PLC0415

        plot_run(run_dir, only=("passk_curves",))  # adds the size nearest the threshold just fitted
    if "## Summary" in report.read_text():
        from aha.report import write_summary  # noqa: PLC0415

        write_summary(run_dir)  # its verdicts line reads the section just written
    return {"fits": fits_json, "markdown": markdown, "figures": [str(p) for p in figures]}


_FIG_ALT = {
    "H1_rl_gain": "H1: RL gain against size with the fitted transition",
    "H7_logp": "H7: change in log p of the answer against size with the fitted transition",
    "H3_phi": "H3: informative-group fraction against size, measured and theory",
    "H4_p_qL": "H4: per-step probability q and p = q^L against size",
    "H6_entropy_law": "H6: reward against exp(entropy) per cell with the fitted law",
    "aha_onset_vs_size": "Aha onset (update of the reward's jump) against size, cells without one marked",
}

#: swept settings whose effect on the threshold is a prediction of DESIGN.md
_SETTING_HYPOTHESES = {"horizon": "H4", "prior": "H8", "pretrain_tokens": "H11"}


def _axis_verdict(hid: str, surf) -> str:
    """RULES["H8"]: the sign of Spearman ρ(N_c, axis) when every N_c on the axis is trustworthy."""
    rho = surf.spearman_rho
    if not all(surf.trustworthy) or not np.isfinite(rho):
        return "undetermined"
    ok = {"H4": rho > 0, "H8": rho < 0, "H11": rho < 0, "H10": abs(rho) >= 0.5}[hid]
    return "holds" if ok else "fails"


def _slices(da: xr.DataArray, extra: list[str]):
    """(label, sub-array) for every combination of the extra swept dims (one item if none)."""
    if not extra:
        yield "", da
        return
    stacked = da.stack(_combo=extra)
    for i in range(stacked.sizes["_combo"]):
        sub = stacked.isel(_combo=i)
        label = "[" + ",".join(f"{d}={sub[d].item()}" for d in extra) + "]"
        yield label, sub.drop_vars(["_combo", *extra])


def _fn(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9=.-]+", "_", label).strip("_")


def _groups(da: xr.DataArray) -> np.ndarray:
    """Integer id per cell of its size/setting (all dims except seed)."""
    dims = list(da.dims)
    idx = np.indices(da.shape).reshape(len(dims), -1)
    keep = [i for i, d in enumerate(dims) if d != "seed"]
    if not keep:
        return np.zeros(da.size, dtype=int)
    return np.ravel_multi_index(tuple(idx[keep]), tuple(da.shape[i] for i in keep))


def _per_size(v: xr.DataArray, n_cells: np.ndarray, like: xr.DataArray, sizes: np.ndarray | None = None) -> np.ndarray:
    """Mean of ``v`` (broadcast like ``like``) per unique n_params."""
    vals = v.broadcast_like(like).values.ravel()
    un = np.unique(n_cells[np.isfinite(n_cells)]) if sizes is None else sizes
    return np.array([np.nanmean(vals[np.isclose(n_cells, u)]) if np.isclose(n_cells, u).any() else np.nan for u in un])
