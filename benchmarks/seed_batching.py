"""Seed batching: S = 8 seeds of one small architecture trained in one batched pass vs one after another.

Same total work in both arms (pretraining steps + RL updates per seed, no evaluation); prints both
wall times and their ratio, on CPU and, when available, on CUDA.

    python benchmarks/seed_batching.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from toymodels import CellConfig, make_model, make_pretrain, make_rl

SEEDS = tuple(range(8))


def arm(cfg: CellConfig, batches: list[tuple[int, ...]]) -> float:
    task = cfg.tasks()["pretrain"]
    dev = cfg.resolved_device()
    pretrain = make_pretrain(task, budget=cfg.pretrain_tokens, batch=cfg.pretrain_batch, lr=cfg.pretrain_lr,
                             prior=cfg.prior, label_noise=cfg.label_noise, max_grad_norm=cfg.max_grad_norm)
    rl = make_rl(cfg)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for seeds in batches:
        model = make_model(cfg.model_config(), seeds).to(dev)
        _, alive = pretrain(model)
        rl(model, alive)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--width", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        cfg = CellConfig(width=args.width, pretrain_tokens=100 * 64 * 14, rl_updates=50, log_every=10,
                         seeds=SEEDS, device=dev)
        batched = arm(cfg, [SEEDS])
        serial = arm(cfg, [(s,) for s in SEEDS])
        print(f"{dev}: width={args.width} S={len(SEEDS)}  batched {batched:.2f} s  one after another "
              f"{serial:.2f} s  speed-up {serial / batched:.2f}x")


if __name__ == "__main__":
    main()
