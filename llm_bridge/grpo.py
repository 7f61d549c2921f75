"""A short GRPO run on a local Hugging Face causal LM: one visible loop, CPU-sized.

    cfg = GRPOConfig(steps=40, prompts_per_step=4, group_size=8, lr=1e-5)
    history = run_grpo(tok, model, train_items, cfg, log=print)   # list of per-step metrics

Each step: `prompts_per_step` training prompts (item ids drawn from the step's own seed), `group_size`
sampled completions each; reward 1 for a right answer (the item's verifier), else 0; advantage
A = (r − mean of its group) / (std of its group + 1e-6), so a group whose rewards are all equal has
A = 0 and moves no weight (such groups are not even forwarded). The loss is the policy gradient
−Σ A·log π(completion token) / (number of completion tokens), one on-policy update per step (the
ratio of new to old policy is 1, so PPO's clipping would never act; there is no KL term: the step is
small and the run short). Token embeddings (tied to the output layer in small models) stay frozen.

Sampling is seeded by (seed, step) and the prompts of a step by (seed, step) too; HF `generate` draws
a batch's samples from one stream, so a completion depends on its batch (stated, not hidden).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class GRPOConfig:
    steps: int = 40
    """RL updates (>= 1)."""
    prompts_per_step: int = 4
    """Training prompts per update (>= 1)."""
    group_size: int = 8
    """Samples per prompt, G (>= 2)."""
    lr: float = 1e-5
    """AdamW learning rate (> 0); real-LLM RL runs use 1e-6 to 1e-5."""
    max_new_tokens: int = 32
    """Generation budget per completion (>= 1)."""
    temperature: float = 1.0
    """Sampling temperature (> 0)."""
    seed: int = 0
    """Seeds the prompts drawn and the sampling of each step."""
    freeze_embeddings: bool = True
    """Keep the (tied) token embeddings fixed: RL moves the transformer blocks only."""

    def __post_init__(self):
        for name, lo in (("steps", 1), ("prompts_per_step", 1), ("group_size", 2), ("max_new_tokens", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"GRPOConfig.{name} must be an integer >= {lo}; got {v!r}")
        if not self.lr > 0 or not self.temperature > 0:
            raise ValueError(f"GRPOConfig: lr and temperature must be > 0; got {self.lr!r}, {self.temperature!r}")


def group_advantages(rewards: np.ndarray) -> np.ndarray:
    """(P, G) rewards -> (P, G) advantages (r − group mean) / (group std + 1e-6); all-equal groups -> 0."""
    r = np.asarray(rewards, dtype=float)
    return (r - r.mean(1, keepdims=True)) / (r.std(1, keepdims=True) + 1e-6)


def completion_logp(model, prompt_ids: list[list[int]], comp_ids: list[list[int]], pad_id: int) -> torch.Tensor:
    """Summed log π(completion tokens | prompt) per sequence (B,) and their counts, with gradients.
    Sequences are right-padded; positions count from each sequence's first token."""
    seqs = [p + c for p, c in zip(prompt_ids, comp_ids, strict=True)]
    T = max(map(len, seqs))
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    tgt = torch.zeros((len(seqs), T - 1), dtype=torch.bool)  # which next-token positions are completion tokens
    for i, (p, sq) in enumerate(zip(prompt_ids, seqs, strict=True)):
        ids[i, : len(sq)] = torch.tensor(sq)
        mask[i, : len(sq)] = 1
        tgt[i, len(p) - 1 : len(sq) - 1] = True
    dev = next(model.parameters()).device
    ids, mask, tgt = ids.to(dev), mask.to(dev), tgt.to(dev)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()  # (B, T-1, V)
    lp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
    return (lp * tgt).sum(1), tgt.sum(1)


def policy_gradient_step(model, opt, prompt_ids, comp_ids, adv, pad_id: int) -> float:
    """One update on the given completions with advantages `adv` (B,); returns the loss."""
    lp, n = completion_logp(model, prompt_ids, comp_ids, pad_id)  # (B,), (B,)
    a = torch.as_tensor(np.asarray(adv, dtype=np.float32), device=lp.device)
    loss = -(a * lp).sum() / n.sum().clamp(min=1)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())


@torch.no_grad()
def sample_groups(tok, model, prompts: list[str], G: int, cfg: GRPOConfig, step: int):
    """G completions per prompt: (prompt ids, completion ids per sample, texts per sample)."""
    torch.manual_seed(cfg.seed * 1_000_003 + step)
    dev = next(model.parameters()).device
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(dev)
    out = model.generate(
        **enc,
        do_sample=True,
        temperature=cfg.temperature,
        top_k=0,
        top_p=1.0,
        num_return_sequences=G,
        max_new_tokens=cfg.max_new_tokens,
        pad_token_id=tok.pad_token_id,
    )  # (P * G, T_prompt + T_new), prompt-major, prompts left-padded
    new = out[:, enc["input_ids"].shape[1] :]
    p_ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    comps, texts = [], []
    eos = {tok.eos_token_id, tok.pad_token_id}
    for row in new.tolist():
        cut = next((i + 1 for i, t in enumerate(row) if t in eos), len(row))  # keep the first eos, drop padding
        comps.append(row[:cut])
        texts.append(tok.decode(row[:cut], skip_special_tokens=True))
    return p_ids, comps, texts


def make_optimizer(model, cfg: GRPOConfig):
    if cfg.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)


def grpo_step(tok, model, opt, prompts: list[str], judge: Callable[[int, str], bool], cfg: GRPOConfig, step: int):
    """One GRPO update on `prompts` (judge(i, text) -> right?); returns the step's metrics."""
    t0 = time.time()
    G = cfg.group_size
    model.eval()
    p_ids, comps, texts = sample_groups(tok, model, prompts, G, cfg, step)
    r = np.array([[float(judge(i, texts[i * G + j])) for j in range(G)] for i in range(len(prompts))])  # (P, G)
    adv = group_advantages(r)
    informative = np.flatnonzero(r.std(1) > 0)
    loss = 0.0
    if informative.size:
        model.train()
        rows = [(i, j) for i in informative for j in range(G)]
        loss = policy_gradient_step(
            model,
            opt,
            [p_ids[i] for i, _ in rows],
            [comps[i * G + j] for i, j in rows],
            [adv[i, j] for i, j in rows],
            tok.pad_token_id,
        )
        model.eval()
    return {
        "step": step,
        "reward": float(r.mean()),
        "informative_frac": float(informative.size / len(prompts)),
        "loss": loss,
        "mean_len": float(np.mean([len(c) for c in comps])),
        "wall_s": round(time.time() - t0, 1),
    }


def run_grpo(tok, model, prompts: list[str], judge, cfg: GRPOConfig, log=None) -> list[dict]:
    """`cfg.steps` GRPO updates on training `prompts` (judge(i, text) scores prompt i); metrics per step."""
    opt = make_optimizer(model, cfg)
    history = []
    for step in range(cfg.steps):
        rng = np.random.default_rng([cfg.seed, step])
        idx = rng.choice(len(prompts), size=min(cfg.prompts_per_step, len(prompts)), replace=False)
        m = grpo_step(tok, model, opt, [prompts[i] for i in idx], lambda i, t, idx=idx: judge(idx[i], t), cfg, step)
        history.append(m)
        if log:
            log(m)
    return history
