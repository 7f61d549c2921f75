"""Base-model measurements for a forecast: run a local checkpoint, or read results made elsewhere.

    res = measure_model(MeasureConfig(model="path/to/ckpt", benchmark="mine.jsonl", tasks=("ModChain",)))
    res = read_results("samples.csv")      # columns prompt_id, sample, correct (optional benchmark)
    res = read_results("lm_eval.json")     # lm-evaluation-harness output: pass@1 per task only

Each returns (list of `benchmark.PromptResults` or summaries, total parameters or NaN, the protocol
used). A local run samples `k_max` completions per prompt (pass@k up to k_max from theory's unbiased
estimator) and one greedy completion, batched through HF generate (llm_bridge.local_eval.generate_texts),
offline; prompts go through the tokenizer's chat template when it has one (`chat_template="auto"`), and
the answer is found by llm_bridge.answers (a boxed or final answer).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envs import make_task, task_names

from .benchmark import Item, PromptResults, answer_text, load_jsonl

MIN_K_MAX = 64
LLM_EXTRA = "pip install 'aha-playground[llm]'  (from a clone: pip install -e '.[llm]')"
CHAT_CHOICES = ("auto", "on", "off")


def require_transformers() -> None:
    """Stop at once, with the install line, when the `[llm]` extra (transformers) is missing."""
    try:
        import transformers  # noqa: F401, PLC0415
    except ImportError:
        raise ValueError(f"--model needs Hugging Face transformers, the [llm] extra: {LLM_EXTRA}") from None


@dataclass
class MeasureConfig:
    model: str
    """Local Hugging Face checkpoint directory (loaded offline, trust_remote_code off)."""
    benchmark: str | None = None
    """JSONL file of problems (llm_bridge.benchmark), or None."""
    tasks: tuple[str, ...] = ()
    """Project tasks (envs.task_names()) rendered as text; default ModChain when no benchmark is given."""
    k_max: int = MIN_K_MAX
    """Samples per prompt; pass@k is reported up to k = k_max (>= 64)."""
    n_prompts: int = 64
    """Instances per project task (>= 1); a JSONL benchmark uses all its lines."""
    shots: int = 3
    """Few-shot examples before each project-task prompt (>= 0)."""
    max_new_tokens: int = 1024
    """Generation budget per completion (>= 1); the default leaves room for chain of thought, as the
    published numbers do."""
    chat_template: str = "auto"
    """auto: use the tokenizer's chat template when it has one; on: require it; off: plain text."""
    cot: bool = True
    """Project-task prompts ask for step-by-step work before the 'Answer:' line (False: answer only)."""
    temperature: float = 1.0
    """Sampling temperature (> 0)."""
    batch_size: int = 256
    """Sequences per generate call (>= 1)."""
    device: str = "auto"
    """auto (CUDA when present), cpu or cuda."""
    seed: int = 0
    """Evaluation stream of the project tasks; seeds torch sampling."""
    items: list[Item] = field(init=False, repr=False)
    """The benchmark's problems, read and checked once (empty without a benchmark)."""

    def __post_init__(self):
        self.tasks = tuple(self.tasks)
        if not self.tasks and self.benchmark is None:
            self.tasks = ("ModChain",)
        bad = [t for t in self.tasks if t not in task_names()]
        if bad:
            raise ValueError(f"--tasks must be names from {', '.join(task_names())}; got {', '.join(bad)}")
        for name, lo in (
            ("k_max", MIN_K_MAX),
            ("n_prompts", 1),
            ("shots", 0),
            ("max_new_tokens", 1),
            ("batch_size", 1),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"--{name.replace('_', '-')} must be an integer >= {lo}; got {v!r}")
        if not self.temperature > 0:
            raise ValueError(f"--temperature must be > 0; got {self.temperature!r}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ValueError(f"--device must be auto, cpu or cuda; got {self.device!r}")
        if self.device.startswith("cuda"):
            import torch  # noqa: PLC0415

            if not torch.cuda.is_available():
                raise ValueError("--device cuda: no CUDA device is visible here; use --device auto or cpu")
        if self.chat_template not in CHAT_CHOICES:
            raise ValueError(f"--chat-template must be one of {', '.join(CHAT_CHOICES)}; got {self.chat_template!r}")
        from .local_eval import checkpoint_problem  # noqa: PLC0415

        problem = checkpoint_problem(self.model)
        if problem:
            raise ValueError(f"--model: {problem}")
        # bad lines stop here, before anything is fitted or loaded
        self.items = load_jsonl(self.benchmark) if self.benchmark else []


def _use_chat(tok, cfg: MeasureConfig) -> bool:
    has = bool(getattr(tok, "chat_template", None))
    if cfg.chat_template == "on" and not has:
        raise ValueError(f"--chat-template on: the tokenizer of {cfg.model} has no chat template; use auto or off")
    return has and cfg.chat_template != "off"


def _task_job(task, name: str, cfg: MeasureConfig, tok, chat: bool):
    """(name, prompts, judge, chance) of one project task rendered as text."""
    from . import local_eval as le  # noqa: PLC0415

    pairs = le.render_prompts(task, cfg.n_prompts, 0 if chat else cfg.shots, cfg.seed, cot=cfg.cot)
    if chat:  # few-shot examples as earlier turns, from the shot stream, never an evaluation question
        asked, ex, j = {p for _, p in pairs}, [], 0
        while len(ex) < cfg.shots:
            e = task.generate(cfg.seed + le.SHOT_STREAM, j)
            j += 1
            if task.text_prompt(e, cfg.cot) not in asked:
                ex.append((task.text_prompt(e, cfg.cot), task.text_completion(e)))
        pairs = [(inst, le.chat_prompt(tok, p, ex)) for inst, p in pairs]

    def judge(i, t, pairs=pairs):
        return bool(task.score_text(pairs[i][0], "Answer: " + answer_text(le.first_answer(t)))["correct"])

    return name, [p for _, p in pairs], judge, float(task.chance())


def measure_model(cfg: MeasureConfig) -> tuple[list[PromptResults], float, dict]:
    """Sampled and greedy outcomes per prompt for every benchmark of `cfg`; total parameters; the
    protocol (chat template used or not, tokens, temperature, shots, chain of thought)."""
    import torch  # noqa: PLC0415

    from . import local_eval as le  # noqa: PLC0415  (torch and transformers only when a model runs)

    items = cfg.items
    device = le.resolve_device(cfg.device)
    tok, model = le.load_model(cfg.model, device)
    chat = _use_chat(tok, cfg)
    _, n_total = le.count_params(model)
    torch.manual_seed(cfg.seed)
    gen = dict(max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size, device=device, special_tokens=not chat)
    jobs = []  # (name, prompts, judge(i, text) -> bool, chance)
    if items:
        prompts = [le.chat_prompt(tok, it.prompt) if chat else it.prompt for it in items]
        chance = float(np.mean([it.chance for it in items]))
        jobs.append((Path(cfg.benchmark).stem, prompts, lambda i, t: items[i].correct(t), chance))
    jobs += [_task_job(make_task(name), name, cfg, tok, chat) for name in cfg.tasks]
    out = []
    for name, prompts, judge, chance in jobs:
        samples = le.generate_texts(
            tok,
            model,
            prompts,
            cfg.k_max,
            temperature=cfg.temperature,
            desc=f"{name}: {cfg.k_max} samples × {len(prompts)} prompts",
            **gen,
        )
        greedy = le.generate_texts(tok, model, prompts, 1, do_sample=False, desc=f"{name}: greedy", **gen)
        c = np.array([sum(judge(i, t) for t in ts) for i, ts in enumerate(samples)])  # (P,)
        g = np.array([float(judge(i, ts[0])) for i, ts in enumerate(greedy)])  # (P,)
        out.append(PromptResults(name, np.full(len(prompts), cfg.k_max), c, g, chance))
    protocol = {
        "chat_template": chat,
        "max_new_tokens": cfg.max_new_tokens,
        "temperature": cfg.temperature,
        "shots": cfg.shots if cfg.tasks else 0,
        "cot": cfg.cot,
        "answer": "llm_bridge.answers.extract_answer (boxed, then Answer:, then 'the answer is')",
    }
    return out, float(n_total), protocol


CSV_COLUMNS = ("prompt_id", "sample", "correct")
_TRUE, _FALSE = ("1", "true", "yes", "1.0"), ("0", "false", "no", "0.0")


def read_sample_csv(path: Path) -> list[PromptResults]:
    """Per-prompt sample correctness: columns prompt_id, sample, correct (0/1), optional benchmark."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path.name}: missing column(s) {', '.join(missing)}; need "
                f"{', '.join(CSV_COLUMNS)} (optional: benchmark)"
            )
        counts: dict[str, dict[str, list[int]]] = {}
        seen = set()
        for i, row in enumerate(reader, start=2):
            v = (row["correct"] or "").strip().lower()
            if v not in _TRUE + _FALSE:
                raise ValueError(f"{path.name} line {i}: column 'correct' must be 0/1 or true/false; got {v!r}")
            bench, pid = (row.get("benchmark") or "results").strip(), (row["prompt_id"] or "").strip()
            key = (bench, pid, (row["sample"] or "").strip())
            if not pid or key in seen:
                raise ValueError(
                    f"{path.name} line {i}: "
                    + ("empty prompt_id" if not pid else f"sample {key[2]!r} of prompt {pid!r} given twice")
                )
            seen.add(key)
            counts.setdefault(bench, {}).setdefault(pid, []).append(int(v in _TRUE))
    if not counts:
        raise ValueError(f"{path.name}: no rows")
    return [
        PromptResults(
            b, np.array([len(x) for x in d.values()]), np.array([sum(x) for x in d.values()]), np.full(len(d), np.nan)
        )
        for b, d in counts.items()
    ]


def read_results(path: str | Path) -> tuple[list, float, dict]:
    """A CSV of sample correctness -> PromptResults; an lm-eval JSON -> summaries with pass@1 only."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"--from-results: no such file {p}")
    if p.suffix.lower() == ".csv":
        return read_sample_csv(p), float("nan"), {}
    if p.suffix.lower() != ".json":
        raise ValueError(
            f"--from-results must be a .csv (prompt_id, sample, correct) or an lm-eval .json; got {p.name}"
        )
    from .lm_eval import load_lm_eval  # noqa: PLC0415
    from .published import pass_at_k_view  # noqa: PLC0415

    ds = load_lm_eval([p])
    v = pass_at_k_view(ds).sel(k=1)
    out = []
    for b in v.benchmark.values:
        p1 = float(v.base_pass_at_k.sel(benchmark=b).isel(model=0))
        if np.isfinite(p1):
            out.append(
                {
                    "benchmark": str(b),
                    "pass1": p1,
                    "metric": str(v.pass_at_k_metric.sel(benchmark=b).isel(model=0).values),
                }
            )
    if not out:
        raise ValueError(f"{p.name}: no task has an accuracy metric (acc, exact_match) to forecast from")
    return out, float(ds.n_params.values[0]), {}
