"""RL from the verifier's reward, seed-batched, one visible loop for every algorithm.

The algorithm (`cfg.algo`) is a named unit of `toymodels.algos` (GRPO, Dr. GRPO, RLOO, PPO,
REINFORCE, or one a user registers): it turns each group's rewards into advantages, gives the
per-token policy loss and says whether a value head is learned. Everything else is here.

Advantages (per episode i of a group of G sharing one prompt, rewards r): the unit's, e.g. grpo
A_i = r_i - mean(r), divided by std(r) + 1e-6 when `std_norm`; groups whose rewards are all equal
get A = 0 exactly (no signal, no gradient: H3) unless the unit says otherwise. With a value head
(ppo): A_t = R_t - V(s_t), R_t the undiscounted reward-to-go, V a linear value head on the final
residual stream (loss vf_coef * 0.5 (V - R)^2).

Per-token objective (ratio rho = pi / pi_old, pi_old the policy that sampled the rollout):
    token_loss(rho, A) + kl_coef * KL - entropy_coef * H
with token_loss the unit's (default the PPO-clip -min(rho A, clip(rho, 1 - clip_low, 1 + clip_high) A)),
KL = sum_v pi(v) (log pi(v) - log pi_base(v)) the exact KL to the base policy (the model as RL
found it) and H = -sum_v pi(v) log pi(v) the exact entropy, both over the 30-token vocabulary at
the position's context and the rollout temperature (no sample estimate: with 30 tokens the sum
costs nothing, and it is bounded where the k3 estimate was not).
Aggregation: the mean over each sequence's tokens then over the minibatch's sequences, or with
`token_sum_norm` (or a unit with `token_sum`, Dr. GRPO) the token sum over (sequences x
completion length). Log-probabilities use logits / temperature, the
distribution the rollouts were sampled from.

The step (the recipe, docs/recipe.md): per-seed AdamW (`toymodels.optim.SeedAdamW`, betas 0.9,
0.95, no weight decay) at rl_lr, warmed up linearly over the first `rl_warmup` updates. A seed
whose minibatch gradient is exactly zero (every group's rewards equal, no KL or entropy term) takes
no step: its weights, Adam moments and step count stay as they were, so a group with no signal
moves nothing, not even through the momentum of earlier steps.

Optimisation passes: each update makes `ppo_epochs` epochs over its rollout; an epoch splits the
rollout's groups into `minibatches` equal disjoint minibatches (consecutive groups, the same split
every epoch) and takes one optimiser step on each. pi_old is the sampling policy's log-prob of each
token, recorded during the rollout (`Rollout.logp`, from the decoding pass at the rollout
temperature), so from the second step on rho != 1 and the clip bounds (clip-higher's upper one
included) bind; on the first step rho = 1 up to the rounding between cached decoding and the full
forward pass (~1e-6).

Recorded at logged updates u (every `log_every`, plus 0 and the last); "passes" are all the
optimiser steps of update u:
- reward, informative_frac (groups whose rewards are not all equal): of update u's rollout;
- entropy, kl, clip_frac: token-weighted means over every pass of the update (each pass measured
  on its own minibatch at the parameters it starts from);
- grad_norm, grad_snr: a separate probe on update u's rollout at the parameters before its first
  step (no optimiser step): the groups split into M (<= 4, the largest of 4, 3, 2 that divides
  the groups; 1 if none) equal disjoint sets with gradients g_m, g their mean (the full-batch
  gradient). grad_norm = ||g|| (before clipping); grad_snr = ||g||^2 / (sum_m ||g_m - g||^2 / (M - 1)),
  the squared norm of the mean gradient over the trace of the covariance of one set's gradient
  (NaN when M < 2). The probe costs one extra forward and backward pass on logged updates only;
- wait_rate, completion_len, ill_formed: of update u's rollout, the fraction of completions with at
  least one `<wait>`, their mean length in tokens (up to and including <eos>) and the fraction that
  are not well formed (the verifier's layout check);
- rl_horizon: the RL horizon used at update u (the curriculum's, else L); samples: episodes consumed
  before update u. A curriculum with curriculum_budget='extra' runs rl_updates + its ramp updates.
Per seed, over every update (not only logged ones), for `theory.health`: informative_early, the mean
informative fraction over the first 10% of the updates (at least one), and ill_formed_late, the
ill-formed fraction of the rollouts of the last 10%.
A seed whose loss or gradient turns non-finite on a pass stops ("diverged"): its parameters return
to the reference, its gradients are zeroed, its later metrics are NaN; other seeds go on.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch

from envs import vocab

from .algos import get_algorithm
from .optim import SeedAdamW
from .pretrain import completion_logits, sequences
from .rollout import make_env, rollout
from .sampling import clip_and_mask, flat_grads, per_seed, seed_grad_norm

METRICS = (
    "reward",
    "entropy",
    "kl",
    "informative_frac",
    "grad_norm",
    "grad_snr",
    "clip_frac",
    "rl_horizon",
    "wait_rate",
    "completion_len",
    "ill_formed",
)
SUMMARIES = ("informative_early", "ill_formed_late")  # per seed, over every update (not only logged)
EDGE_FRAC = 0.1  # the first / last 10% of the updates
PASS_STATS = ("entropy", "kl", "clip_frac")  # token-weighted over every pass of an update


def logged_updates(n_updates: int, every: int) -> list[int]:
    return sorted(set(range(0, n_updates, every)) | {n_updates - 1})


def advantages(returns: torch.Tensor, G: int, cfg) -> tuple[torch.Tensor, torch.Tensor]:
    """returns (S, N) -> (advantages (S, N), informative (S, N // G) bool), by `cfg.algo`'s unit."""
    S, N = returns.shape
    algo = get_algorithm(cfg.algo)
    r = returns.view(S, N // G, G)  # (S, groups, G)
    informative = r.amax(-1) != r.amin(-1)
    adv = algo.advantages(r, cfg)
    if algo.zero_uninformative:
        adv = torch.where(informative[..., None], adv, torch.zeros_like(adv))
    return adv.reshape(S, N), informative


def edge_updates(n_updates: int) -> int:
    """Updates in the first (or last) EDGE_FRAC of a run: ceil(EDGE_FRAC * n), at least 1."""
    return max(1, math.ceil(EDGE_FRAC * n_updates - 1e-9))


def lr_at(cfg, u: int) -> float:
    """RL learning rate of update u: rl_lr * min(1, (u + 1) / rl_warmup) (rl_lr without warm-up)."""
    return cfg.rl_lr * (min(1.0, (u + 1) / cfg.rl_warmup) if cfg.rl_warmup else 1.0)


def ramp_updates(cfg) -> float:
    """Updates of the curriculum's ramp: curriculum_frac * rl_updates inside the run ('equal'), or
    ceil of it before rl_updates updates at L ('extra'); 0 without a curriculum."""
    if not cfg.curriculum:
        return 0
    ramp = cfg.curriculum_frac * cfg.rl_updates
    return ramp if cfg.curriculum_budget == "equal" else math.ceil(ramp - 1e-9)


def total_updates(cfg) -> int:
    """Updates of the run: rl_updates, plus the ramp with curriculum_budget='extra'."""
    extra = cfg.curriculum and cfg.curriculum_budget == "extra"
    return cfg.rl_updates + (int(ramp_updates(cfg)) if extra else 0)


def horizon_at(cfg, u: int) -> int:
    """RL horizon of update u: L, or with `curriculum` a staircase from curriculum_start up to L
    over the ramp's updates (start .. L - 1 an equal share each), then L."""
    H = cfg.rl_horizon()
    if not cfg.curriculum:
        return H
    h0, ramp = cfg.curriculum_start, ramp_updates(cfg)
    if u >= ramp:
        return H
    return min(H, h0 + int((H - h0) * u / ramp + 1e-9))


def rl_loss(
    cfg, model, value, seqs, comps, mask, adv, ret_tg, old, ref_lp, P: int, C: int, N: int, stats: dict | None = None
):
    """Per-seed loss (S,) of n episodes (a minibatch), normalised by N (normally n: a mean).

    seqs (S, n, 1+P+C), comps/mask/ret_tg/old (S, n, C), adv (S, n); old None: on-policy (rho = 1);
    ref_lp (S, n, C, V): the base policy's log-probabilities of every token at each position (at
    the rollout temperature), or None (no KL). Returns (loss (S,), logp (S, n, C) detached). Fills
    `stats` if given with (S,) token means entropy, kl (exact; when ref_lp is given), clip_frac, and
    `tokens`, the token count.
    """
    T = cfg.temperature  # a float, or (S,) one per seed (`RowConfig`)
    logits, h = completion_logits(model, seqs, P, hidden=True)  # (S, n, C, V), (S, n, C, d)
    lf = logits.float()
    lp_all = torch.log_softmax(lf / per_seed(T, lf), -1)
    logp = lp_all.gather(-1, comps[..., None]).squeeze(-1)  # (S, n, C)
    if old is None:
        old = logp.detach()
    ratio = torch.exp(logp - old)
    algo = get_algorithm(cfg.algo)
    if algo.value_head:
        d = h.shape[-1]
        v = (h.float() * value[:, None, None, :d]).sum(-1) + value[:, None, None, d]  # (S, n, C)
        A = ret_tg - v.detach()
    else:
        A = adv[..., None].expand_as(logp)
    lo, hi = 1 - cfg.clip_low, 1 + cfg.clip_high
    tok = algo.token_loss(ratio, logp, A, cfg)  # (S, n, C)
    ent = -(lp_all.exp() * lp_all).sum(-1)  # (S, n, C)
    if isinstance(cfg.entropy_coef, torch.Tensor) or cfg.entropy_coef:
        tok = tok - per_seed(cfg.entropy_coef, ent) * ent
    kl = None
    if ref_lp is not None:
        ld = logits.double()
        lp64 = torch.log_softmax(ld / per_seed(T, ld), -1)  # float64: a KL of 1e-8 is not float32 rounding
        kl = (lp64.exp() * (lp64 - ref_lp.double())).sum(-1).float()  # (S, n, C) exact KL(pi || pi_base)
        if cfg.kl_coef:
            tok = tok + cfg.kl_coef * kl
    m = mask.float()
    if cfg.token_sum_norm or algo.token_sum:
        loss = (tok * m).sum((1, 2)) / (N * C)
    else:
        loss = ((tok * m).sum(2) / m.sum(2).clamp(min=1)).sum(1) / N
    if algo.value_head:
        loss = loss + cfg.vf_coef * 0.5 * (((v - ret_tg) ** 2) * m).sum((1, 2)) / (N * C)
    if stats is not None:
        stats["tokens"] = m.sum((1, 2))
        n_tok = stats["tokens"].clamp(min=1)
        stats["entropy"] = ((ent * m).sum((1, 2)) / n_tok).detach()
        if kl is not None:
            stats["kl"] = ((kl * m).sum((1, 2)) / n_tok).detach()
        clipped = ((ratio < lo) | (ratio > hi)).float()
        stats["clip_frac"] = ((clipped * m).sum((1, 2)) / n_tok).detach()
    return loss, logp.detach()


def backward_on(
    cfg, model, value, batch: tuple, sl: slice, P: int, C: int, alive: torch.Tensor, stats: dict | None = None
) -> torch.Tensor:
    """Backward of the loss of episodes `sl` (whole groups; a mean over them) for live seeds.

    batch = (seqs, comps, mask, adv, ret_tg, old, ref_lp), each (S, N, ...) or ref_lp None
    (ref_lp (S, N, C, V): the base policy's log-probabilities).
    Returns the (S,) loss, detached."""
    seqs, comps, mask, adv, ret_tg, old, ref_lp = (None if x is None else x[:, sl] for x in batch)
    loss, _ = rl_loss(
        cfg, model, value, seqs, comps, mask, adv, ret_tg, old, ref_lp, P, C, sl.stop - sl.start, stats=stats
    )
    torch.where(alive, loss, torch.zeros_like(loss)).sum().backward()
    return loss.detach()


def grad_probe(cfg, model, value, params, opt, batch: tuple, P: int, C: int, N: int, M: int, alive):
    """(grad_norm, grad_snr) (S,) at the parameters before an update's steps: M set gradients, no step."""
    S, dev = model.n_seeds, next(model.parameters()).device
    grads = []
    for c in range(M):
        opt.zero_grad(set_to_none=True)
        backward_on(cfg, model, value, batch, slice(c * N // M, (c + 1) * N // M), P, C, alive)
        grads.append(flat_grads(params))
    g = torch.stack(grads)  # (M, S, n_params) per-set mean gradients
    gm = g.mean(0)  # (S, n_params) the full-batch gradient
    snr = torch.full((S,), float("nan"), device=dev)
    if M > 1:
        snr = gm.pow(2).sum(-1) / (((g - gm) ** 2).sum((0, 2)) / (M - 1))
    return gm.pow(2).sum(-1).sqrt(), snr


def optimise(cfg, model, value, params, opt, ref, batch: tuple, P: int, C: int, n_mb: int, alive):
    """One update's passes (ppo_epochs x minibatches optimiser steps); a seed whose loss or
    gradient turns non-finite stops (parameters back to the reference). Returns the token-weighted
    sums of PASS_STATS and 'tokens' (S,)."""
    S, dev = model.n_seeds, next(model.parameters()).device
    sums = {k: torch.zeros(S, device=dev) for k in (*PASS_STATS, "tokens")}
    for _epoch in range(cfg.ppo_epochs):
        for b in range(cfg.minibatches):
            opt.zero_grad(set_to_none=True)
            st = {}
            loss = backward_on(cfg, model, value, batch, slice(b * n_mb, (b + 1) * n_mb), P, C, alive, st)
            for k in PASS_STATS:
                if k in st:
                    sums[k] += st[k] * st["tokens"]
            sums["tokens"] += st["tokens"]
            norm = seed_grad_norm(params)
            bad = alive & ~(torch.isfinite(loss) & torch.isfinite(norm))
            if bool(bad.any()):  # divergence: stop those seeds cleanly
                alive &= ~bad
                with torch.no_grad():
                    for p, q in zip(model.parameters(), ref.parameters()):
                        p[bad] = q[bad]
                    if value is not None:
                        value[bad] = 0
            clip_and_mask(params, cfg.max_grad_norm, alive)  # dead seeds: zero gradient, so no step
            opt.step()
    return sums


def base_log_probs(ref, seqs: torch.Tensor, P: int, T: float) -> torch.Tensor:
    """The base policy's log-probabilities of every token at each completion position (S, N, C, V),
    in float64 (the exact KL's precision)."""
    with torch.no_grad():
        ld = completion_logits(ref, seqs, P).double()
        return torch.log_softmax(ld / per_seed(T, ld), -1)


BATCHABLE = ("rl_lr", "temperature", "entropy_coef")
"""CellConfig fields that may differ between the rows of one RL batch (`make_rl(cfg, rows)`): cells
that differ in nothing else share their pretraining and run their RL as one batch (toymodels.fused)."""


class RowConfig:
    """``cfg`` with each BATCHABLE field per row of the seed batch: a float where every row agrees
    (then exactly the cell's own arithmetic), else an (S,) float64 tensor (`sampling.per_seed`).
    Every other field reads through to ``cfg``."""

    def __init__(self, cfg, rows: list, device):
        for name in BATCHABLE:
            vals = [float(getattr(r, name)) for r in rows]
            same = all(v == vals[0] for v in vals)
            setattr(self, name, vals[0] if same else torch.tensor(vals, dtype=torch.float64, device=device))
        self._cfg = cfg

    def __getattr__(self, name):
        return getattr(self._cfg, name)


def check_rows(cfg, rows: list) -> None:
    """Every row's config must equal ``cfg`` but for BATCHABLE fields and seeds; one-line error."""
    base = {k: v for k, v in cfg.to_dict().items() if k not in (*BATCHABLE, "seeds")}
    for r in rows:
        diff = sorted(k for k, v in r.to_dict().items() if k in base and base[k] != v)
        if diff:
            allowed = ", ".join(BATCHABLE)
            raise ValueError(f"cells batched in one RL run may differ only in {allowed}; these differ: {diff}")


def make_rl(cfg, rows: list | None = None):
    """`train(model, alive) -> (metrics, alive)`: RL in place on the seed-batched model. ``rows``: a
    config per row of the model's seed batch (cells batched together, `check_rows`); None: every
    row is ``cfg``."""
    if rows is not None:
        check_rows(cfg, rows)
    G, n_prompts = cfg.group_size, cfg.prompts_per_update
    N = n_prompts * G
    n_mb = N // cfg.minibatches  # episodes per minibatch (whole groups)
    n_updates = total_updates(cfg)
    logged = logged_updates(n_updates, cfg.log_every)
    M = next((m for m in (4, 3, 2) if n_prompts % m == 0), 1)  # sets of the grad_snr probe
    horizons = [horizon_at(cfg, u) for u in range(n_updates)]
    edge = edge_updates(n_updates)

    def train(model, alive: torch.Tensor):
        dev = next(model.parameters()).device
        S, d = model.n_seeds, model.cfg.d_model
        if rows is not None and len(rows) != S:
            raise ValueError(f"make_rl got {len(rows)} row configs for a batch of {S} seeds")
        cfg_ = RowConfig(cfg, rows if rows is not None else [cfg], dev)
        ref = copy.deepcopy(model).requires_grad_(False)
        params = list(model.parameters())
        value = None
        if get_algorithm(cfg.algo).value_head:
            value = torch.nn.Parameter(torch.zeros(S, d + 1, device=dev))  # (S, d + 1): weights, bias
            params = [*params, value]
        opt = SeedAdamW(params, lr=cfg_.rl_lr, betas=(0.9, 0.95), weight_decay=0.0)
        env_cache = {}
        out = {k: np.full((S, len(logged)), np.nan) for k in METRICS}
        early, late = torch.zeros(S, device=dev), torch.zeros(S, device=dev)
        T = cfg_.temperature

        for u in range(n_updates):
            H = horizons[u]
            if H not in env_cache:
                env_cache[H] = make_env(cfg, H, S * N, dev)
            task = env_cache[H].unwrapped.task
            P, C = task.prompt_len, task.completion_len
            ro = rollout(model, env_cache[H], u, n_prompts, G, T)
            seqs = sequences(task, ro.prompts, ro.completions)  # (S, N, 1 + P + C)
            adv, informative = advantages(ro.returns, G, cfg)
            ill = (~ro.well_formed).float().mean(1)  # (S,)
            early += informative.float().mean(1) / edge if u < edge else 0.0
            late += ill / edge if u >= n_updates - edge else 0.0
            ret_tg = ro.rewards.flip(-1).cumsum(-1).flip(-1)  # (S, N, C) reward-to-go
            is_logged = u in logged
            ref_lp = base_log_probs(ref, seqs, P, T) if cfg.kl_coef or is_logged else None
            batch = (seqs, ro.completions, ro.mask, adv, ret_tg, ro.logp, ref_lp)  # pi_old: the sampler's
            if is_logged:  # the probe, at the parameters before this update's steps
                norm0, snr = grad_probe(cfg_, model, value, params, opt, batch, P, C, N, M, alive)
            opt.lr = lr_at(cfg_, u)
            sums = optimise(cfg_, model, value, params, opt, ref, batch, P, C, n_mb, alive)
            if is_logged:
                j = logged.index(u)
                n_tok = sums["tokens"].clamp(min=1)
                vals = {
                    "reward": ro.returns.mean(1),
                    "informative_frac": informative.float().mean(1),
                    "grad_norm": norm0,
                    "grad_snr": snr,
                    "wait_rate": (ro.completions == vocab.WAIT).any(-1).float().mean(1),
                    "completion_len": ro.mask.sum(-1).float().mean(1),
                    "ill_formed": ill,
                    **{k: sums[k] / n_tok for k in PASS_STATS if k != "kl" or ref_lp is not None},
                }
                for k, v in vals.items():
                    v = torch.where(alive, v.float(), torch.full_like(v.float(), float("nan")))
                    out[k][:, j] = v.cpu().numpy()
                out["rl_horizon"][:, j] = H
        for k, v in (("informative_early", early), ("ill_formed_late", late)):
            out[k] = torch.where(alive, v, torch.full_like(v, float("nan"))).cpu().numpy()
        out["samples"] = np.array([u * N for u in logged])
        out["step"] = np.array(logged)
        return out, alive

    return train
