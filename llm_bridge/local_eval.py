"""Evaluate a local Hugging Face causal LM on `envs` tasks rendered as text (offline).

    ds = evaluate_model("path/to/model", tasks=("ModChain",), n_prompts=32, n_samples=16)

For each task and number of shots, `n_prompts` instances from stream `seed` are rendered with
`task.text_prompt`; few-shot examples come from the disjoint stream `seed + SHOT_STREAM` and are
written as `text_prompt + text_completion`. Each prompt is sampled `n_samples` times (left
padding, `generate(do_sample=True, temperature, top_k=0, top_p=1, num_return_sequences=n_samples)`); a
completion is cut after its first 'Answer:' line and judged by `task.score_text`. pass@k uses theory's
unbiased estimator; `base_logp_answer` is the teacher-forced log-probability of `text_completion` (the canonical
answer text) given the prompt, summed over its tokens and averaged over prompts.

Output schema (DESIGN.md): dims `model`, `task`, `shots`, `split` ("id"), `k`; coords `n_params`
(non-embedding), `n_params_total`; variables `base_pass_at_k`, `base_logp_answer`,
`well_formed_frac`, `chance`, `status`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from tqdm.auto import tqdm

from envs import make_task, task_names
from theory.passk import pass_at_k

SHOT_STREAM = 1_000_003  # few-shot examples come from seed + SHOT_STREAM, never from the eval stream


@dataclass
class EvalConfig:
    tasks: tuple[str, ...] = ("ModChain",)
    """Task names from `envs.task_names()`."""
    task_kwargs: dict = field(default_factory=dict)
    """Per-task difficulty arguments, e.g. {"ModChain": {"L": 3}}."""
    n_prompts: int = 32
    """Instances per task (>= 1)."""
    n_samples: int = 16
    """Completions per prompt (>= 1); pass@k is reported for k = 1, 2, 4, ... <= n_samples."""
    shots: tuple[int, ...] = (0, 3)
    """Numbers of few-shot examples to evaluate (each >= 0)."""
    cot: bool = False
    """Ask for step-by-step work (needs a larger max_new_tokens)."""
    temperature: float = 1.0
    """Sampling temperature (> 0)."""
    max_new_tokens: int = 32
    """Generation budget per completion (>= 1)."""
    batch_size: int = 64
    """Sequences per generate call (>= 1)."""
    seed: int = 0
    """Evaluation stream; also seeds torch sampling."""
    device: str = "auto"
    """"auto" (CUDA if available), "cpu", "cuda" or "cuda:N"."""
    trust_remote_code: bool = False
    """Allow the checkpoint's own Python code (off unless you ask)."""

    def __post_init__(self):
        self.tasks, self.shots = tuple(self.tasks), tuple(self.shots)
        bad = [t for t in self.tasks if t not in task_names()]
        if bad or not self.tasks:
            raise ValueError(f"tasks must be a non-empty list from {', '.join(task_names())}; got {bad or self.tasks}")
        for name, lo in (("n_prompts", 1), ("n_samples", 1), ("max_new_tokens", 1), ("batch_size", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}; got {v!r}")
        if not self.shots or any(not isinstance(s, int) or s < 0 for s in self.shots):
            raise ValueError(f"shots must be non-negative integers; got {self.shots!r}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0; got {self.temperature!r}")
        if self.device != "auto" and self.device != "cpu" and not self.device.startswith("cuda"):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N; got {self.device!r}")

    @property
    def ks(self) -> list[int]:
        return [2**i for i in range(int(np.log2(self.n_samples)) + 1)]


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def checkpoint_problem(path: str | Path) -> str | None:
    """Why `path` is not a loadable checkpoint folder (None when it looks like one): a folder with a
    config.json (Hugging Face layout) or exactly one .gguf file (loaded with transformers' gguf_file)."""
    p = Path(path)
    if not p.is_dir():
        return f"no such checkpoint directory {p}"
    ggufs = sorted(p.glob("*.gguf"))
    if (p / "config.json").is_file() or len(ggufs) == 1:
        return None
    if len(ggufs) > 1:
        return f"{p} holds several .gguf files ({', '.join(g.name for g in ggufs)}); point --model at a folder with one"
    return f"{p} holds no checkpoint (neither a config.json nor a .gguf file)"


def load_model(path: str | Path, device: torch.device, trust_remote_code: bool = False):
    """Tokenizer (left padding, a pad token) and model in eval mode, from local files only. A folder with
    one .gguf file (and no config.json) is loaded through transformers' GGUF reader, de-quantised to
    float32 (needs the `gguf` package)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    problem = checkpoint_problem(path)
    if problem:
        raise ValueError(f"model: {problem}")
    kw = dict(local_files_only=True, trust_remote_code=trust_remote_code)
    ggufs = sorted(Path(path).glob("*.gguf"))
    if ggufs and not (Path(path) / "config.json").is_file():
        kw["gguf_file"] = ggufs[0].name
    try:
        tok = AutoTokenizer.from_pretrained(str(path), **kw)
        model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
    except (OSError, ValueError, ImportError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"model {path}: cannot load from local files ({first})") from None
    tok.padding_side = "left"
    if tok.pad_token is None:
        if tok.eos_token is None:
            raise ValueError(f"model {path}: tokenizer has neither a pad nor an eos token")
        tok.pad_token = tok.eos_token
    return tok, model.to(device).eval()


def count_params(model) -> tuple[int, int]:
    """(non-embedding, total) parameter counts; token and position embeddings are embeddings."""
    total = sum(p.numel() for p in model.parameters())
    emb = {id(model.get_input_embeddings().weight)}
    out = model.get_output_embeddings()
    if out is not None:
        emb.add(id(out.weight))
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Embedding) and any(s in name for s in ("wpe", "position", "pos_emb")):
            emb.add(id(mod.weight))
    n_emb = sum(p.numel() for p in model.parameters() if id(p) in emb)
    return total - n_emb, total


def render_prompts(task, n_prompts: int, shots: int, seed: int, cot: bool) -> list[tuple]:
    """(instance, prompt text) pairs; few-shot examples from the disjoint stream seed + SHOT_STREAM."""
    out = []
    for i in range(n_prompts):
        inst = task.generate(seed, i)
        q = task.text_prompt(inst, cot)
        ex, j = [], 0
        while len(ex) < shots:  # examples for prompt i: items i*shots.. of the shot stream, never q itself
            e = task.generate(seed + SHOT_STREAM, i * max(shots, 1) * 2 + j)
            j += 1
            if task.text_prompt(e, cot) != q:
                ex.append(f"{task.text_prompt(e, cot)}{task.text_completion(e)}\n\n")
        out.append((inst, "".join(ex) + q))
    return out


def chat_prompt(tok, text: str, shots: list[tuple[str, str]] = ()) -> str:
    """`text` as the user turn of the tokenizer's chat template (few-shot examples as earlier turns),
    ending where the assistant's answer starts."""
    msgs = []
    for q, a in shots:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    msgs.append({"role": "user", "content": text})
    return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


def first_answer(text: str) -> str:
    """The completion up to the end of its first 'Answer:' line (later text is a new example)."""
    i = text.find("Answer:")
    if i < 0:
        return text
    j = text.find("\n", i)
    return text if j < 0 else text[:j]


@torch.no_grad()
def generate_texts(
    tok,
    model,
    prompts: list[str],
    n: int,
    *,
    do_sample: bool = True,
    temperature: float = 1.0,
    max_new_tokens: int = 32,
    batch_size: int = 64,
    device="cpu",
    desc: str = "generate",
    progress: bool = True,
    special_tokens: bool = True,
) -> list[list[str]]:
    """n completions per prompt -> texts (P, n). Each generate call takes max(1, batch_size // n) prompts
    with num_return_sequences = n (HF generate decodes with its KV cache, use_cache on by default);
    do_sample=False is greedy decoding (n must be 1); special_tokens=False for prompts that already hold
    them (rendered with a chat template)."""
    if not do_sample and n != 1:
        raise ValueError(f"greedy decoding gives one completion per prompt; got n={n}")
    per = max(1, batch_size // n)  # prompts per generate call
    kw = dict(do_sample=True, temperature=temperature, top_k=0, top_p=1.0) if do_sample else dict(do_sample=False)
    out: list[list[str]] = []
    for s in tqdm(range(0, len(prompts), per), desc=desc, leave=False, disable=not progress):
        enc = tok(prompts[s : s + per], return_tensors="pt", padding=True, add_special_tokens=special_tokens).to(device)
        gen = model.generate(
            **enc, **kw, num_return_sequences=n, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id
        )  # (B * n, T_prompt + T_new), prompt-major
        new = gen[:, enc["input_ids"].shape[1] :]  # (B * n, T_new), prompts are left padded
        texts = tok.batch_decode(new, skip_special_tokens=True)
        out += [texts[i * n : (i + 1) * n] for i in range(len(texts) // n)]
    return out


def sample(tok, model, prompts: list[str], cfg: EvalConfig, device, desc: str) -> list[list[str]]:
    """cfg.n_samples completions per prompt at cfg.temperature, batched; returns texts (P, n_samples)."""
    return generate_texts(
        tok,
        model,
        prompts,
        cfg.n_samples,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        batch_size=cfg.batch_size,
        device=device,
        desc=desc,
    )


@torch.no_grad()
def logp_answer(tok, model, prompts: list[str], answers: list[str], batch_size: int, device) -> np.ndarray:
    """Teacher-forced sum of log p(answer tokens | prompt), one value per prompt."""
    out = []
    for s in range(0, len(prompts), batch_size):
        seqs, n_ans = [], []
        for p, a in zip(prompts[s : s + batch_size], answers[s : s + batch_size], strict=True):
            ids_p = tok(p)["input_ids"]
            ids_a = tok(a, add_special_tokens=False)["input_ids"]
            seqs.append(ids_p + ids_a)
            n_ans.append(len(ids_a))
        T = max(map(len, seqs))
        ids = torch.full((len(seqs), T), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), T), dtype=torch.long)
        for i, sq in enumerate(seqs):  # left padding
            ids[i, T - len(sq) :] = torch.tensor(sq)
            mask[i, T - len(sq) :] = 1
        ids, mask = ids.to(device), mask.to(device)
        pos = (mask.cumsum(1) - 1).clamp(min=0)  # left padding: positions start at each sequence's first token
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits.float()  # (B, T, V)
        lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
        for i, n in enumerate(n_ans):
            out.append(float(lp[i, T - 1 - n :].sum()) if n else 0.0)
    return np.array(out)


def evaluate_model(path: str | Path, cfg: EvalConfig | None = None, **kw) -> xr.Dataset:
    """One model, every task and shot count of `cfg` -> the results Dataset (dim model of size 1)."""
    cfg = cfg or EvalConfig(**kw)
    device = resolve_device(cfg.device)
    t0 = time.time()
    tok, model = load_model(path, device, cfg.trust_remote_code)
    n_params, n_total = count_params(model)
    ks = [k for k in cfg.ks if k <= cfg.n_samples]
    shape = (1, len(cfg.tasks), len(cfg.shots), 1)
    pk = np.full((*shape, len(ks)), np.nan)
    logp, wf = np.full(shape, np.nan), np.full(shape, np.nan)
    chance = np.zeros(len(cfg.tasks))
    torch.manual_seed(cfg.seed)
    for ti, name in enumerate(cfg.tasks):
        task = make_task(name, **cfg.task_kwargs.get(name, {}))
        chance[ti] = task.chance()
        for si, shots in enumerate(cfg.shots):
            items = render_prompts(task, cfg.n_prompts, shots, cfg.seed, cfg.cot)
            prompts = [p for _, p in items]
            comps = sample(tok, model, prompts, cfg, device, f"{Path(path).name} {name} {shots}-shot")
            c = np.zeros(len(items), int)
            w = 0
            for i, ((inst, _), texts) in enumerate(zip(items, comps, strict=True)):
                for t in texts:
                    v = task.score_text(inst, first_answer(t))
                    c[i] += bool(v["correct"])
                    w += bool(v["well_formed"])
            pk[0, ti, si, 0] = [float(np.mean(pass_at_k(cfg.n_samples, c, k))) for k in ks]
            wf[0, ti, si, 0] = w / (len(items) * cfg.n_samples)
            answers = [task.text_completion(inst) for inst, _ in items]
            logp[0, ti, si, 0] = logp_answer(tok, model, prompts, answers, cfg.batch_size, device).mean()
    dims = ("model", "task", "shots", "split")
    ds = xr.Dataset(
        {
            "base_pass_at_k": ((*dims, "k"), pk),
            "base_logp_answer": (dims, logp),
            "well_formed_frac": (dims, wf),
            "chance": ("task", chance),
            "status": ("model", ["ok"]),
            "wall_s": ("model", [time.time() - t0]),
        },
        coords={
            "model": [str(path)],
            "task": list(cfg.tasks),
            "shots": list(cfg.shots),
            "split": ["id"],
            "k": ks,
            "n_params": ("model", [n_params]),
            "n_params_total": ("model", [n_total]),
        },
    )
    ds.base_logp_answer.attrs["units"] = "nats, summed over the answer text's tokens, mean over prompts"
    ds.attrs.update(
        config=json.dumps({**asdict(cfg), "tasks": list(cfg.tasks), "shots": list(cfg.shots)}),
        device=str(device),
        torch_version=str(torch.__version__),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    return ds


def evaluate_models(paths, cfg: EvalConfig | None = None, **kw) -> xr.Dataset:
    """Several models; one that fails to load or run gets status 'failed' (message in attrs), others go on."""
    cfg = cfg or EvalConfig(**kw)
    parts, errors = [], {}
    for p in paths:
        try:
            parts.append(evaluate_model(p, cfg))
        except Exception as e:  # noqa: BLE001 - one bad checkpoint must not lose the others
            errors[str(p)] = f"{type(e).__name__}: {e}"
    if not parts:
        raise ValueError("no model could be evaluated: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    ds = (
        xr.concat(
            parts,
            dim="model",
            data_vars="minimal",
            coords="minimal",
            compat="override",
            combine_attrs="drop_conflicts",
        )
        if len(parts) > 1
        else parts[0]
    )
    if errors:
        ds.attrs["failed"] = json.dumps(errors)
    return ds
