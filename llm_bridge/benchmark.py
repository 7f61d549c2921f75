"""A user's benchmark in JSONL, its verifiers, and the per-prompt statistics a forecast needs.

One line per problem: ``{"prompt": "...", "answer": "42", "verifier": "numeric", "chance": 0.5}``;
`verifier` is optional (default: `numeric` when the answer is a number, else `exact`); `chance`, the
probability of a right answer by guessing (0.5 for yes/no, 0.25 for four choices), is optional
(default 0) and lets the forecast say when a model answers at chance. A completion is judged on its
answer text (llm_bridge.answers.extract_answer: the last \\boxed{...}, else the first 'Answer:' line,
else what follows "the answer is"):

- `numeric`: the last number in the answer text equals the answer (relative tolerance 1e-6); without
  an answer text, the last number of the whole completion;
- `exact`: the answer text, stripped of surrounding whitespace, equals the answer stripped; without an
  answer text, the completion's last non-empty line.

`PromptResults` holds, per prompt, the number of correct samples out of n and the greedy result;
`summarize` turns it into base greedy accuracy, sampled pass@1, unbiased pass@k and the
informative-group fraction at G.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.credit import phi
from theory.passk import pass_at_k

from .answers import extract_answer

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def answer_text(completion: str) -> str:
    """The part of a completion that is judged (see the module doc): the extracted answer, else the
    completion's last non-empty line."""
    ans = extract_answer(completion)
    if ans is not None:
        return ans
    return next((x for x in reversed(completion.splitlines()) if x.strip()), "")


def _number(text: str) -> float | None:
    found = _NUMBER.findall(text.replace(",", ""))
    return float(found[-1]) if found else None


def verify_numeric(completion: str, answer: str) -> bool:
    ans = extract_answer(completion)
    got, want = _number(completion if ans is None else ans), _number(answer)
    return got is not None and want is not None and abs(got - want) <= 1e-6 * max(1.0, abs(want))


def verify_exact(completion: str, answer: str) -> bool:
    return answer_text(completion).strip() == answer.strip()


VERIFIERS = {"numeric": verify_numeric, "exact": verify_exact}


@dataclass
class Item:
    prompt: str
    answer: str
    verifier: str
    chance: float = 0.0

    def correct(self, completion: str) -> bool:
        return VERIFIERS[self.verifier](completion, self.answer)


def load_jsonl(path: str | Path) -> list[Item]:
    """Problems of a JSONL benchmark; the first bad line stops with a one-line error naming it."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"--benchmark: no such file {p}")
    items = []
    for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{p.name} line {i}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(
                f"{where}: not JSON ({e.msg}); each line is "
                '{"prompt": "...", "answer": "...", "verifier": "numeric"|"exact", "chance": 0.0}'
            ) from None
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: a line must be a JSON object with keys prompt, answer (and verifier)")
        prompt, answer = obj.get("prompt"), obj.get("answer")
        if not isinstance(prompt, str) or not prompt:
            raise ValueError(f"{where}: 'prompt' must be a non-empty string")
        if isinstance(answer, bool) or not isinstance(answer, str | int | float) or str(answer) == "":
            raise ValueError(f"{where}: 'answer' must be a non-empty string or a number")
        answer = str(answer)
        verifier = obj.get("verifier") or ("numeric" if _NUMBER.fullmatch(answer.strip()) else "exact")
        if verifier not in VERIFIERS:
            raise ValueError(f"{where}: 'verifier' must be one of {', '.join(VERIFIERS)}; got {verifier!r}")
        chance = obj.get("chance", 0.0)
        if isinstance(chance, bool) or not isinstance(chance, int | float) or not 0 <= chance < 1:
            raise ValueError(f"{where}: 'chance' must be a number in [0, 1) (0.5 for yes/no); got {chance!r}")
        items.append(Item(prompt, answer, verifier, float(chance)))
    if not items:
        raise ValueError(f"{p.name}: no problems (one JSON object per line)")
    return items


@dataclass
class PromptResults:
    """Per-prompt outcomes of one benchmark: `correct` (P,) correct samples out of `n` (P,) each,
    `greedy` (P,) 1/0 for the greedy completion (NaN when not measured), the task's `chance`."""

    name: str
    n: np.ndarray
    correct: np.ndarray
    greedy: np.ndarray
    chance: float = 0.0


def informative_fraction(n, c, G: int) -> np.ndarray:
    """Per prompt, the probability that a group of G of its samples mixes right and wrong answers.

    With n ≥ G samples this is exact for the measured samples (G drawn without replacement):
    1 − C(n−c, G)/C(n, G) − C(c, G)/C(n, G) = pass@G(c) + pass@G(n−c) − 1, the unbiased estimate of
    1 − p^G − (1 − p)^G. With n < G it falls back to the plug-in φ(c/n, G)."""
    n, c = np.asarray(n, dtype=int), np.asarray(c, dtype=int)
    plug = phi(c / n, G)
    big = n >= G
    out = np.asarray(plug, dtype=float).copy()
    if big.any():
        nb, cb = n[big], c[big]
        out[big] = pass_at_k(nb, cb, G) + pass_at_k(nb, nb - cb, G) - 1.0
    return out


def ks_up_to(k_max: int) -> list[int]:
    """1, 2, 4, ... up to k_max, and k_max itself."""
    ks = [2**i for i in range(int(np.log2(k_max)) + 1)]
    return ks if ks[-1] == k_max else [*ks, k_max]


def summarize(r: PromptResults, G: int) -> dict:
    """greedy accuracy, sampled pass@1, pass@k for k = 1, 2, 4, ... ≤ min n, informative fraction at G
    (mean over prompts, see `informative_fraction`) and its plug-in 1 − p^G − (1 − p)^G for comparison."""
    n, c = np.asarray(r.n, dtype=int), np.asarray(r.correct, dtype=int)
    ks = ks_up_to(int(n.min()))
    g = np.asarray(r.greedy, dtype=float)
    return {
        "benchmark": r.name,
        "n_prompts": int(len(n)),
        "n_samples": int(n.min()) if len(set(n.tolist())) == 1 else [int(n.min()), int(n.max())],
        "chance": float(r.chance),
        "greedy_accuracy": float(np.mean(g)) if np.isfinite(g).all() and g.size else float("nan"),
        "pass1": float(np.mean(c / n)),
        "pass_at_k": {int(k): float(np.mean(pass_at_k(n, c, k))) for k in ks},
        "informative_fraction": float(np.mean(informative_fraction(n, c, G))),
        "informative_fraction_plugin": float(np.mean(phi(c / n, G))),
        "G": int(G),
    }
