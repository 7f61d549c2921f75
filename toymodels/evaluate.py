"""Evaluation on held-out prompts, batched over seeds: the first n distinct questions of the
evaluation stream that lie in the held-out content part (`envs.splits`), which pretraining and RL
never see (they draw from the "train" part).

- pass@k (answer) and trace pass@k (every step and the answer right), k = 1, 2, 4, ..., k_max,
  from n = k_max samples per prompt at the evaluation temperature, with the unbiased estimator
  of `theory.passk.pass_at_k`.
- logp_answer: sum of the log-probabilities of the canonical completion's answer tokens, teacher
  forced on the prompt and the canonical trace (temperature 1), averaged over prompts.
- greedy_acc: fraction of prompts whose greedy (argmax) completion has the right answer.
- step_prob: teacher-forced probability of the correct step token under softmax(logits / T) at
  the evaluation temperature T, averaged over steps and prompts: the per-step success
  probability q of p = q^L when traces are sampled (what the H4 predictor reads).
- step_acc_argmax: teacher-forced argmax accuracy of the same step tokens. It hides how much
  probability the wrong steps get: it can be 1 while step_prob is 0.5.
Both use the answer tokens when the task has no steps (cot off).
- wait_rate: fraction of the sampled completions (the pass@k samples) with at least one `<wait>`
  (without `revise` a `<wait>` is an ill-formed token, still counted).
- revise_fix_rate: among the revisions in those samples (legal `<wait>`s, `envs.revise`), the
  fraction whose discarded step was wrong and whose rewrite is right; NaN when there was no
  revision or the task has no `revise`.
- completion_len: mean length of those samples in tokens, up to and including <eos> (all C
  tokens when a sample never writes <eos>).
"""

from __future__ import annotations

import numpy as np
import torch

from envs import splits, vocab
from envs.revise import revision_counts
from envs.task import Task
from theory.passk import pass_at_k

from .pretrain import completion_logits, sequences
from .sampling import EVAL_STREAM, SAMPLE, sample, stream

EVAL_SLOT = 7_000_000


def ks(k_max: int) -> list[int]:
    return [2**i for i in range(int(np.log2(k_max)) + 1)]


@torch.no_grad()
def generate(
    model, prompts: torch.Tensor, C: int, n: int, temperature: float, streams: torch.Tensor, slot0: int
) -> torch.Tensor:
    """Sample n completions of C tokens per prompt: prompts (S, B, P) -> (S, B * n, C).

    Rows are prompt-major (row b * n + j is sample j of prompt b). After <eos> the tokens are
    <pad>. Rows use the counter-based sampler (`sampling.sample`), so seeds are independent.
    """
    S, B, _ = prompts.shape
    bos = torch.full((S, B, 1), vocab.BOS, dtype=torch.long, device=prompts.device)
    logits, cache = model.prefill(torch.cat([bos, prompts], -1))  # (S, B, V)
    logits = logits.repeat_interleave(n, 1)  # (S, B * n, V)
    cache = model.expand(cache, n)
    rows = torch.arange(B * n, device=prompts.device)
    out = torch.full((S, B * n, C), vocab.PAD, dtype=torch.long, device=prompts.device)
    ended = torch.zeros(S, B * n, dtype=torch.bool, device=prompts.device)
    for t in range(C):
        a = sample(logits, temperature, streams, rows, slot0 + t)  # (S, B * n)
        out[:, :, t] = torch.where(ended, vocab.PAD, a)
        ended |= a == vocab.EOS
        if t + 1 < C:
            logits, cache = model.decode(a, cache)
    return out


def sample_stats(task: Task, comps: torch.Tensor, targets: torch.Tensor) -> dict[str, np.ndarray]:
    """wait_rate, revise_fix_rate and completion_len (S,) of sampled completions comps (S, M, C)
    against their canonical targets (S * M, C)."""
    S, M, C = comps.shape
    is_eos = comps == vocab.EOS
    length = torch.where(is_eos.any(-1), is_eos.float().argmax(-1) + 1, C)  # (S, M)
    fix_rate = np.full(S, np.nan)
    if task.revise:
        values = torch.tensor(task.value_tokens, device=comps.device)
        n_rev, n_fix = revision_counts(comps.reshape(S * M, C), targets, values, task.max_revisions)
        n_rev, n_fix = n_rev.view(S, M).sum(1).cpu().numpy(), n_fix.view(S, M).sum(1).cpu().numpy()
        fix_rate = np.where(n_rev > 0, n_fix / np.maximum(n_rev, 1), np.nan)
    return {
        "wait_rate": (comps == vocab.WAIT).any(-1).float().mean(1).cpu().numpy(),
        "revise_fix_rate": fix_rate,
        "completion_len": length.float().mean(1).cpu().numpy(),
    }


def eval_items(task: Task, n_prompts: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out prompts (B, P) and canonical targets (B, C) every cell is evaluated on."""
    return splits.heldout(task, n_prompts, EVAL_STREAM, device)


@torch.no_grad()
def evaluate(model, task: Task, n_prompts: int, k_max: int, temperature: float, split_id: int = 0) -> dict:
    """Per-seed metrics on `n_prompts` held-out prompts; every value is a numpy array (S, ...)."""
    dev = next(model.parameters()).device
    S, n, P, C = model.n_seeds, k_max, task.prompt_len, task.completion_len
    prompts, targets = eval_items(task, n_prompts, dev)  # (B, P), (B, C)
    pr = prompts[None].expand(S, -1, -1)  # (S, B, P)
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds], device=dev)
    slot0 = EVAL_SLOT + 1000 * split_id
    comps = generate(model, pr, C, n, temperature, streams, slot0)  # (S, B * n, C)
    sample_targets = targets.repeat_interleave(n, 0).repeat(S, 1)  # (S * B * n, C)
    v = task.verify(prompts.repeat_interleave(n, 0).repeat(S, 1), comps.reshape(S * n_prompts * n, C), sample_targets)
    c_ans = v.correct.view(S, n_prompts, n).sum(-1).cpu().numpy()  # (S, B)
    c_tr = v.trace_correct.view(S, n_prompts, n).sum(-1).cpu().numpy()
    kk = np.array(ks(k_max))
    pak = np.asarray(pass_at_k(n, c_ans[:, None, :], kk[None, :, None])).mean(-1)  # (S, K)
    tpak = np.asarray(pass_at_k(n, c_tr[:, None, :], kk[None, :, None])).mean(-1)

    greedy = generate(model, pr, C, 1, 0.0, streams, slot0)  # (S, B, C)
    vg = task.verify(prompts.repeat(S, 1), greedy.reshape(S * n_prompts, C), targets.repeat(S, 1))

    seqs = sequences(task, pr, targets[None].expand(S, -1, -1))  # (S, B, 1 + P + C)
    logits = completion_logits(model, seqs, P).float()  # (S, B, C, V)
    logp = torch.log_softmax(logits, -1).gather(-1, seqs[:, :, 1 + P :, None]).squeeze(-1)  # (S, B, C)
    ap = task.answer_positions
    logp_answer = logp[:, :, ap].sum(-1).mean(-1)  # (S,)
    sp = task.step_positions or ap
    step_tgt = seqs[:, :, 1 + P :][:, :, sp]  # (S, B, n_steps)
    step_acc_argmax = (logits[:, :, sp].argmax(-1) == step_tgt).float().mean((1, 2))
    step_lp = torch.log_softmax(logits[:, :, sp] / temperature, -1).gather(-1, step_tgt[..., None])
    step_prob = step_lp.exp().mean((1, 2, 3))  # (S,)
    return {
        "pass_at_k": pak, "trace_pass_at_k": tpak,
        "greedy_acc": vg.correct.view(S, n_prompts).float().mean(-1).cpu().numpy(),
        "logp_answer": logp_answer.cpu().numpy(), "step_prob": step_prob.cpu().numpy(),
        "step_acc_argmax": step_acc_argmax.cpu().numpy(), **sample_stats(task, comps, sample_targets),
    }  # fmt: skip
