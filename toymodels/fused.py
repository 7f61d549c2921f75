"""Cells that share a shape and a pretraining run as one batch (issue 24 item 4).

Grid cells that differ only in RL knobs (`rl.BATCHABLE`: rl_lr, temperature, entropy_coef), as the
lr sweep's learning rates do, or the interventions' temperature and entropy-bonus variants against
plain, share their pretraining (seeds, corpus, budget, architecture) and their evaluation.
`run_cells` pretrains their seeds and evaluates the base once, copies each seed's weights into one
row per cell, and runs RL and the final evaluation of every cell in one batch, each row with its
own learning rate, temperature and entropy coefficient (`rl.RowConfig`). Randomness is keyed on
(seed, item, update, sample), never on a row, so a cell gets the numbers it gets alone
(tests/test_fused.py compares them bit for bit). Each cell's wall_s is the batch's wall time shared
equally among its cells and seeds.

Cells that differ in anything else (hints, rewards, priors, curricula, KL, the algorithm) change
the pretraining or what the RL step reads per batch in ways that are not per row: they run alone.
"""

from __future__ import annotations

import json
import time

import xarray as xr

from .config import CellConfig
from .grid import Group
from .rl import BATCHABLE
from .run import cell_dataset, make_train, run_cell

MAX_ROWS = 64
"""Most rows (cells x seeds) in one batch; a larger set of fusable cells is split into batches of
whole cells (not tuned: benchmarks/fused_cells.py measures a fused lr sweep against its cells alone)."""


def fusion_key(cfg: CellConfig) -> str:
    """What cells must share to run as one batch: every config field but the BATCHABLE ones."""
    return json.dumps({k: v for k, v in cfg.to_dict().items() if k not in BATCHABLE}, sort_keys=True, default=str)


def fuse(groups: list[Group], max_rows: int = MAX_ROWS) -> list[list[Group]]:
    """The groups as batches: groups whose configs agree but for BATCHABLE fields (seeds included)
    go together, in order of first appearance, at most max_rows rows (cells x seeds) a batch; a
    base-only group (no RL) runs alone."""
    batches: list[list[Group]] = []
    current: dict[str, list[Group]] = {}
    for g in groups:
        key = fusion_key(g.config)
        b = current.get(key)
        if not g.base_only and b is not None and (len(b) + 1) * len(g.config.seeds) <= max_rows:
            b.append(g)
            continue
        batches.append([g])
        if not g.base_only:
            current[key] = batches[-1]
    return batches


def cell_metrics(m: dict, k: int, S: int) -> dict:
    """Cell k's metrics (S rows) out of a batch's (`make_train(cells=...)`: rows cell-major)."""
    rows = slice(k * S, (k + 1) * S)
    curves = {key: v if key in ("samples", "step") else v[rows] for key, v in m["curves"].items()}
    return {
        "pretrain_loss": m["pretrain_loss"].copy(),  # the seeds' one pretraining and base evaluation
        "base": {key: v.copy() for key, v in m["base"].items()},
        "rl": {key: v[rows] for key, v in m["rl"].items()},
        "curves": curves,
        "status": m["status"][rows],
    }


def run_cells(configs: list[CellConfig], progress: bool = False) -> list[xr.Dataset]:
    """One Dataset per config, as `run_cell` gives it, from one batch: the configs must agree but for
    BATCHABLE fields (one-line error otherwise, before any work)."""
    if len(configs) == 1:
        return [run_cell(configs[0], progress=progress)]
    cfg = configs[0]
    train = make_train(cfg, cells=configs)
    t0 = time.perf_counter()
    m, model = train(cfg.seeds, progress=progress)
    wall = (time.perf_counter() - t0) / len(configs)
    S = len(cfg.seeds)
    return [cell_dataset(c, cell_metrics(m, k, S), model, train, wall) for k, c in enumerate(configs)]
