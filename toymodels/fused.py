"""Cells that share a pretraining pretrain once, and cells that share a shape run RL as one batch
(issue 24 item 4).

A grid's cells often differ only in what RL does: an lr sweep's learning rates, the interventions'
variants (temperature, entropy bonus, dense reward, curriculum, hints) against plain. Such cells
have the same pretraining inputs (`pretrain_key`: model config, corpus, budget, seeds, ...), so
`iter_cells` pretrains their seeds once and evaluates each base once per evaluation setting
(`eval_key`); then it runs their RL on copies of the pretrained seeds:
- cells that differ only in RL knobs (`rl.BATCHABLE`: rl_lr, temperature, entropy_coef) as one batch,
  one row per cell and seed, each row with its own learning rate, temperature and entropy
  coefficient (`rl.RowConfig`), at most MAX_ROWS rows a batch;
- the others (hints, rewards, curricula, KL, the algorithm: another env, prompt or horizon per
  update) one after another, each alone.
Randomness is keyed on (seed, item, update, sample), never on a row, so every cell gets the numbers
it gets alone (tests/test_fused.py compares them bit for bit). Each cell's wall_s is its share of
the batch's time: the shared pretraining split equally among the cells, its RL batch's time among
that batch's cells.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator

import xarray as xr

from .config import CellConfig
from .grid import Group
from .rl import BATCHABLE
from .run import cell_dataset, make_train, pretrained

MAX_ROWS = 64
"""Most rows (cells x seeds) in one RL batch; a larger set of batchable cells is split into batches
of whole cells (not tuned: benchmarks/fused_cells.py measures a fused lr sweep against its cells
alone, and takes --max-rows)."""

RL_ONLY = (
    *BATCHABLE, "algo", "rl_updates", "prompts_per_update", "rl_warmup", "kl_coef", "std_norm", "token_sum_norm",
    "clip_low", "clip_high", "ppo_epochs", "minibatches", "vf_coef", "log_every", "curriculum", "curriculum_start",
    "curriculum_frac", "curriculum_budget", "reward", "delay", "format_bonus", "noise",
)  # fmt: skip
"""Config fields that neither pretraining nor evaluation reads (group_size does: trace_phi's G;
hint does: a hint cell's evaluation adds the hinted splits)."""


def _json(d: dict) -> str:
    return json.dumps(d, sort_keys=True, default=str)


def pretrain_key(cfg: CellConfig) -> str:
    """Everything a cell's pretraining reads (`run.pretrained`): the model config, the corpus
    (`pretrain_mix`, each task by its repr), the budget and optimiser, the seeds and the device, and
    the task's own arguments (a user's task may take some its repr does not show)."""
    mix = [[repr(t), w] for t, w in cfg.pretrain_mix()]
    return _json(
        {
            "model": cfg.model_config().to_dict(),
            "mix": mix,
            "budget": cfg.pretrain_budget(),
            **{k: getattr(cfg, k) for k in ("pretrain_batch", "pretrain_lr", "prior", "label_noise", "max_grad_norm")},
            **{k: getattr(cfg, k) for k in ("revise_rate", "task", "task_kwargs", "seeds", "device", "torch_compile")},
        }
    )


def eval_key(cfg: CellConfig) -> str:
    """What the base evaluation reads beyond the pretrained model: every field but RL_ONLY."""
    return _json({k: v for k, v in cfg.to_dict().items() if k not in RL_ONLY})


def fusion_key(cfg: CellConfig) -> str:
    """What cells must share to run RL as one batch: every config field but the BATCHABLE ones."""
    return _json({k: v for k, v in cfg.to_dict().items() if k not in BATCHABLE})


def fuse(groups: list[Group]) -> list[list[Group]]:
    """The groups as runs: groups with the same `pretrain_key` go together, in order of first
    appearance (their RL batches are made by `iter_cells`); a base-only group (no RL) runs alone."""
    runs: list[list[Group]] = []
    current: dict[str, list[Group]] = {}
    for g in groups:
        key = None if g.base_only else pretrain_key(g.config)
        if key in current:
            current[key].append(g)
            continue
        runs.append([g])
        if key is not None:
            current[key] = runs[-1]
    return runs


def rl_batches(configs: list[CellConfig], max_rows: int = MAX_ROWS) -> list[list[int]]:
    """Indices of ``configs`` by RL batch: the same `fusion_key`, at most max_rows rows (cells x
    seeds, at least one cell) a batch, in order of first appearance."""
    out: list[list[int]] = []
    current: dict[str, list[int]] = {}
    for i, c in enumerate(configs):
        b = current.get(fusion_key(c))
        if b is not None and (len(b) + 1) * len(c.seeds) <= max_rows:
            b.append(i)
            continue
        out.append([i])
        current[fusion_key(c)] = out[-1]
    return out


def cell_metrics(m: dict, k: int, S: int) -> dict:
    """Cell k's metrics (S rows) out of an RL batch's (`make_train(cells=...)`: rows cell-major)."""
    rows = slice(k * S, (k + 1) * S)
    curves = {key: v if key in ("samples", "step") else v[rows] for key, v in m["curves"].items()}
    return {
        "pretrain_loss": m["pretrain_loss"].copy(),  # the seeds' one pretraining and base evaluation
        "base": {key: v.copy() for key, v in m["base"].items()},
        "rl": {key: v[rows] for key, v in m["rl"].items()},
        "curves": curves,
        "status": m["status"][rows],
    }


def iter_cells(configs: list[CellConfig], max_rows: int = MAX_ROWS) -> Iterator[tuple[int, xr.Dataset]]:
    """(index, Dataset) of each config, as `run_cell` gives it, as soon as its RL batch finishes. The
    configs must share their pretraining (`pretrain_key`; one-line error before any work)."""
    if len({pretrain_key(c) for c in configs}) > 1:
        raise ValueError("cells run together must share their pretraining (model, corpus, budget, seeds)")
    batches = rl_batches(configs, max_rows)
    trains = [make_train(configs[b[0]], cells=[configs[i] for i in b]) for b in batches]  # validates all
    cfg, S = configs[0], len(configs[0].seeds)
    t0 = time.perf_counter()
    model, loss, alive = pretrained(cfg, cfg.seeds)
    shared = (time.perf_counter() - t0) / len(configs)
    bases: dict[str, dict] = {}
    for b, train in zip(batches, trains):
        t0 = time.perf_counter()
        key = eval_key(configs[b[0]])
        m, batch_model = train(cfg.seeds, start=(copy.deepcopy(model), loss, alive.clone(), bases.get(key)))
        bases.setdefault(key, m["base"])
        wall = (time.perf_counter() - t0) / len(b) + shared
        for k, i in enumerate(b):
            yield i, cell_dataset(configs[i], cell_metrics(m, k, S), batch_model, train, wall)


def run_cells(configs: list[CellConfig], max_rows: int = MAX_ROWS) -> list[xr.Dataset]:
    """One Dataset per config, in order (`iter_cells`)."""
    out = dict(iter_cells(configs, max_rows))
    return [out[i] for i in range(len(configs))]
