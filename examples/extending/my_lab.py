"""Extending the playground from your own file: a task, an RL algorithm and a preset, no package edits.

    aha grid --presets-file examples/extending/my_lab.py --preset reverse-lab
    aha grid --presets-file examples/extending/my_lab.py --preset reverse-lab --set width=8 --set seed=0 \\
        --set pretrain_tokens=2000 --set rl_updates=2 --set eval_prompts=8 --set k_max=4 --no-report

The second is a smoke run of 3 cells: about 5 CPU-seconds of work (measured with one torch thread);
the wall time depends on the machine's load (README.md beside this file gives what was measured).

The task protocol, method by method (what `None` means in a layout, the 4-tuple `generate_parts`
returns, `questions()` and QUESTION_LIMIT, why the plain and batched halves must agree and how
`envs.check_task` checks that): README.md beside this file, and the docstring of envs/task.py.

`aha grid --presets-file` runs this file before anything is validated, so what it registers is known
to `CellConfig`: the task (`@register_task`: `CellConfig(task="Reverse")`, `gymnasium.make("aha/Reverse-v0")`,
`gymnasium.make_vec(...)`), the algorithm (`register_algorithm`: `CellConfig(algo="sign_grpo")`) and
the presets (`PRESETS`). A module beside this file can be imported from it too (`import my_task`):
the file's folder is on `sys.path` while it loads.

Each part is independent: keep only the task in a module of its own and import that module from
any script or presets file; likewise the algorithm. Tests for your own parts follow the package's
(tests/test_envs_registry.py for a task, tests/test_rl.py for an algorithm); tests/test_extending.py
runs this file.

The Ray executor (`--executor ray`) runs this file in each worker before its first cell, so the
same command with `--executor ray [--address HEAD:6379]` runs the preset on a cluster.
"""

from __future__ import annotations

import torch

from envs import EnvDoc, Task, register_task, vocab
from envs.hashing import randint
from envs.splits import QUESTION_LIMIT
from envs.task import Instance, check_int, product_space
from toymodels.algos import Algorithm, register_algorithm
from toymodels.grid import GridSpec


# --- a task: write n digits in reverse order -------------------------------------------------------
@register_task
class Reverse(Task):
    """Reverse: write the n prompt digits in reverse order.

    prompt      d_1 d_2 ... d_n =
    completion  <think> d_n ... d_1 </think> d_n ... d_1 <eos>

    Wrong rule (copy): the digits in prompt order.
    """

    name = "Reverse"
    horizon_arg = "n"
    env_doc = EnvDoc(
        summary="Write the n prompt digits in reverse order, with a sparse reward at the end.",
        description="The prompt lists n digits and '='. With the chain of thought on, the agent writes "
        "`<think>`, the digits in reverse order, `</think>`, the reversed digits again as the answer and `<eos>`.",
        dense_step="each correct reversed digit",
        hint="leading reversed digits",
        arguments={"n": "horizon, 1..16"},
    )

    def __init__(self, n: int = 4, cot: bool = True, hint: int = 0, split: str = "all"):
        self.n = check_int("n", n, 1, 16)
        super().__init__(cot=cot, hint=hint, split=split)

    def difficulty(self):
        return {"n": self.n}

    def question_len(self):
        return self.n + 1

    def step_layout(self):  # None: a value slot (a digit, checked against the target); an int: a fixed token
        return [None] * self.n

    def answer_layout(self):
        return [None] * self.n

    def chance(self):
        return 10.0**-self.n

    def generate_parts(self, seed, index):  # (question, steps, answer, metadata): the plain reference
        d = [randint(seed, index, j, 10) for j in range(self.n)]
        rev = [vocab.DIGIT0 + x for x in reversed(d)]
        return [vocab.DIGIT0 + x for x in d] + [vocab.EQ], rev, list(rev), {"digits": d}

    def batch_parts(self, seed, index):  # the same items batched: row b = generate_parts(seed[b], index[b])[:3]
        j = torch.arange(self.n, device=seed.device)
        d = randint(seed[:, None], index[:, None], j[None, :], 10) + vocab.DIGIT0  # (B, n)
        eq = torch.full_like(d[:, :1], vocab.EQ)
        return torch.cat([d, eq], 1), d.flip(1), d.flip(1)

    def wrong_parts(self, question, steps, answer):
        copy = list(question[: self.n])
        return copy, list(copy)

    def wrong_batch_parts(self, question, steps, answer):
        copy = question[:, : self.n]
        return copy, copy.clone()

    def questions(self):  # every distinct question, when there are few enough to count held-out ones exactly
        if 10**self.n > QUESTION_LIMIT:
            return None
        d = product_space([10] * self.n) + vocab.DIGIT0  # (10^n, n)
        return torch.cat([d, torch.full_like(d[:, :1], vocab.EQ)], 1)

    def text_question(self, inst: Instance) -> str:
        return f"Write the digits {' '.join(map(str, inst.metadata['digits']))} in reverse order."


# --- an RL algorithm: the sign of the group-centred reward ----------------------------------------
def sign_advantages(r: torch.Tensor, cfg) -> torch.Tensor:
    """r (S, groups, G) -> +1 above the group mean, -1 below, 0 at it: scale-free GRPO."""
    return torch.sign(r - r.mean(-1, keepdim=True))


register_algorithm(
    Algorithm("sign_grpo", "sign of the group-centred reward (a scale-free GRPO)", sign_advantages), replace=True
)


# --- a preset: the three algorithms on the new task ------------------------------------------------
def reverse_lab() -> GridSpec:
    return GridSpec(
        "reverse-lab",
        axes={"width": [16, 32, 64], "depth": [1], "seed": [0, 1]},
        fixed={"task": "Reverse", "horizon": 3, "pretrain_tokens": 200_000, "rl_updates": 60},
        variants={"grpo": {}, "sign": {"algo": "sign_grpo"}, "reinforce": {"algo": "reinforce"}},
        description="Reverse n=3 digits: GRPO against its sign-only variant and REINFORCE with a batch-mean "
        "baseline, at three widths (an example of extending the playground, not a prediction).",
    )


PRESETS = {"reverse-lab": reverse_lab}
