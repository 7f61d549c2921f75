"""Evaluation on held-out prompts, batched over seeds: the first n distinct questions of the
evaluation stream that lie in the held-out content part (`envs.splits`), which pretraining and RL
never see (they draw from the "train" part).

- pass@k (answer), k = 1, 2, 4, ..., k_max, from n = k_max samples per prompt at the evaluation
  temperature, with the unbiased estimator of `theory.passk.pass_at_k` (sampled: many traces can
  reach one answer).
- trace pass@k (every step and the answer right) and trace_phi, the informative-group fraction
  1 - p^G - (1 - p)^G of groups of G = group_size samples whose reward is the trace's correctness,
  per prompt, averaged. Exact where the canonical trace is the only right one (`exact_trace`: the
  default verifier without `revise`): p is its teacher-forced probability under softmax(logits / T),
  and pass@k = 1 - (1 - p)^k per prompt, with no sampling noise. Otherwise (Countdown, revise)
  both are the unbiased estimates from the samples. `estimates(task)` names which metric is which.
- logp_answer: sum of the log-probabilities of the canonical completion's answer tokens, teacher
  forced on the prompt and the canonical trace (temperature 1), averaged over prompts.
- greedy_acc: fraction of prompts whose greedy (argmax) completion has the right answer.
- step_prob: teacher-forced probability of the correct step token under softmax(logits / T) at
  the evaluation temperature T, averaged over steps and prompts: the per-step success
  probability q of p = q^L when traces are sampled (what the H4 predictor reads).
- step_acc_argmax: teacher-forced argmax accuracy of the same step tokens. It hides how much
  probability the wrong steps get: it can be 1 while step_prob is 0.5.
Both use the answer tokens when the task has no steps (cot off).
- format_prob, task_prob, format_mass_task (claim C5, measured on the tokens; token classes in
  `envs.vocab`): teacher forced on the canonical completion, under softmax(logits / T) at the
  evaluation temperature, mean over prompts: the probability of the correct token at the format
  positions (`Task.format_positions`: <think>, separators, </think>, <eos>; cot off: the answer's
  separators and <eos>) and at the content positions (`Task.content_positions`: step values and
  answer tokens), and, at the content positions, the total probability on any format token (mass
  leaking to the template where content belongs). Countdown's content positions hold one of several
  right expressions: task_prob is the canonical one's.
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
from envs.hashing import uniform
from envs.revise import revision_counts
from envs.task import Task
from theory.passk import pass_at_k

from .pretrain import completion_logits, sequences
from .sampling import EVAL_STREAM, SAMPLE, sample, sample_from, stream

EVAL_SLOT = 7_000_000
SLICE_BYTES = 4 * 2**20
"""Evaluation samples seeds in slices whose widest activation (rows x max(d_mlp, 3 d_model) floats,
all B * n rows) stays under this many bytes: 8 seeds x 4096 rows at width 32 in one batch ran at
half the speed per seed of one seed alone (out of the CPU cache). Results are the same either way."""


def ks(k_max: int) -> list[int]:
    return [2**i for i in range(int(np.log2(k_max)) + 1)]


MIN_ROWS = 8
"""Fewest rows per seed a deduplicated decoding step runs on (when the rows it stands for are at least
that many): the CPU matmul takes another code path, with other rounding, on 1-4 rows."""


@torch.no_grad()
def generate(
    model, prompts: torch.Tensor, C: int, n: int, temperature: float, streams: torch.Tensor, slot0: int
) -> torch.Tensor:
    """Sample n completions of C tokens per prompt: prompts (S, B, P) -> (S, B * n, C).

    Rows are prompt-major (row b * n + j is sample j of prompt b). After <eos> the tokens are
    <pad>. Rows use the counter-based sampler (`sampling.sample`), so seeds are independent.

    Rows that share their prompt and every token so far share their next-token distribution, so
    each step decodes every distinct prefix once (`distinct_prefixes`) and each row samples from
    its prefix's logits: the tokens are those of decoding every row (same kernels, same
    rounding), at the cost of the distinct prefixes only (a trained model repeats itself). Once
    more than half the rows have a prefix of their own, every row decodes itself from then on
    (the bookkeeping would cost more than it saves).
    """
    S, B, _ = prompts.shape
    dev = prompts.device
    bos = torch.full((S, B, 1), vocab.BOS, dtype=torch.long, device=prompts.device)
    P = prompts.shape[2]  # the cache reaches <bos>, the prompt and C - 1 decoded tokens
    logits, cache = model.prefill(torch.cat([bos, prompts], -1), max_len=P + C)  # (S, B, V): one prefix per prompt
    V = logits.shape[-1]
    rows = torch.arange(B * n, device=dev)
    state = (rows // n)[None].expand(S, -1)  # (S, B * n) the prefix each row is at
    out = torch.full((S, B * n, C), vocab.PAD, dtype=torch.long, device=dev)
    ended = torch.zeros(S, B * n, dtype=torch.bool, device=dev)
    slots = slot0 + torch.arange(C, device=dev)
    u = None if temperature == 0 else uniform(streams[:, None, None], rows[None, :, None], slots)  # (S, B * n, C)
    per_row = False  # True once most rows have a prefix of their own: then every row decodes itself
    for t in range(C):
        row_logits = logits if per_row else logits.gather(1, state[..., None].expand(-1, -1, V))  # (S, B * n, V)
        a = sample_from(row_logits, temperature, None if u is None else u[:, :, t])  # (S, B * n)
        out[:, :, t] = torch.where(ended, vocab.PAD, a)
        ended |= a == vocab.EOS
        if t + 1 == C:
            break
        tok = torch.where(ended, vocab.EOS, a)  # an ended row's later tokens are <pad> whatever it samples
        if per_row:
            logits, cache = model.decode(tok, cache)  # (S, B * n, V)
            continue
        new_state, parent, token = distinct_prefixes(state * V + tok, V, MIN_ROWS)
        if 2 * parent.shape[1] > B * n:  # sharing saves less than the bookkeeping costs (a diffuse model)
            per_row = True
            logits, cache = model.decode(tok, model.select(cache, state))  # (S, B * n, V)
        else:
            state = new_state
            logits, cache = model.decode(token, model.select(cache, parent))  # (S, M, V)
    return out


@torch.no_grad()
def generate_every_row(
    model, prompts: torch.Tensor, C: int, n: int, temperature: float, streams: torch.Tensor, slot0: int
) -> torch.Tensor:
    """The slow reference of `generate` (its code before issue 24): the prompt cache repeated n
    times and every row decoded at every step. Same arguments, same tokens."""
    S, B, _ = prompts.shape
    bos = torch.full((S, B, 1), vocab.BOS, dtype=torch.long, device=prompts.device)
    logits, cache = model.prefill(torch.cat([bos, prompts], -1), max_len=prompts.shape[2] + C)  # (S, B, V)
    logits, cache = logits.repeat_interleave(n, 1), model.expand(cache, n)  # (S, B * n, V)
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


def distinct_prefixes(key: torch.Tensor, V: int, min_rows: int) -> tuple[torch.Tensor, ...]:
    """key (S, R) = prefix * V + token of every row -> (state (S, R), parent (S, M), token (S, M)):
    the distinct keys of each seed numbered 0..M-1 in order (M the most any seed has, at least
    min(R, min_rows); the others' spare rows repeat prefix 0 with <pad>), each row's number, and
    each number's parent prefix and token."""
    S, R = key.shape
    span = int(key.max()) + 1
    uniq, inv = torch.unique(key + torch.arange(S, device=key.device)[:, None] * span, return_inverse=True)
    seed = uniq // span  # (U,) sorted by seed, then key
    count = torch.bincount(seed, minlength=S)  # (S,)
    M = max(int(count.max()), min(R, min_rows))
    rank = torch.arange(uniq.shape[0], device=key.device) - (count.cumsum(0) - count)[seed]  # (U,)
    k = uniq - seed * span
    parent = torch.zeros(S, M, dtype=torch.long, device=key.device)
    token = torch.full((S, M), vocab.PAD, dtype=torch.long, device=key.device)
    parent[seed, rank], token[seed, rank] = k // V, k % V
    return rank[inv], parent, token


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


def seed_slices(model, rows: int, limit: int = SLICE_BYTES) -> list[tuple[int, int]]:
    """(lo, hi) seed ranges of at most `limit` bytes of widest activation over `rows` rows each (all
    seeds at once for a model without `seed_slice`)."""
    S = model.n_seeds
    if not hasattr(model, "seed_slice"):
        return [(0, S)]
    c = model.cfg
    per_seed = rows * max(c.d_mlp if c.kind == "transformer" else c.d_model, 3 * c.d_model) * 4
    k = max(1, min(S, limit // per_seed))
    return [(lo, min(S, lo + k)) for lo in range(0, S, k)]


def sliced(sampler, model, pr: torch.Tensor, C: int, n: int, temperature: float, streams, slot0: int, limit: int):
    """`sampler(model, pr, ...)` run over `seed_slices` and concatenated: (S, B * n, C)."""
    S, B = pr.shape[:2]
    return torch.cat(
        [
            sampler(
                model if hi - lo == S else model.seed_slice(lo, hi), pr[lo:hi], C, n, temperature, streams[lo:hi], slot0
            )
            for lo, hi in seed_slices(model, B * n, limit)
        ]
    )


def exact_trace(task: Task) -> bool:
    """True when a completion is trace-correct exactly when it is the canonical target token for token:
    the default verifier, no `revise` (a revision is another right trace) and every value slot of the
    layout a step or an answer position. Then the probability of a correct trace is the canonical
    trace's, teacher forced; otherwise (Countdown's many solutions, revise) it is sampled."""
    if task.revise or type(task).verify is not Task.verify or task.completion_len != task.canonical_len:
        return False
    slots = {i for i, tok in enumerate(task.layout()) if tok is None}
    return slots <= set(task.step_positions) | set(task.answer_positions)


TOKEN_KEYS = ("format_prob", "task_prob", "format_mass_task")
"""The C5 token metrics of `token_probs` (module docstring)."""


def estimates(task: Task) -> dict[str, str]:
    """How each metric of `evaluate` is obtained for `task`: 'exact' (teacher forcing or greedy
    decoding: no sampling noise) or 'sampled' (from the k_max samples per prompt)."""
    trace = "exact" if exact_trace(task) else "sampled"
    return {
        **dict.fromkeys(("pass_at_k", "wait_rate", "revise_fix_rate", "completion_len"), "sampled"),
        **dict.fromkeys(("logp_answer", "step_prob", "step_acc_argmax", "greedy_acc", *TOKEN_KEYS), "exact"),
        "trace_pass_at_k": trace, "trace_phi": trace,
    }  # fmt: skip


def token_probs(task: Task, probs: torch.Tensor, tgt: torch.Tensor) -> dict[str, np.ndarray]:
    """format_prob, task_prob, format_mass_task (S,) from probs (S, B, C, V) = softmax(logits / T)
    teacher forced on the canonical completions tgt (S, B, C) (`TOKEN_KEYS`, module docstring)."""
    fp, cp = task.format_positions, task.content_positions
    p_right = probs.gather(-1, tgt[..., None]).squeeze(-1)  # (S, B, C)
    fmt = torch.tensor(vocab.FORMAT_TOKENS, device=probs.device)
    leak = probs[:, :, cp].index_select(-1, fmt).sum(-1)  # (S, B, n_content)
    return {
        "format_prob": p_right[:, :, fp].mean((1, 2)).cpu().numpy(),
        "task_prob": p_right[:, :, cp].mean((1, 2)).cpu().numpy(),
        "format_mass_task": leak.mean((1, 2)).cpu().numpy(),
    }


@torch.no_grad()
def teacher_forced(model, task: Task, pr: torch.Tensor, targets: torch.Tensor, temperature: float) -> dict:
    """Metrics of the canonical completion targets (B, C) after prompts pr (S, B, P), teacher forced:
    logp_answer, step_acc_argmax, step_prob, the C5 token metrics (`token_probs`) (S,) and trace_logp
    (S, B), the log-probability of the whole canonical completion under softmax(logits / T) (the
    distribution samples come from)."""
    S, P = pr.shape[0], task.prompt_len
    seqs = sequences(task, pr, targets[None].expand(S, -1, -1))  # (S, B, 1 + P + C)
    logits = completion_logits(model, seqs, P).float()  # (S, B, C, V)
    tgt = seqs[:, :, 1 + P :]  # (S, B, C)
    logp = torch.log_softmax(logits, -1).gather(-1, tgt[..., None]).squeeze(-1)  # (S, B, C)
    ap = task.answer_positions
    sp = task.step_positions or ap
    step_tgt = tgt[:, :, sp]  # (S, B, n_steps)
    step_lp = torch.log_softmax(logits[:, :, sp] / temperature, -1).gather(-1, step_tgt[..., None])
    trace_lp = torch.log_softmax(logits / temperature, -1).gather(-1, tgt[..., None]).squeeze(-1)  # (S, B, C)
    return {
        "logp_answer": logp[:, :, ap].sum(-1).mean(-1).cpu().numpy(),
        "step_acc_argmax": (logits[:, :, sp].argmax(-1) == step_tgt).float().mean((1, 2)).cpu().numpy(),
        "step_prob": step_lp.exp().mean((1, 2, 3)).cpu().numpy(),
        "trace_logp": trace_lp.double().sum(-1).cpu().numpy(),
        **token_probs(task, torch.softmax(logits / temperature, -1), tgt),
    }


def trace_metrics(c_tr: np.ndarray, n: int, trace_logp: np.ndarray | None, kk: np.ndarray, G: int) -> dict:
    """trace_pass_at_k (S, K) and trace_phi (S,): exact from the canonical trace's log-probability
    (S, B) when given (1 - (1 - p)^k and 1 - p^G - (1 - p)^G per prompt), else the unbiased
    estimates from c_tr (S, B) correct traces of n samples (trace_phi NaN when G > n)."""
    if trace_logp is not None:
        p = np.exp(trace_logp)[:, None, :]  # (S, 1, B)
        with np.errstate(divide="ignore"):  # p = 1: log1p(-1) = -inf, and 1 - 0^k = 1 as it should be
            tpak = -np.expm1(kk[None, :, None] * np.log1p(-np.minimum(p, 1.0)))  # (S, K, B)
        return {"trace_pass_at_k": tpak.mean(-1), "trace_phi": (1 - p**G - (1 - p) ** G).mean((1, 2))}
    tpak = np.asarray(pass_at_k(n, c_tr[:, None, :], kk[None, :, None])).mean(-1)
    if G > n:
        return {"trace_pass_at_k": tpak, "trace_phi": np.full(c_tr.shape[0], np.nan)}
    both = np.asarray(pass_at_k(n, c_tr, G)) + np.asarray(pass_at_k(n, n - c_tr, G)) - 1  # unbiased, per prompt
    return {"trace_pass_at_k": tpak, "trace_phi": both.mean(-1)}


@torch.no_grad()
def evaluate(
    model,
    task: Task,
    n_prompts: int,
    k_max: int,
    temperature: float,
    split_id: int = 0,
    group_size: int = 8,
    sampler=generate,
    slice_bytes: int = SLICE_BYTES,
) -> dict:
    """Per-seed metrics on `n_prompts` held-out prompts; every value is a numpy array (S, ...).
    `group_size` is the G of trace_phi (the RL group size). `estimates(task)` says which are exact.
    `sampler`: `generate`, or its reference `generate_every_row`; `slice_bytes`: see SLICE_BYTES
    (benchmarks time the code before issue 24 with generate_every_row and no slices, 2**62)."""
    dev = next(model.parameters()).device
    S, n, C = model.n_seeds, k_max, task.completion_len
    prompts, targets = eval_items(task, n_prompts, dev)  # (B, P), (B, C)
    pr = prompts[None].expand(S, -1, -1)  # (S, B, P)
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds], device=dev)
    slot0 = EVAL_SLOT + 1000 * split_id
    comps = sliced(sampler, model, pr, C, n, temperature, streams, slot0, slice_bytes)  # (S, B * n, C)
    sample_targets = targets.repeat_interleave(n, 0).repeat(S, 1)  # (S * B * n, C)
    v = task.verify(prompts.repeat_interleave(n, 0).repeat(S, 1), comps.reshape(S * n_prompts * n, C), sample_targets)
    c_ans = v.correct.view(S, n_prompts, n).sum(-1).cpu().numpy()  # (S, B)
    c_tr = v.trace_correct.view(S, n_prompts, n).sum(-1).cpu().numpy()
    kk = np.array(ks(k_max))
    pak = np.asarray(pass_at_k(n, c_ans[:, None, :], kk[None, :, None])).mean(-1)  # (S, K)

    greedy = sampler(model, pr, C, 1, 0.0, streams, slot0)  # (S, B, C)
    vg = task.verify(prompts.repeat(S, 1), greedy.reshape(S * n_prompts, C), targets.repeat(S, 1))
    tf = teacher_forced(model, task, pr, targets, temperature)
    trace_logp = tf.pop("trace_logp") if exact_trace(task) else None
    return {
        "pass_at_k": pak, **trace_metrics(c_tr, n, trace_logp, kk, group_size),
        "greedy_acc": vg.correct.view(S, n_prompts).float().mean(-1).cpu().numpy(),
        **{k: v for k, v in tf.items() if k != "trace_logp"}, **sample_stats(task, comps, sample_targets),
    }  # fmt: skip
