"""The recipe report: each width's RL learning rate from an lr sweep, and the figure behind it.

    python -m aha.recipe results/lr-sweep docs/recipe docs/recipe.md   # recipe.json, the figure, the page

Analysed once, rendered once: `analyse` applies `theory.lr_select` to each width of the sweep's
grid.nc (validation gain = rl_val_pass_at_1 - base_val_pass_at_1, per seed; a diverged seed makes
its rate ineligible) and writes recipe.json; the figure and recipe.md are drawn from that file.
The evaluation gain (the final evaluation's prompts) is reported beside it, never used to choose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from theory.health import HEALTH, NOT_JUDGED, counts  # noqa: E402
from theory.lr_select import select_lr  # noqa: E402
from toymodels.health import grid_health  # noqa: E402
from toymodels.storage import atomic_write_json, load_dataset  # noqa: E402

from .presets import recipe_by_width  # noqa: E402


def _gain(ds: xr.Dataset, base: str, rl: str) -> xr.DataArray:
    return ds[rl] - ds[base]


def analyse(grid: xr.Dataset) -> dict:
    """Per width: the rule's choice and the numbers behind it (JSON-ready)."""
    for v in ("base_val_pass_at_1", "rl_val_pass_at_1", "rl_lr"):
        if v not in grid.variables:
            raise ValueError(f"an lr sweep needs {v!r} (a grid over rl_lr with val_prompts > 0)")
    val = _gain(grid, "base_val_pass_at_1", "rl_val_pass_at_1")
    ev = _gain(grid.sel(split="id", k=1), "base_pass_at_k", "rl_pass_at_k")
    health = grid_health(grid)
    lrs = [float(x) for x in grid["rl_lr"].values]
    out = {"lrs": lrs, "widths": {}}
    for w in grid["width"].values:
        sel = {"width": w, "depth": grid["depth"].values[0]}
        v = val.sel(sel).transpose("rl_lr", "seed").values
        div = (grid["status"].sel(sel) != "ok").transpose("rl_lr", "seed").values
        r = select_lr(lrs, v, div)
        e = ev.sel(sel).transpose("rl_lr", "seed").values
        out["widths"][str(int(w))] = {
            "n_params": int(grid["n_params"].sel(width=w).values.max()),
            "lr": r["lr"],
            "best_lr": r["best_lr"],
            "lr_one_se": r["lr_one_se"],
            "rule": r["rule"],
            "reason": r["reason"],
            "val_gain_mean": _list(r["mean"]),
            "val_gain_se": _list(r["se"]),
            "eligible": [bool(x) for x in r["eligible"]],
            "eval_gain_mean": _list(np.nanmean(e, 1)),
            "base_val_pass_at_1": float(grid["base_val_pass_at_1"].sel(sel).mean()),
            "health": {str(lr): counts(health.sel(sel).sel(rl_lr=lr).values) for lr in grid["rl_lr"].values},
            "max_kl": _list(grid["kl"].sel(sel).max(["seed", "step"]).values) if "kl" in grid else None,
        }
    out["n_seeds"] = int(grid.sizes["seed"])
    out["n_val_prompts"] = json.loads(grid.attrs["cell_config"]).get("val_prompts")
    out["n_eval_prompts"] = int(grid.attrs.get("n_eval_prompts", 0)) or None
    out["cell_wall_min"] = round(float(grid["wall_s"].sum()) / 60, 1) if "wall_s" in grid else None
    out["device"] = grid.attrs.get("device")
    return out


def by_width(path: Path | str = "docs/recipe/recipe.json") -> dict[int, dict[str, float]]:
    """{width: {"rl_lr": the rule's choice}} from a recipe.json, for `GridSpec(by_width=...)`;
    widths without a choice are left out (they keep the default rate). aha.presets.recipe_by_width."""
    return recipe_by_width(path)


def _widths(rec: dict) -> list[tuple[str, dict]]:
    """recipe.json's widths in numeric order (JSON keys are strings and may come back sorted as text)."""
    return sorted(rec["widths"].items(), key=lambda kv: int(kv[0]))


def _list(a) -> list:
    return [None if not np.isfinite(x) else round(float(x), 4) for x in np.asarray(a, float)]


def figure(rec: dict, path: Path) -> Path:
    """Validation gain (the rule's input) and evaluation gain vs lr, one line per width; the choice marked."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    lrs = np.array(rec["lrs"])
    for w, row in _widths(rec):
        for ax, key in zip(axes, ("val_gain_mean", "eval_gain_mean")):
            y = np.array([np.nan if x is None else x for x in row[key]])
            line = ax.plot(lrs, y, marker="o", label=f"width {w}")[0]
            if row["lr"] is not None:
                i = int(np.argmin(np.abs(lrs - row["lr"])))
                ax.plot([lrs[i]], [y[i]], marker="*", markersize=14, color=line.get_color())
    se = {w: np.array([np.nan if x is None else x for x in r["val_gain_se"]]) for w, r in _widths(rec)}
    for w, row in _widths(rec):
        y = np.array([np.nan if x is None else x for x in row["val_gain_mean"]])
        axes[0].fill_between(lrs, y - se[w], y + se[w], alpha=0.12)
    for ax, t in zip(axes, ("validation prompts (what the rule reads)", "evaluation prompts (reported, not used)")):
        ax.set_xscale("log")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("RL learning rate (log scale)")
        ax.set_title(t, fontsize=10)
    axes[0].set_ylabel("RL gain in pass@1, mean over seeds")
    axes[1].legend(fontsize=8)
    fig.suptitle("RL gain vs learning rate per width; * = the rule's choice, best mean (band: one s.e.)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def render(rec: dict) -> str:
    """The table of docs/recipe.md, from recipe.json."""
    lrs = rec["lrs"]
    head = "| width | N | " + " | ".join(f"{lr:g}" for lr in lrs) + " | chosen lr | one-s.e. rule |"
    rows = [head, "|" + "---|" * (len(lrs) + 4)]
    for w, r in _widths(rec):
        cells = []
        for m, s, ok in zip(r["val_gain_mean"], r["val_gain_se"], r["eligible"]):
            txt = "n/a" if m is None else f"{m:+.3f} ± {s or 0:.3f}"
            cells.append(txt if ok else f"({txt})")
        chosen = "none" if r["lr"] is None else f"**{r['lr']:g}**"
        one_se = "none" if r.get("lr_one_se") is None else f"{r['lr_one_se']:g}"
        rows.append(f"| {w} | {r['n_params']} | " + " | ".join(cells) + f" | {chosen} | {one_se} |")
    return "\n".join(rows)


PAGE = """# The RL recipe

Generated by `python -m aha.recipe {run} {out} {md}` from `{out}/recipe.json` (the sweep's grid.nc
analysed once); do not edit by hand.

## The default recipe

- **A small step.** `rl_lr` = 1e-4 by default, 1/30 of `pretrain_lr` (3e-3). RL on real LLMs runs at
  1/100 to 1/1000 of the pretraining rate; on the demo's setting 1e-3 (a third of it) broke a capable
  base to pass@1 0.06 and logged a KL of 5e6, 1e-4 did not (DESIGN.md, measurement rules).
- **A warm-up.** The rate rises linearly over the first `rl_warmup` = 10 updates.
- **No step on no signal.** Per-seed AdamW (`toymodels/optim.py`): a seed whose minibatch gradient is
  exactly zero (every group's rewards equal, no KL or entropy term) keeps its weights, its Adam moments
  and its step count. Plain AdamW kept moving every weight on such updates through the momentum of
  earlier ones.
- **The exact KL.** KL(pi || pi_base) per completion position is summed over the 30-token vocabulary at
  the rollout temperature (logged every logged update; `kl_coef` > 0 adds it to the loss). The k3 sample
  estimate it replaces is unbounded (the shipped study logged up to 1.3e8).
- **A health record.** Every cell's `rl_health` (`theory/health.py`): ok, no-signal, broke-capable,
  malformed or diverged.

## The learning rate per width

The rule (`theory/lr_select.py`): for each width, among the learning rates at which every seed
finished, the one with the best mean RL gain in pass@1 on {n_val} validation prompts (held out by
content, disjoint from the {n_eval} prompts of the final evaluation). Each width gets its most
favourable rate: a small model that gains nothing at its best rate did not fail for want of a recipe.
The evaluation prompts' gain is shown beside it and never used.

**The rule changed once, before the study reran on this recipe.** The rule stated before the sweep ran
was the one-standard-error rule: the *smallest* rate within one standard error of the best mean. With
{n_seeds} seeds that either take off or do not, one s.e. of the best covers every rate, so that rule took the
smallest swept rate by construction (1e-5 at widths 16 and 32, where RL barely trains): a choice made
by the seed count, not by the rates. It was replaced by the best mean before any study grid ran on the
recipe, and its choice is still shown (last column). Caveat: the choice and the study's grids share
seeds 0-2, and a take-off is partly the seed's; choosing on them favours the chosen rate at those
seeds, that is, it favours RL gaining, against the claim that small models gain little.

The sweep: the `lr-sweep` preset (ModChain L=5, 700k pretraining tokens, 150 GRPO updates, the
default recipe otherwise), {n_lrs} learning rates × {n_widths} widths × {n_seeds} seeds, run on
{device}; the cells' own wall times add up to {wall} min, measured on a 2-core machine shared with
other jobs (not a benchmark). Each study grid takes its widths' choices with `--recipe
docs/recipe/recipe.json` (a width the sweep did not run takes the choice of the nearest swept width
in log width); the rerun of the study's grids with it: [recipe-rerun.md](recipe-rerun.md).{note}

Validation gain, mean ± s.e. over {n_seeds} seeds (in parentheses: not eligible), per learning rate:

{table}

![RL gain vs learning rate per width](recipe/figures/gain_vs_lr.png)

{reasons}

rl_health per learning rate (cells over widths and seeds):

{health}

## Design signals the base can read

A signal is compared on one shared base, RL with it against RL without it. The base reads it only
if its pretraining showed it, so the corpus can hold each (`CellConfig.pretrain_mix`; a step of
pretraining trains on one component, each component gets its share of the steps to within one):

| signal | pretraining (both arms) | the arm with the signal | the arm without |
|---|---|---|---|
| hint | `hint_rate` of the prompts show `<hint>` and the trace's first `pretrain_hint` steps \
| `hint` > 0 in RL prompts | `hint` = 0 |
| think first | `think_rate`: prompts end with `<think>` (write the trace) or `</think>` (the answer \
alone), both formats | `cot=True` | `cot=False` |
| curriculum | `pretrain_horizon_min`: horizons h0..L in equal shares | `curriculum=True` | plain RL at L |

Every arm is evaluated on plain (unhinted) prompts; a hint arm also with its hint. With `think_rate`,
each arm is asked in its own format at evaluation too (the signal is the asking), and the think-first
effect is with - without, i.e. plain - no-think. Curriculum compute: `curriculum_budget='equal'` ramps
inside `rl_updates` (the same updates and episodes as plain RL, fewer at L, fewer tokens: short
horizons are short sequences); `'extra'` adds ceil(curriculum_frac x rl_updates) ramp updates before
plain RL's `rl_updates` at L (plain's updates at L plus the ramp's episodes).

tests/test_signals.py checks that each signal acts: on one base that read all three (ModChain L=3,
width 64), plain RL trains and each arm's rollouts differ from plain's by more than 3 binomial standard
errors; a hint or a curriculum the base never saw earns reward 0 from the first update and its cell is
`no-signal`.
"""


def render_health(rec: dict) -> str:
    """rl_health counts per learning rate, summed over widths."""
    total: dict[str, dict[str, int]] = {}
    for r in rec["widths"].values():
        for lr, c in r["health"].items():
            for k, n in c.items():
                total.setdefault(lr, {}).setdefault(k, 0)
                total[lr][k] += n
    labels = [k for k in (*HEALTH, NOT_JUDGED) if any(k in c for c in total.values())]
    rows = ["| lr | " + " | ".join(labels) + " |", "|" + "---|" * (len(labels) + 1)]
    for lr, c in sorted(total.items(), key=lambda kv: float(kv[0])):
        rows.append(f"| {float(lr):g} | " + " | ".join(str(c.get(k, 0)) for k in labels) + " |")
    return "\n".join(rows)


def page(rec: dict, run: str, out: str, md: str) -> str:
    reasons = "\n".join(f"- width {w}: {r['reason']}" for w, r in _widths(rec))
    n = {"n_val": rec["n_val_prompts"], "n_eval": rec.get("n_eval_prompts"), "n_seeds": rec["n_seeds"]}
    n |= {"n_lrs": len(rec["lrs"]), "n_widths": len(rec["widths"]), "device": rec.get("device") or "?"}
    n["wall"] = rec.get("cell_wall_min") if rec.get("cell_wall_min") is not None else "?"
    n["note"] = f"\n\n**How this sweep departs from the preset:** {rec['note']}" if rec.get("note") else ""
    return PAGE.format(run=run, out=out, md=md, table=render(rec), reasons=reasons, health=render_health(rec), **n)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (3, 4):
        print(
            "usage: python -m aha.recipe RUN_DIR OUT_DIR PAGE.md [NOTE]  (RUN_DIR holds an lr sweep's grid.nc; "
            "NOTE: how this sweep departs from the preset, and why)",
            file=sys.stderr,
        )
        return 2
    run, out, md = Path(argv[0]), Path(argv[1]), Path(argv[2])
    rec = analyse(load_dataset(run / "grid.nc"))
    rec["note"] = argv[3] if len(argv) == 4 else None
    atomic_write_json(out / "recipe.json", rec)
    figure(rec, out / "figures" / "gain_vs_lr.png")
    md.write_text(page(json.loads((out / "recipe.json").read_text()), str(run), str(out), str(md)))
    print(f"wrote {out / 'recipe.json'}, {out / 'figures' / 'gain_vs_lr.png'}, {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
