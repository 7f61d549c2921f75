"""What a cell costs: the projected wall time of a cell, a grid and a study on 2 CPU cores (from the
demo's measured seconds per cell, scaled by each cell's budgets) and on one GPU (an assumption,
stated as one). `aha study --dry-run` prints the projection, its progress bar counts projected
seconds, and a study's refinement stops at its budget by it. Moved from aha/studies.py (issue 21).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np

from .grid import GridSpec

PRETRAIN_SHARE, RL_SHARE, EVAL_SHARE = 0.45, 0.40, 0.15
"""Assumed split of a demo cell's wall time (pretraining, RL, both evaluations), from the token
counts of the demo's phases (pretraining 700k tokens forward + backward; RL 150 x 16 x 8 episodes
of ~16 tokens decoded and trained on; evaluation 2 x 2 x 64 x 64 samples decoded). Each share is
scaled by its own budget; RL and evaluation also by the sequence length (the longest task.min_ctx
over 20, the demo's) and
everything by the depth. An assumption, stated in every projection."""
DEMO_FALLBACK_S = {8: 3.33, 16: 3.27, 32: 5.17, 64: 8.26, 128: 19.33}
"""Seconds per cell of the demo on 2 CPU cores (docs/demo/grid.nc wall_s), used when that file is absent."""
GPU_S_PER_GROUP = 60.0
"""Assumed GPU seconds per cell group (all seeds batched) at the reference budget on one modern GPU:
tiny models are latency-bound, so a group's time hardly depends on width or seed count; scaled
by budget, sequence length and depth like the CPU projection. Not measured (no GPU was lent)."""


@cache
def demo_seconds(path: str = "docs/demo/grid.nc") -> tuple[tuple[int, float], ...]:
    """(width, seconds per cell) of the demo, mean over seeds; the built-in table without the file."""
    p = Path(path)
    if not p.is_file():
        p = Path(__file__).resolve().parents[1] / path
    if p.is_file():
        import xarray as xr  # noqa: PLC0415  (only when the file is there)

        with xr.open_dataset(p) as ds:
            w = ds["wall_s"].mean([d for d in ds["wall_s"].dims if d != "width"])
            return tuple((int(a), float(b)) for a, b in zip(w["width"].values, w.values, strict=True))
    return tuple(DEMO_FALLBACK_S.items())


def _pretrain_scale(cfg) -> float:
    """The pretraining part of ``_scale``."""
    return cfg.depth * PRETRAIN_SHARE * cfg.pretrain_budget() / 700_000


def _seq(cfg) -> float:
    return max(t.min_ctx for t in cfg.tasks().values()) / 20.0  # demo: ModChain L=5, longest (OOD) 20


def _rl_scale(cfg) -> float:
    """The RL part of ``_scale`` (what a base-only cell does not run)."""
    rl = cfg.rl_updates * cfg.prompts_per_update * cfg.group_size * cfg.ppo_epochs / (150 * 16 * 8)
    return cfg.depth * RL_SHARE * rl * _seq(cfg)


def _scale(cfg) -> float:
    """Cost of a cell relative to the demo cell of the same width (PRETRAIN_SHARE etc.)."""
    ev = cfg.eval_prompts * cfg.k_max / (64 * 64) * (2 if cfg.hint else 1)
    return _pretrain_scale(cfg) + _rl_scale(cfg) + cfg.depth * EVAL_SHARE * ev * _seq(cfg)


def _demo_cell_s(width: int) -> float:
    """The demo's seconds per cell at ``width`` (log-log interpolation, extrapolated with the last slope)."""
    table = demo_seconds()
    w = np.log([a for a, _ in table])
    t = np.log([b for _, b in table])
    x = math.log(width)
    if x > w[-1]:
        return float(math.exp(t[-1] + (t[-1] - t[-2]) / (w[-1] - w[-2]) * (x - w[-1])))
    return float(math.exp(np.interp(x, w, t)))


def cell_cpu_seconds(cfg, base_only: bool = False) -> float:
    """Projected seconds of one cell (one seed) on 2 CPU cores: the demo's time at this width
    times ``_scale``."""
    return _demo_cell_s(cfg.width) * (_scale(cfg) - (_rl_scale(cfg) if base_only else 0.0))


def pretrain_cpu_seconds(cfg) -> float:
    """The pretraining part of ``cell_cpu_seconds`` (one seed)."""
    return _demo_cell_s(cfg.width) * _pretrain_scale(cfg)


def group_seconds(spec: GridSpec, groups=None) -> dict[str, float]:
    """Projected CPU seconds per group label of a spec (all seeds of the group). Groups whose
    pretraining inputs agree (toymodels.fused.pretrain_key) pretrain once in the fused runner, the
    default: the first such group pays for the pretraining, the others for RL and evaluation only."""
    from .fused import pretrain_key  # noqa: PLC0415  (fused imports the training code)

    out, seen = {}, set()
    for g in groups or spec.groups():
        s = cell_cpu_seconds(g.config, spec.base_only)
        key = pretrain_key(g.config)
        if key in seen:
            s -= pretrain_cpu_seconds(g.config)
        seen.add(key)
        out[g.label] = s * len(g.config.seeds)
    return out


def spec_cpu_seconds(spec: GridSpec, groups=None) -> float:
    return sum(group_seconds(spec, groups).values())


def spec_gpu_seconds(spec: GridSpec, groups=None) -> float:
    return sum(
        GPU_S_PER_GROUP * _scale(g.config) / g.config.depth * (1 + 0.15 * (g.config.depth - 1))
        for g in groups or spec.groups()
    )


def refine_round_cells(spec: GridSpec, refine_seeds: int, bracket_seeds: int | None = None) -> float:
    """Projected CPU seconds of one refinement round: one new width (the geometric middle of the
    grid's widths) with refine_seeds seeds, and the seeds added at two bracket widths (up to
    ``bracket_seeds``, default refine_seeds: the take-off seeds where outcomes are bimodal)."""
    ws = sorted(spec.axes["width"])
    g = spec.groups()[0].config
    mid = int(2 * round(math.sqrt(ws[len(ws) // 2] * ws[min(len(ws) // 2 + 1, len(ws) - 1)]) / 2))
    add = max(max(refine_seeds, bracket_seeds or 0) - len(spec.axes["seed"]), 0)
    return cell_cpu_seconds(replace(g, width=mid)) * refine_seeds + 2 * add * cell_cpu_seconds(
        replace(g, width=ws[min(len(ws) // 2 + 1, len(ws) - 1)])
    )


def projection(
    specs: list[GridSpec], refine: list[str], refine_rounds: int, refine_seeds: int, bracket_seeds: int | None = None
) -> dict:
    """Cells and projected CPU / GPU time per grid and in total, with up to ``refine_rounds``
    refinement rounds (``refine_seeds`` seeds, up to ``bracket_seeds`` at two bracket widths) of
    each grid named in ``refine``."""
    rows = [
        {
            "grid": s.name,
            "cells": s.n_cells,
            "cpu_s": spec_cpu_seconds(s, gs),
            "gpu_s": spec_gpu_seconds(s, gs),
            "description": s.description,
        }
        for s in specs
        for gs in [s.groups()]
    ]
    for r in refine:
        s = specs[[x.name for x in specs].index(r)]
        per = refine_round_cells(s, refine_seeds, bracket_seeds)
        n = refine_rounds
        top = max(refine_seeds, bracket_seeds or 0)
        rows.append(
            {
                "grid": f"{r} (refinement, up to {n} rounds)",
                "cells": n * (refine_seeds + 2 * max(top - len(s.axes["seed"]), 0)),
                "cpu_s": n * per,
                "gpu_s": n * 2 * GPU_S_PER_GROUP,
                "description": "bisection in log N between the largest non-gaining and the smallest gaining width",
            }
        )
    return {
        "rows": rows,
        "cells": sum(r["cells"] for r in rows),
        "cpu_s": sum(r["cpu_s"] for r in rows),
        "gpu_s": sum(r["gpu_s"] for r in rows),
    }
