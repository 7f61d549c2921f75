"""RL from the verifier's reward: GRPO, RLOO and PPO-clip, seed-batched, one visible loop.

Advantages (per episode i of a group of G sharing one prompt, rewards r):
- grpo: A_i = r_i - mean(r), divided by std(r) + 1e-6 when `std_norm`. Groups whose rewards are
  all equal get A = 0 exactly (no signal, no gradient: H3).
- rloo: A_i = r_i - mean_{j != i} r_j = G / (G - 1) (r_i - mean(r)).
- ppo: A_t = R_t - V(s_t), R_t the undiscounted reward-to-go, V a linear value head on the
  final residual stream (loss vf_coef * 0.5 (V - R)^2).

Per-token objective (ratio rho = pi / pi_old, pi_old the policy that sampled the rollout):
    -min(rho A, clip(rho, 1 - clip_low, 1 + clip_high) A) + kl_coef * k3 - entropy_coef * H
with k3 = exp(ref - logp) - (ref - logp) - 1 (Schulman's estimator of KL(pi || pi_ref)) and
H the full-distribution entropy. Aggregation: the mean over each sequence's tokens then over
sequences, or with `token_sum_norm` (Dr. GRPO) the token sum over (sequences x completion length).
Log-probabilities use logits / temperature, the distribution the rollouts were sampled from.

Recorded at logged updates u (every `log_every`, plus 0 and the last), measured on update u's
rollout before its gradient is applied: reward, entropy, kl, informative_frac (groups whose
rewards are not all equal), grad_norm (before clipping, first epoch), clip_frac (last epoch),
grad_snr and samples (episodes consumed before update u).
grad_snr = ||g||^2 / (sum_m ||g_m - g||^2 / (M - 1)): the M (<= 4) minibatch gradients g_m are
those of equal disjoint sets of groups, g their mean; the squared norm of the mean gradient over
the trace of the covariance of one minibatch gradient. NaN when M < 2.
A seed whose loss or gradient turns non-finite stops ("diverged"): its parameters return to the
reference, its gradients are zeroed, its later metrics are NaN; other seeds go on.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .pretrain import completion_logits, sequences
from .rollout import make_env, rollout
from .sampling import clip_and_mask, flat_grads, seed_grad_norm

METRICS = ("reward", "entropy", "kl", "informative_frac", "grad_norm", "grad_snr", "clip_frac")


def logged_updates(n_updates: int, every: int) -> list[int]:
    return sorted(set(range(0, n_updates, every)) | {n_updates - 1})


def advantages(returns: torch.Tensor, G: int, algo: str, std_norm: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """returns (S, N) -> (advantages (S, N), informative (S, N // G) bool)."""
    S, N = returns.shape
    r = returns.view(S, N // G, G)  # (S, groups, G)
    informative = r.amax(-1) != r.amin(-1)
    centred = r - r.mean(-1, keepdim=True)
    if algo == "rloo":
        adv = centred * (G / max(G - 1, 1))
    elif std_norm:
        adv = centred / (r.std(-1, keepdim=True, unbiased=False) + 1e-6)
    else:
        adv = centred
    adv = torch.where(informative[..., None], adv, torch.zeros_like(adv))
    return adv.reshape(S, N), informative


def horizon_at(cfg, u: int) -> int:
    H = cfg.rl_horizon()
    if not cfg.curriculum:
        return H
    h0 = cfg.pretrain_horizon if cfg.pretrain_horizon is not None else H
    return round(h0 + (H - h0) * u / max(1, cfg.rl_updates - 1))


def rl_loss(cfg, model, value, seqs, comps, mask, adv, ret_tg, old, ref_lp, P: int, C: int, N: int,
            stats: dict | None = None):
    """Per-seed loss (S,) of a subset of episodes, normalised by the full batch size N.

    seqs (S, n, 1+P+C), comps/mask/ret_tg/old/ref_lp (S, n, C), adv (S, n); old None: on-policy.
    Returns (loss (S,), logp (S, n, C) detached). Fills `stats` (entropy, kl, clip_frac) if given.
    """
    T = cfg.temperature
    logits, h = completion_logits(model, seqs, P, hidden=True)  # (S, n, C, V), (S, n, C, d)
    lp_all = torch.log_softmax(logits.float() / T, -1)
    logp = lp_all.gather(-1, comps[..., None]).squeeze(-1)  # (S, n, C)
    if old is None:
        old = logp.detach()
    ratio = torch.exp(logp - old)
    if cfg.algo == "ppo":
        d = h.shape[-1]
        v = (h.float() * value[:, None, None, :d]).sum(-1) + value[:, None, None, d]  # (S, n, C)
        A = ret_tg - v.detach()
    else:
        A = adv[..., None].expand_as(logp)
    lo, hi = 1 - cfg.clip_low, 1 + cfg.clip_high
    tok = -torch.minimum(ratio * A, ratio.clamp(lo, hi) * A)
    ent = -(lp_all.exp() * lp_all).sum(-1)  # (S, n, C)
    if cfg.entropy_coef:
        tok = tok - cfg.entropy_coef * ent
    kl = None
    if ref_lp is not None:
        x = ref_lp - logp
        kl = torch.exp(x) - x - 1
        if cfg.kl_coef:
            tok = tok + cfg.kl_coef * kl
    m = mask.float()
    if cfg.token_sum_norm:
        loss = (tok * m).sum((1, 2)) / (N * C)
    else:
        loss = ((tok * m).sum(2) / m.sum(2).clamp(min=1)).sum(1) / N
    if cfg.algo == "ppo":
        loss = loss + cfg.vf_coef * 0.5 * (((v - ret_tg) ** 2) * m).sum((1, 2)) / (N * C)
    if stats is not None:
        n_tok = m.sum((1, 2)).clamp(min=1)
        stats["entropy"] = ((ent * m).sum((1, 2)) / n_tok).detach()
        if kl is not None:
            stats["kl"] = ((kl * m).sum((1, 2)) / n_tok).detach()
        clipped = ((ratio < lo) | (ratio > hi)).float()
        stats["clip_frac"] = ((clipped * m).sum((1, 2)) / n_tok).detach()
    return loss, logp.detach()


def make_rl(cfg):
    """`train(model, alive) -> (metrics, alive)`: RL in place on the seed-batched model."""
    G, n_prompts = cfg.group_size, cfg.prompts_per_update
    N = n_prompts * G
    logged = logged_updates(cfg.rl_updates, cfg.log_every)
    M = next((m for m in (4, 3, 2) if n_prompts % m == 0), 1)

    def train(model, alive: torch.Tensor):
        dev = next(model.parameters()).device
        S, d = model.n_seeds, model.cfg.d_model
        ref = copy.deepcopy(model).requires_grad_(False)
        params = list(model.parameters())
        value = None
        if cfg.algo == "ppo":
            value = torch.nn.Parameter(torch.zeros(S, d + 1, device=dev))  # (S, d + 1): weights, bias
            params = [*params, value]
        opt = torch.optim.AdamW(params, lr=cfg.rl_lr, betas=(0.9, 0.95), weight_decay=0.0, foreach=True)
        env_cache = {}
        out = {k: np.full((S, len(logged)), np.nan) for k in METRICS}
        T = cfg.temperature

        for u in range(cfg.rl_updates):
            H = horizon_at(cfg, u)
            if H not in env_cache:
                env_cache[H] = make_env(cfg, H, S * N, dev)
            env = env_cache[H]
            task = env.unwrapped.task
            P, C = task.prompt_len, task.completion_len
            ro = rollout(model, env, u, n_prompts, G, T)
            seqs = sequences(task, ro.prompts, ro.completions)  # (S, N, 1 + P + C)
            adv, informative = advantages(ro.returns, G, cfg.algo, cfg.std_norm)
            ret_tg = ro.rewards.flip(-1).cumsum(-1).flip(-1)  # (S, N, C) reward-to-go
            is_logged = u in logged
            ref_lp = None
            if cfg.kl_coef or is_logged:
                with torch.no_grad():
                    rl = completion_logits(ref, seqs, P).float() / T
                    ref_lp = torch.log_softmax(rl, -1).gather(-1, ro.completions[..., None]).squeeze(-1)
            old, stats, norm0, snr = None, {}, None, torch.full((S,), float("nan"))
            for epoch in range(cfg.ppo_epochs):
                opt.zero_grad(set_to_none=True)
                chunks = M if (is_logged and epoch == 0 and M > 1) else 1
                size = N // chunks
                losses, lps, grads = [], [], []
                for c in range(chunks):
                    sl = slice(c * size, (c + 1) * size)
                    st = stats if c == chunks - 1 or chunks == 1 else None
                    loss, lp = rl_loss(cfg, model, value, seqs[:, sl], ro.completions[:, sl], ro.mask[:, sl], adv[:, sl],
                                        ret_tg[:, sl], None if old is None else old[:, sl],
                                        None if ref_lp is None else ref_lp[:, sl], P, C, N, stats=st)
                    torch.where(alive, loss, torch.zeros_like(loss)).sum().backward()
                    losses.append(loss.detach())
                    lps.append(lp)
                    if chunks > 1:
                        grads.append(flat_grads(params))
                if chunks > 1:  # per-minibatch gradients from the running sums
                    g = torch.stack(grads)  # (M, S, n) cumulative
                    g = torch.cat([g[:1], g[1:] - g[:-1]]) * chunks  # (M, S, n) per-minibatch estimates
                    gm = g.mean(0)
                    snr = (gm.pow(2).sum(-1) / (((g - gm) ** 2).sum((0, 2)) / (chunks - 1))).cpu()
                loss = torch.stack(losses).sum(0)  # (S,)
                if old is None:
                    old = torch.cat(lps, 1)
                norm = seed_grad_norm(params)
                bad = alive & ~(torch.isfinite(loss) & torch.isfinite(norm))
                if bool(bad.any()):  # divergence: stop those seeds cleanly
                    alive &= ~bad
                    with torch.no_grad():
                        for p, q in zip(model.parameters(), ref.parameters()):
                            p[bad] = q[bad]
                        if value is not None:
                            value[bad] = 0
                if norm0 is None:
                    norm0 = norm
                clip_and_mask(params, cfg.max_grad_norm, alive)
                opt.step()
            if is_logged:
                j = logged.index(u)
                vals = {"reward": ro.returns.mean(1), "informative_frac": informative.float().mean(1),
                        "grad_norm": norm0, "grad_snr": snr.to(dev), **stats}
                for k, v in vals.items():
                    v = torch.where(alive, v.float(), torch.full_like(v.float(), float("nan")))
                    out[k][:, j] = v.cpu().numpy()
        out["samples"] = np.array([u * N for u in logged])
        out["step"] = np.array(logged)
        return out, alive

    return train
