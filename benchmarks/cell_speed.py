"""Model FLOP utilisation of a cell: how far pretraining, RL rollouts and the RL update are from
what this machine's matmul can do, measured in the same run.

For each width (and depth) of a demo-like cell (ModChain L=5, 3 seeds batched), time
- pretraining steps (forward + backward on B sequences per seed),
- RL rollouts (prefill + KV-cache decode, the env judging every token),
- the RL update (everything in `make_rl` that is not the rollout: forward + backward, optimiser),
and divide the model FLOPs each does by its time. Model FLOPs per token follow the usual count
(Kaplan et al. 2020; PaLM appendix B): forward 2·N_mm + 4·n_layers·d_model·T, training 3x that,
N_mm the matmul parameters (attention, MLP, unembedding), T the attended context. The yardsticks
are torch matmul in the same run: a bmm at the cell's own MLP shape (S, B·T, d) @ (S, d, 4d) and
a large square matmul. Prints a Markdown table of the fractions and the time split of a cell.

    python benchmarks/cell_speed.py [--widths 8 16 32 64 128] [--depths 1 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from toymodels import CellConfig, make_model
from toymodels.rl import make_rl
from toymodels.rollout import make_env, rollout
from toymodels.run import pretrain_for

SEEDS = (0, 1, 2)


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def bench(fn, min_s: float = 0.3) -> float:
    """Seconds per call of fn (after one warm-up call), repeated for at least min_s."""
    fn()
    sync()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        sync()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_s:
            return dt / n


def matmul_peak(S: int, rows: int, d: int, dev: str) -> tuple[float, float]:
    """FLOP/s of a bmm at the cell's MLP shape and of a 1024^3 square matmul (float32)."""
    a, b = torch.randn(S, rows, d, device=dev), torch.randn(S, d, 4 * d, device=dev)
    shape = 2 * S * rows * d * 4 * d / bench(lambda: torch.bmm(a, b))
    x, y = torch.randn(1024, 1024, device=dev), torch.randn(1024, 1024, device=dev)
    square = 2 * 1024**3 / bench(lambda: x @ y)
    return shape, square


def flops_per_token(cfg, T: float, train: bool) -> float:
    """Model FLOPs for one token of one seed (forward, or forward + backward when train)."""
    d, L, dm, V = cfg.d_model, cfg.n_layers, cfg.d_mlp, cfg.d_vocab
    n_mm = L * (4 * d * d + 2 * d * dm) + d * V
    fwd = 2 * n_mm + 4 * L * d * T
    return 3 * fwd if train else fwd


def cell(width: int, depth: int, dev: str) -> dict:
    cfg = CellConfig(
        task="ModChain",
        horizon=5,
        width=width,
        depth=depth,
        seeds=SEEDS,
        device=dev,
        pretrain_tokens=20 * 32 * 20,
        rl_updates=6,
        log_every=100,
    )
    mcfg, task = cfg.model_config(), cfg.tasks()["pretrain"]
    S, P, C = len(SEEDS), task.prompt_len, task.completion_len
    T = 1 + P + C - 1  # tokens fed per sequence
    pre = pretrain_for(cfg, task)
    pre(make_model(mcfg, SEEDS).to(dev))  # warm-up: first-call costs are not the steady state
    model = make_model(mcfg, SEEDS).to(dev)
    sync()
    t0 = time.perf_counter()
    _, alive = pre(model)
    sync()
    t_pre = (time.perf_counter() - t0) / pre.n_steps
    f_pre = S * cfg.pretrain_batch * T * flops_per_token(mcfg, T, train=True)

    N = cfg.prompts_per_update * cfg.group_size
    env = make_env(cfg, cfg.rl_horizon(), S * N, torch.device(dev))
    t_roll = bench(lambda: rollout(model, env, 0, cfg.prompts_per_update, cfg.group_size, cfg.temperature))
    f_roll = (
        S
        * N
        * (
            (1 + P) * flops_per_token(mcfg, 1 + P, False)
            + sum(flops_per_token(mcfg, 1 + P + t, False) for t in range(1, C))
        )
    )

    rl = make_rl(cfg)
    t0 = time.perf_counter()
    rl(model, alive)
    sync()
    t_upd = (time.perf_counter() - t0) / cfg.rl_updates - t_roll
    f_upd = S * N * T * flops_per_token(mcfg, T, train=True) * cfg.ppo_epochs
    shape, square = matmul_peak(S, cfg.pretrain_batch * T, width, dev)
    return {
        "width": width,
        "depth": depth,
        "shape_peak": shape,
        "square_peak": square,
        "pre": (f_pre / t_pre, t_pre),
        "roll": (f_roll / t_roll, t_roll),
        "upd": (f_upd / max(t_upd, 1e-9), t_upd),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    ap.add_argument("--depths", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    where = torch.cuda.get_device_name(0) if args.device == "cuda" else f"CPU, {args.threads} threads"
    print(f"torch {torch.__version__}, {where}; GFLOP/s and fractions of float32 matmul peak")
    print(
        "| width | depth | matmul peak at the cell's shape | square 1024 peak | pretrain GFLOP/s (frac shape, square)"
        " | rollout | RL update | time split pretrain step : rollout : update (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for depth in args.depths:
        for w in args.widths:
            r = cell(w, depth, args.device)
            sp, sq = r["shape_peak"], r["square_peak"]

            def col(key, r=r, sp=sp, sq=sq):
                f = r[key][0]
                return f"{f / 1e9:.2f} ({f / sp:.1%}, {f / sq:.1%})"

            print(
                f"| {w} | {depth} | {sp / 1e9:.1f} | {sq / 1e9:.1f} | {col('pre')} | {col('roll')} | {col('upd')} | "
                f"{r['pre'][1] * 1e3:.1f} : {r['roll'][1] * 1e3:.1f} : {r['upd'][1] * 1e3:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
