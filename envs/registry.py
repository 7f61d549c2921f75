"""The task registry: a task registers itself, from inside the package or from a user's module.

    import envs
    from envs import EnvDoc, Task, register_task

    @register_task
    class Reverse(Task):
        name, horizon_arg = "Reverse", "n"
        env_doc = EnvDoc(summary="Write n digits in reverse order.", ...)   # optional
        ...

`register_task` adds the class to `envs.task_names()`, so `CellConfig(task="Reverse")` and
`envs.make_task("Reverse", n=4)` accept it; makes its `gymnasium.Env` (`ReverseEnv`) and its
batched `VectorEnv` (`ReverseVectorEnv`) from `TokenEnv` / `TokenVectorEnv`, with the Gymnasium
docstring sections written from the task's `env_doc` and its constructor's defaults; puts both
classes in the task's module; and registers the id `aha/Reverse-v0` with both entry points.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from .env import ENV_KWARGS, TokenEnv
from .task import Task, build_task
from .vector import TokenVectorEnv

NAMESPACE = "aha"
TASKS: dict[str, type[Task]] = {}
_COMMON_ARGS = ("cot", "hint", "split")  # every task's, documented once below


@dataclass(frozen=True)
class EnvDoc:
    """The task-specific text of an env's docstring; the mechanical sections are generated."""

    summary: str = ""
    """First line: what the agent does (default: the first line of the task class's docstring)."""
    description: str = ""
    """## Description: the prompt and the completion's layout (default: the rest of that paragraph)."""
    correct: str = "well formed (fixed tokens in place, every slot a value token) and its answer exact"
    """What 'correct' means, completing "1 ... if the completion is ..."."""
    dense_step: str = "each correct step token"
    """What earns a dense step reward, completing "on the step that writes ..."."""
    hint: str = "leading step tokens"
    """What `hint` reveals, completing "hint (0..n_steps ... revealed in the prompt after <hint>)"."""
    arguments: dict[str, str] = field(default_factory=dict)
    """Difficulty argument -> its meaning and range, e.g. {"L": "horizon, 1..64"}; the default comes
    from the constructor. Arguments left out are listed with their default only."""
    notes: str = ""
    """Anything else, appended to ## Starting State (e.g. how items are drawn)."""


def _paragraphs(text: str | None) -> list[str]:
    return [" ".join(p.split()) for p in inspect.cleandoc(text or "").split("\n\n") if p.strip()]


def env_docstring(task_cls: type[Task]) -> str:
    """The Gymnasium docstring of a task's env, from its `env_doc` and its constructor."""
    d = getattr(task_cls, "env_doc", None) or EnvDoc()
    paras = _paragraphs(task_cls.__doc__)
    first = paras[0] if paras else f"The {task_cls.name} task."
    summary = d.summary or first.split(". ")[0].rstrip(".") + "."
    description = d.description or first
    sig = inspect.signature(task_cls.__init__).parameters
    args = []
    for a, p in sig.items():
        if a == "self" or a in _COMMON_ARGS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        what = d.arguments.get(a, "")
        if a == task_cls.horizon_arg and "horizon" not in what:
            what = f"horizon, {what}" if what else "horizon"
        default = "" if p.default is inspect.Parameter.empty else f"default {p.default!r}"
        args.append(f"`{a}` ({', '.join(x for x in (what, default) if x)})")
    name = task_cls.name
    text = f"""{summary}

    ## Description
    {description}

    ## Action Space
    `Discrete(30)`: the next token id of the shared vocabulary (`envs.vocab.TOKENS`): `<pad>` `<bos>`
    `<eos>`, the symbols `= , | + - * / ( ) ?`, `<think>` `</think>` `<hint>`, the digits 0-9, the
    filler tokens `<t0>`..`<t2>`, which no task's layout uses (writing one makes the completion ill
    formed), and `<wait>`, ill formed too unless the task takes `revise=True`: then it discards the
    step token just before it inside `<think>` and the verdict judges the trace with every `<wait>`
    collapsed (`envs.revise`: refused, so ill formed, as the first step, after another `<wait>`,
    in the answer or beyond `max_revisions`).

    ## Observation Space
    `Dict(tokens=Box(0, 29, (n_ctx,), int64), length=Discrete(n_ctx + 1))`: the token buffer
    `<bos> prompt completion-so-far` padded with `<pad>` (0), and the number of real tokens
    (numpy). The batched twin `{name}VectorEnv` returns the same keys as torch int64 tensors of
    shape (num_envs, n_ctx) and (num_envs,) on its device; its spaces accept them.

    ## Rewards
    `reward="sparse"` (default): 1 on the step that delivers the verdict if the completion is
    {d.correct}, else `format_bonus` if well formed, else 0. The verdict is delivered on the step
    that ends the answer (`<eos>`, or the completion's last allowed token) when `delay=0`, otherwise
    `delay` steps later (actions during the delay are ignored). `reward="dense"`: 1/(n_steps+1) on
    the step that writes {d.dense_step}, plus 1/(n_steps+1) for a correct answer at the verdict
    (n_steps: the step slots of the chain of thought). `noise=e` flips the verdict's correctness
    with probability e; `reward="random"` pays Bernoulli(`random_p`) regardless.

    ## Starting State
    Item `index` of the stream `seed` (`reset(seed=s)` starts stream s at index 0, each later
    `reset()` takes the next index; `options={{"index": i}}` picks item i). {d.notes}

    ## Episode End
    Terminated when the verdict is delivered after `<eos>`; truncated when the completion
    reaches its length limit without `<eos>` (the verdict is still delivered, ill formed).

    ## Rendering
    `render_mode="ansi"`: `render()` returns labelled lines, `prompt` and `completion` (tokens
    separated by spaces, so the token `|` never doubles as a separator), with the verdict once
    it is delivered.

    ## Arguments
    {", ".join(args)}{", " if args else ""}`cot` (chain of thought, default True), `hint` (0..n_steps
    {d.hint} revealed in the prompt after `<hint>`), `split` ("all" default, "train" or "eval":
    only questions of that content part, see `envs.splits`), `think_flag` (False default; True: the
    prompt ends with `<think>` when the trace is asked for, else `</think>`), `reward`, `delay`, `format_bonus`,
    `noise`, `random_p`, `n_ctx` (default: the minimum that fits), `render_mode` (None or "ansi").

    ## Version History
    - v0: initial version.
    """
    return _wrap(textwrap.dedent("    " + text))


def _wrap(text: str, width: int = 96) -> str:
    """Re-flow each prose paragraph (headings and list items stay as they are)."""
    out = []
    for para in text.strip().split("\n\n"):
        lines = para.split("\n")
        head = [ln for ln in lines if ln.startswith(("## ", "- "))]
        body = " ".join(ln.strip() for ln in lines if ln not in head)
        out.append("\n".join(head + ([textwrap.fill(body, width)] if body else [])))
    return "\n\n".join(out) + "\n"


def env_id(name: str) -> str:
    return f"{NAMESPACE}/{name}-v0"


def register_task(task_cls: type[Task]) -> type[Task]:
    """Class decorator: register a `Task` subclass, its two envs and its Gymnasium id.

    Registering a class again under the same name replaces the old one when it comes from the same
    module and class name (a reloaded module); another class under a taken name is an error."""
    _check(task_cls)
    name = task_cls.name
    old = TASKS.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (task_cls.__module__, task_cls.__qualname__):
        raise ValueError(
            f"task name {name!r} is already registered by {old.__module__}.{old.__qualname__}; "
            "give the new task another name"
        )
    doc = env_docstring(task_cls)
    made = {}
    for suffix, base, text in (
        ("Env", TokenEnv, doc),
        ("VectorEnv", TokenVectorEnv, f"Batched, torch-native twin of `{name}Env` (see its docstring for the MDP)."),
    ):
        made[suffix] = type(
            f"{name}{suffix}",
            (base,),
            {
                "__doc__": text,
                "task_cls": task_cls,
                "__module__": task_cls.__module__,
                "__qualname__": f"{name}{suffix}",
            },
        )
    module = sys.modules.get(task_cls.__module__)
    if module is not None:
        for cls in made.values():
            setattr(module, cls.__name__, cls)
    task_cls.Env, task_cls.VectorEnv = made["Env"], made["VectorEnv"]
    TASKS[name] = task_cls
    if env_id(name) in gym.registry:
        del gym.registry[env_id(name)]
    in_package = task_cls.__module__.startswith(f"{__package__}.")
    gym.register(
        id=env_id(name),
        entry_point=f"{task_cls.__module__}:{name}Env" if in_package else made["Env"],
        vector_entry_point=f"{task_cls.__module__}:{name}VectorEnv" if in_package else made["VectorEnv"],
    )
    return task_cls


def unregister_task(name: str) -> None:
    """Remove a task and its Gymnasium id (for tests and notebooks that re-define a task)."""
    TASKS.pop(name, None)
    if env_id(name) in gym.registry:
        del gym.registry[env_id(name)]


def _check(task_cls: Any) -> None:
    """One-line errors for the usual slips of a new task class."""
    if not (isinstance(task_cls, type) and issubclass(task_cls, Task)):
        raise ValueError(f"register_task takes a subclass of envs.Task, got {task_cls!r}")
    who = task_cls.__qualname__
    name = task_cls.__dict__.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ValueError(
            f"task {who} must set name = 'Name' (letters, digits, '_'; the id is {NAMESPACE}/Name-v0), got {name!r}"
        )
    if inspect.isabstract(task_cls):
        raise ValueError(f"task {name} must define {', '.join(sorted(task_cls.__abstractmethods__))}")
    params = inspect.signature(task_cls.__init__).parameters
    harg = getattr(task_cls, "horizon_arg", None)
    if harg not in params:
        raise ValueError(
            f"task {name} must set horizon_arg to one of its constructor's arguments "
            f"({', '.join(a for a in params if a != 'self')}), got {harg!r}"
        )
    clash = sorted(set(params) & set(ENV_KWARGS))
    if clash:
        raise ValueError(f"task {name}: argument {clash[0]!r} is taken by the env; rename it")
    doc = getattr(task_cls, "env_doc", None)
    if doc is not None and not isinstance(doc, EnvDoc):
        raise ValueError(f"task {name}: env_doc must be an envs.EnvDoc, got {type(doc).__name__}")


def task_names() -> list[str]:
    """Registered task names, in registration order (the package's five first)."""
    return list(TASKS)


def task_class(name: str) -> type[Task]:
    if name not in TASKS:
        raise ValueError(
            f"task must be one of {', '.join(TASKS)}; got {name!r} (a task of your own registers "
            "itself with @envs.register_task when its module is imported)"
        )
    return TASKS[name]


def make_task(name: str, **kwargs: Any) -> Task:
    """A task by name with its difficulty arguments, e.g. make_task("ModChain", L=5)."""
    return build_task(task_class(name), kwargs)
