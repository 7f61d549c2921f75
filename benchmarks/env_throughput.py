"""Token-steps per second of the batched env against Gymnasium's SyncVectorEnv, in one run.

Both step `--num-envs` episodes of the same task with uniform random actions (autoresets
included). The baseline is `gymnasium.make_vec(id, vectorization_mode="sync")`: a
`SyncVectorEnv` over that many single `TokenEnv`s, as Gymnasium builds it. The batched env is
`TokenVectorEnv` through `vectorization_mode="vector_entry_point"`, on the CPU with one torch
thread (like for like with the single-threaded baseline) and, when CUDA is available, on the
GPU; a last CPU line runs 4 x num_envs to show how the batched env's mostly fixed cost per step
amortises (the sync baseline's rate does not depend on num_envs). Each figure is the best of
`--rounds` timed rounds of `--seconds` after a warm-up; the rounds of the two main CPU envs are
interleaved so that machine load hits both alike. `--clock cpu` counts the process's CPU seconds
instead of wall seconds for the CPU envs (the same on an idle machine; steadier on a shared one).

    python benchmarks/env_throughput.py [--task ModChain] [--num-envs 1024] [--seconds 1.5] [--clock wall]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch

import envs


def rate(env, actions: list, seconds: float, sync=lambda: None, clock=time.perf_counter) -> float:
    """Token-steps per second of `clock` over about `seconds` (cycling through the action batches)."""
    n_envs, steps = env.num_envs, 0
    t0, c0 = time.perf_counter(), clock()
    while time.perf_counter() - t0 < seconds:
        for a in actions:
            env.step(a)
        steps += len(actions)
    sync()
    return steps * n_envs / (clock() - c0)


def batched(env_id: str, num_envs: int, device: str, kwargs: dict):
    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", device=device, **kwargs)
    venv.reset(seed=0)
    gen = torch.Generator(device=device).manual_seed(0)
    actions = [torch.randint(0, envs.vocab.D_VOCAB, (num_envs,), generator=gen, device=device) for _ in range(64)]
    for a in actions:  # warm-up (and the first autoresets)
        venv.step(a)
    return venv, actions


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="ModChain", choices=envs.task_names())
    ap.add_argument("--num-envs", type=int, default=1024)
    ap.add_argument("--seconds", type=float, default=1.5, help="length of one timed round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall seconds, or this process's CPU seconds (CPU envs only)",
    )
    args = ap.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    env_id = envs.env_id(args.task)
    kwargs = {"L": 5} if args.task == "ModChain" else {}
    torch.set_num_threads(1)

    sync_env = gym.make_vec(env_id, num_envs=args.num_envs, vectorization_mode="sync", **kwargs)
    sync_env.reset(seed=0)
    rng = np.random.default_rng(0)
    sync_actions = [rng.integers(0, envs.vocab.D_VOCAB, args.num_envs) for _ in range(8)]
    for a in sync_actions:  # warm-up
        sync_env.step(a)
    cpu_env, cpu_actions = batched(env_id, args.num_envs, "cpu", kwargs)

    sync_rates, cpu_rates = [], []
    for _ in range(args.rounds):
        sync_rates.append(rate(sync_env, sync_actions, args.seconds, clock=clock))
        cpu_rates.append(rate(cpu_env, cpu_actions, args.seconds, clock=clock))
    out = {"sync": max(sync_rates), "cpu": max(cpu_rates)}

    # the batched env's cost per step is mostly fixed overhead: show how it amortises
    big_env, big_actions = batched(env_id, 4 * args.num_envs, "cpu", kwargs)
    out["cpu_4x"] = max(rate(big_env, big_actions, args.seconds, clock=clock) for _ in range(args.rounds))
    del big_env, big_actions

    print(
        f"{env_id} {kwargs or ''}, random actions, token-steps per {args.clock} second (best of {args.rounds} rounds):"
    )
    print(f"  SyncVectorEnv, {args.num_envs} x TokenEnv       {out['sync']:>14,.0f}")
    print(
        f"  TokenVectorEnv, {args.num_envs} envs, CPU 1 thread {out['cpu']:>12,.0f}   {out['cpu'] / out['sync']:7.1f}x"
    )
    print(
        f"  TokenVectorEnv, {4 * args.num_envs} envs, CPU 1 thread {out['cpu_4x']:>12,.0f}   "
        f"{out['cpu_4x'] / out['sync']:7.1f}x"
    )
    if torch.cuda.is_available():
        gpu_env, gpu_actions = batched(env_id, args.num_envs, "cuda", kwargs)
        out["cuda"] = max(rate(gpu_env, gpu_actions, args.seconds, torch.cuda.synchronize) for _ in range(args.rounds))
        print(
            f"  TokenVectorEnv, {args.num_envs} envs, CUDA         {out['cuda']:>12,.0f}   "
            f"{out['cuda'] / out['sync']:7.1f}x"
        )
    return out


if __name__ == "__main__":
    main()
