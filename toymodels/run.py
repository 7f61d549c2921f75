"""`run_cell(config) -> xarray.Dataset`: pretrain, evaluate, RL, evaluate; all seeds in one pass.

The shape is `make_train(cfg) -> train(seeds) -> metrics` (purejaxrl): `make_train` validates and
builds everything that does not depend on the seeds; `train` runs the one visible pipeline.
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from envs.task import Task

from .config import CellConfig
from .evaluate import estimates, evaluate, ks
from .health import grid_health
from .models import ModelConfig, make_model
from .pretrain import make_pretrain
from .rl import METRICS, SUMMARIES, check_rows, make_rl
from .storage import describe_variables
from .validate import val_pass_at_1

SPLITS = ("id", "ood")
EVAL_KEYS = (
    "pass_at_k",
    "trace_pass_at_k",
    "trace_phi",
    "logp_answer",
    "step_prob",
    "step_acc_argmax",
    "greedy_acc",
    "wait_rate",
    "revise_fix_rate",
    "completion_len",
    "format_prob",
    "task_prob",
    "format_mass_task",
)


def ood_untrained_inputs(cfg: CellConfig) -> str:
    """Why the OOD split reads inputs no training step shaped ('' when it does not).

    The MLP's window slots further back than any training sequence reaches only ever held <pad>;
    learned position rows past the training length never received gradient. Rotary positions
    have no such inputs: their OOD split is a length-generalisation test. The text is the same
    for every cell of a kind, so the attribute survives combining a grid of such cells.
    """
    tasks = cfg.tasks()
    trained = max(t.min_ctx for name, t in tasks.items() if name in ("pretrain", "rl"))
    ood = tasks["ood"].min_ctx
    if ood <= trained:
        return ""
    if cfg.model_kind == "mlp":
        return (
            "the MLP's window slots beyond the training sequences' length held only <pad> in training: "
            "the OOD split is not a generalisation test"
        )
    if cfg.positions == "learned":
        return (
            "learned position rows beyond the training sequences' length never received gradient: "
            "the OOD split is not a generalisation test"
        )
    return ""


def make_train(cfg: CellConfig, base_only: bool = False, cells: list[CellConfig] | None = None):
    """Validate and build the seed-independent parts; returns `train(seeds) -> (metrics, model)`.
    `base_only`: pretrain and evaluate, no RL (metrics 'rl' and 'curves' are None).
    `cells`: K configs that differ from cfg only in `rl.BATCHABLE` fields (toymodels.fused): the
    seeds are pretrained and evaluated once, then RL and its evaluation run for every cell in one
    batch of K * S rows, cell-major (row k * S + i is cell k's seed i); 'rl', 'curves' and 'status'
    hold K * S rows, 'pretrain_loss' and 'base' S."""
    tasks = cfg.tasks()
    mcfg = cfg.model_config()
    dev = cfg.resolved_device()
    pretrain = pretrain_for(cfg)
    cells = list(cells) if cells else [cfg]
    check_rows(cfg, cells)
    if any(c.seeds != cfg.seeds for c in cells):
        raise ValueError(f"cells batched together must share their seeds: {sorted({c.seeds for c in cells})}")
    rl = make_rl(cfg) if len(cells) == 1 else None

    def eval_all(model, alive):
        """Every cell the same way (plain prompts, eval_temperature); a hint cell also with its
        hint, under keys 'hinted_<metric>'."""
        out = {}
        hinted = [("", ""), ("hinted_", "_hinted")] if cfg.hint else [("", "")]
        for j, (prefix, suffix) in enumerate(hinted):
            for i, split in enumerate(SPLITS):
                r = evaluate(
                    model,
                    tasks[split + suffix],
                    cfg.eval_prompts,
                    cfg.k_max,
                    cfg.eval_temperature,
                    split_id=i + len(SPLITS) * j,
                    group_size=cfg.group_size,
                )
                dead = ~alive.cpu().numpy()
                for k, v in r.items():
                    v = v.astype(np.float64)
                    v[dead] = np.nan
                    out.setdefault(prefix + k, []).append(v)
        out = {k: np.stack(v, 1) for k, v in out.items()}  # (S, split, ...)
        if cfg.val_prompts:  # the validation split (toymodels.validate), plain prompts like 'id'
            v = val_pass_at_1(model, tasks["id"], cfg.eval_prompts, cfg.val_prompts, cfg.k_max, cfg.eval_temperature)
            out["val_pass_at_1"] = np.where(alive.cpu().numpy(), v.astype(np.float64), np.nan)  # (S,)
        return out

    def train(seeds, ckpt_dir: Path | None = None, progress: bool = False, start: tuple | None = None):
        """`start`: (model, pretrain_loss, alive, base metrics or None), this config's pretraining
        (and base evaluation) done elsewhere, by cells that share it (toymodels.fused); the model
        is trained in place."""
        if ckpt_dir is not None and len(cells) > 1:
            raise ValueError("checkpoints (ckpt_dir) are written by one cell's run, not by cells batched together")
        if start is None:
            model, pretrain_loss, alive = pretrained(cfg, seeds, pretrain, progress)
            base = None
        else:
            model, pretrain_loss, alive, base = start
        base_alive = alive.clone()
        base = base if base is not None else eval_all(model, alive)
        if ckpt_dir is not None:
            save_checkpoints(model, Path(ckpt_dir), "base")
        if base_only:
            status = np.where(~base_alive.cpu().numpy(), "diverged", "ok")
            return {
                "pretrain_loss": pretrain_loss.cpu().numpy(),
                "base": base,
                "rl": None,
                "curves": None,
                "status": status,
            }, model
        if len(cells) > 1:  # every cell's copy of the pretrained seeds, one batch
            model, alive = replicate(model, len(cells)).use_compile(cfg.torch_compile), alive.repeat(len(cells))
            curves, alive = make_rl(cfg, [c for c in cells for _ in seeds])(model, alive.clone())
        else:
            curves, alive = rl(model, alive.clone())
        rl_ev = eval_all(model, alive)
        if ckpt_dir is not None:
            save_checkpoints(model, Path(ckpt_dir), "rl")
        if progress:
            print(f"[toymodels] RL done: reward {np.round(curves['reward'][:, -1], 3)}", flush=True)
        base_alive = base_alive.repeat(len(cells))
        status = np.where(~base_alive.cpu().numpy() | ~alive.cpu().numpy(), "diverged", "ok")
        return {
            "pretrain_loss": pretrain_loss.cpu().numpy(),
            "base": base,
            "rl": rl_ev,
            "curves": curves,
            "status": status,
        }, model

    train.model_config, train.tasks, train.device = mcfg, tasks, dev
    return train


def pretrained(cfg: CellConfig, seeds, pretrain=None, progress: bool = False):
    """(model, pretrain_loss (S,), alive (S,)): the seeds pretrained as ``cfg`` says (``pretrain``:
    `pretrain_for(cfg)` when not given)."""
    pretrain = pretrain or pretrain_for(cfg)
    torch.manual_seed(0)  # nothing should use the global generator; pin it anyway
    dev = cfg.resolved_device()
    model = make_model(cfg.model_config(), seeds).to(dev).use_compile(cfg.torch_compile)
    alive = torch.ones(model.n_seeds, dtype=torch.bool, device=dev)
    pretrain_loss, alive = pretrain(model, alive)
    if progress:
        print(
            f"[toymodels] width={cfg.width} depth={cfg.depth} pretrained {pretrain.n_steps} steps, "
            f"loss {pretrain_loss.cpu().numpy().round(3)}",
            flush=True,
        )
    return model, pretrain_loss, alive


def replicate(model, k: int):
    """A model of k copies of every seed of ``model`` (seeds repeated k times, row j * S + i a copy
    of seed i): the weights of one pretraining for k cells."""
    big = make_model(model.cfg, model.seeds * k).to(next(model.parameters()).device)
    big.load_seed_states([model.seed_state(i) for _ in range(k) for i in range(model.n_seeds)])
    return big


def pretrain_for(cfg: CellConfig, task: Task | None = None):
    """The cell's pretraining, every knob from its config (`run_cell` uses it; benchmarks time it):
    its mixed corpus (`CellConfig.pretrain_mix`), or `task` alone when given."""
    return make_pretrain(
        task if task is not None else cfg.pretrain_mix(),
        budget=cfg.pretrain_budget(),
        batch=cfg.pretrain_batch,
        lr=cfg.pretrain_lr,
        prior=cfg.prior,
        label_noise=cfg.label_noise,
        max_grad_norm=cfg.max_grad_norm,
        revise_rate=cfg.revise_rate,
    )


def run_cell(
    config: CellConfig, ckpt_dir: Path | None = None, progress: bool = False, base_only: bool = False
) -> xr.Dataset:
    """All `config.seeds` in one batched pass; the Dataset described in DESIGN.md (no width/depth dims).
    `base_only`: no RL; base_* variables only (no rl_*, no curves over step)."""
    train = make_train(config, base_only)
    t0 = time.perf_counter()
    m, model = train(config.seeds, ckpt_dir, progress)
    return cell_dataset(config, m, model, train, time.perf_counter() - t0, base_only)


def cell_dataset(config: CellConfig, m: dict, model, train, wall: float, base_only: bool = False) -> xr.Dataset:
    """The Dataset of one cell (`config.seeds`) from its metrics ``m`` (`make_train`'s, S rows), the
    model (for its sizes), ``train`` (its tasks, model config, device) and the wall seconds it took."""
    S, kk, c = len(config.seeds), ks(config.k_max), m["curves"]
    tasks = train.tasks
    data = {}
    for phase in ("base",) if base_only else ("base", "rl"):
        for key in [*EVAL_KEYS, *(f"hinted_{k}" for k in EVAL_KEYS if config.hint)]:
            v = m[phase][key]
            dims = ("seed", "split", "k") if v.ndim == 3 else ("seed", "split")
            data[f"{phase}_{key}"] = (dims, v)
        if config.val_prompts:
            data[f"{phase}_val_pass_at_1"] = (("seed",), m[phase]["val_pass_at_1"])
    for key in METRICS if not base_only else ():
        data[key] = (("seed", "step"), c[key])
    for key in SUMMARIES if not base_only else ():
        data[key] = (("seed",), c[key].astype(np.float64))
    data["chance"] = (("split",), np.array([tasks[s].chance() for s in SPLITS]))
    data["pretrain_loss"] = (("seed",), m["pretrain_loss"].astype(np.float64))
    data["status"] = (("seed",), m["status"].astype(str))
    data["wall_s"] = (("seed",), np.full(S, wall / S))
    coords = {
        "seed": list(config.seeds),
        "split": list(SPLITS),
        "k": kk,
        "width": config.width,
        "depth": config.depth,
        "n_params": model.n_params,
        "n_params_total": model.n_params_total,
    }
    if not base_only:
        coords |= {"step": c["step"], "samples": ("step", c["samples"])}
    H = config.rl_horizon()
    attrs = {
        "config": config.to_json(),
        "n_eval_prompts": config.eval_prompts,
        "torch_version": torch.__version__,
        "device": str(train.device),
        "horizon": H,
        "ood_horizon": H + config.ood_delta,
        "ood_untrained_inputs": ood_untrained_inputs(config),
        "model_config": json.dumps(train.model_config.to_dict()),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    if not base_only:
        ds["rl_health"] = grid_health(ds)
    ds = describe_variables(ds)
    how = estimates(tasks["id"])
    for name in ds.data_vars:  # which evaluation variables carry sampling noise and which do not
        key = str(name).split("_", 1)[1].removeprefix("hinted_") if str(name).startswith(("base_", "rl_")) else ""
        if key in how:
            ds[name].attrs["estimate"] = how[key]
    return ds


# --- checkpoints ------------------------------------------------------------------------------
def save_checkpoints(model, ckpt_dir: Path, phase: str) -> list[Path]:
    """One file per seed: {"model_config": dict, "seed": int, "state": {name: tensor}}."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, s in enumerate(model.seeds):
        path = ckpt_dir / f"{phase}_seed{s}.pt"
        torch.save({"model_config": model.cfg.to_dict(), "seed": s, "state": model.seed_state(i)}, path)
        paths.append(path)
    return paths


def load_checkpoint(path: Path | str, device: str = "cpu"):
    """A one-seed model (S = 1) from a checkpoint written by `run_cell(ckpt_dir=...)`."""
    blob = torch.load(path, map_location=device, weights_only=True)
    mc = {"positions": "learned", **blob["model_config"]}  # checkpoints from before rotary had a table
    model = make_model(ModelConfig(**mc), [blob["seed"]]).to(device)
    model.load_seed_states([blob["state"]])
    return model
