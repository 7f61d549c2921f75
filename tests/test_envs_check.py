"""envs.check_task (issue 26, the extension guide): a task's plain and batched halves agree, and the
check fails, in one line naming the difference, on a task whose halves do not."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import envs
from aha.presets import load_presets_file
from envs import vocab
from envs.tasks.mod_chain import ModChain
from toymodels.algos import ALGORITHMS

MY_LAB = Path(__file__).resolve().parents[1] / "examples" / "extending" / "my_lab.py"


@pytest.mark.parametrize("name", envs.task_names())
def test_every_registered_task_passes(name):
    envs.check_task(envs.make_task(name))


@pytest.mark.parametrize(
    "kwargs", [{"L": 3, "revise": True}, {"L": 3, "split": "eval"}, {"L": 3, "hint": 2}, {"L": 3, "cot": False}]
)
def test_modchain_variants_pass(kwargs):
    envs.check_task(envs.make_task("ModChain", **kwargs))


def test_the_extension_example_task_passes():
    load_presets_file(MY_LAB)
    try:
        envs.check_task(envs.make_task("Reverse", n=3))
    finally:
        envs.unregister_task("Reverse")
        ALGORITHMS.pop("sign_grpo", None)


def _shift(t):
    return (t - vocab.DIGIT0 + 1) % 10 + vocab.DIGIT0


class BatchDiffers(ModChain):
    """The batched answer is one off from the plain one."""

    def batch_parts(self, seed, index):
        q, s, a = super().batch_parts(seed, index)
        return q, s, _shift(a)


class VerifyOneDiffers(ModChain):
    """The plain verifier accepts every answer."""

    def verify_one(self, inst, completion):
        return {**super().verify_one(inst, completion), "correct": True}


class MissingQuestions(ModChain):
    def questions(self):
        return super().questions()[::2]  # half of them


class WrongIsRight(ModChain):
    def wrong_parts(self, question, steps, answer):
        return list(steps), list(answer)

    def wrong_batch_parts(self, question, steps, answer):
        return steps, answer


class BadLayout(ModChain):
    """The plain and batched halves agree, but the answer holds a token that is not a value token."""

    def generate_parts(self, seed, index):
        q, s, a, meta = super().generate_parts(seed, index)
        return q, s, [vocab.EQ] * len(a), meta

    def batch_parts(self, seed, index):
        q, s, a = super().batch_parts(seed, index)
        return q, s, a.fill_(vocab.EQ)


@pytest.mark.parametrize(
    "cls, message",
    [
        (BatchDiffers, "batch_parts and generate_parts differ at seed 0, index 0: completion"),
        (VerifyOneDiffers, "verify and verify_one disagree on correct at seed 0"),
        (MissingQuestions, "is not among questions()"),
        (WrongIsRight, "the wrong rule gives fully correct traces on all 128 items of seed 0"),
        (BadLayout, "does not follow the layout"),
    ],
)
def test_a_task_whose_halves_differ_fails_in_one_line(cls, message):
    with pytest.raises(ValueError, match="^ModChain") as e:
        envs.check_task(cls(L=3))
    assert message in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_the_extension_guide_code_runs_as_written():
    """examples/extending/README.md's python blocks, from the repository root in a fresh interpreter."""
    root = MY_LAB.parents[2]
    blocks = re.findall(r"^```python\n(.*?)^```", (MY_LAB.parent / "README.md").read_text(), re.S | re.M)
    assert len(blocks) >= 2
    for code in blocks:
        r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{code}\n--- stderr:\n{r.stderr[-3000:]}"
