"""Extension points (issue 16): examples/extending/my_lab.py adds a task, an RL algorithm and a
preset from outside the package and runs through `aha grid`; presets files import their own
modules; the README and the CLI list what the registries hold."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import envs
from aha.presets import PRESETS, get_preset, load_presets_file
from envs import vocab
from toymodels import CellConfig, advantages
from toymodels.algos import ALGORITHMS

ROOT = Path(__file__).resolve().parents[1]
MY_LAB = ROOT / "examples" / "extending" / "my_lab.py"


@pytest.fixture
def lab():
    """my_lab.py loaded as `aha grid --presets-file` loads it; its task and algorithm removed afterwards."""
    presets = load_presets_file(MY_LAB)
    yield presets
    envs.unregister_task("Reverse")
    ALGORITHMS.pop("sign_grpo", None)


def test_my_lab_runs_through_aha_grid(tmp_path, monkeypatch):
    """The CI smoke test of the worked example, with the command line its docstring runs (through
    aha.cli.main in this process, from another directory; its task and algorithm removed afterwards)."""
    from aha.cli import main  # noqa: PLC0415

    out = tmp_path / "run"
    monkeypatch.chdir(tmp_path)
    args = ["grid", "--presets-file", str(MY_LAB), "--preset", "reverse-lab"]
    for s in ("width=8", "seed=0", "pretrain_tokens=2000", "rl_updates=2", "eval_prompts=8", "k_max=4"):
        args += ["--set", s]
    try:
        assert main([*args, "--out", str(out), "--quiet", "--no-report"]) == 0
    finally:
        envs.unregister_task("Reverse")
        ALGORITHMS.pop("sign_grpo", None)
    from toymodels.storage import load_dataset  # noqa: PLC0415

    ds = load_dataset(out / "grid.nc")
    assert list(ds.variant.values) == ["grpo", "sign", "reinforce"]
    assert (ds.status == "ok").all()
    assert float(ds.chance.max()) == pytest.approx(1e-3)  # Reverse with n = 3: the task really ran


def test_my_lab_task_is_a_full_task(lab):
    task = envs.make_task("Reverse", n=3)
    seeds, idx = torch.zeros(6, dtype=torch.long), torch.arange(6)
    prompts, targets = task.batch(seeds, idx)
    for i in range(6):  # the batched generator is the reference one
        inst = task.generate(0, i)
        assert prompts[i].tolist() == list(inst.prompt) and targets[i].tolist() == list(inst.target)
        digits = inst.prompt[:3]
        assert inst.target == (vocab.THINK, *digits[::-1], vocab.END_THINK, *digits[::-1], vocab.EOS)
    v = task.verify(prompts, targets, targets)
    assert v.correct.all() and v.trace_correct.all()
    wrong = task.batch(seeds, idx, wrong=torch.ones(6, dtype=torch.bool))[1]
    assert not task.verify(prompts, wrong, targets).correct[prompts[:, 0] != prompts[:, 2]].any()
    check_env(gym.make("aha/Reverse-v0", n=3).unwrapped)
    assert "`n` (horizon, 1..16, default 4)" in envs.task_class("Reverse").Env.__doc__
    venv = gym.make_vec("aha/Reverse-v0", num_envs=4, n=3)
    venv.reset(seed=0)
    total = torch.zeros(4, dtype=torch.float64)
    for t in range(task.completion_len):
        _, r, *_ = venv.step(venv.unwrapped.targets[:, t])
        total += r
    assert total.tolist() == [1.0] * 4


def test_my_lab_algorithm_and_preset_are_known(lab):
    assert "reverse-lab" in lab and get_preset("reverse-lab", lab).n_cells == 18
    cfg = CellConfig(task="Reverse", algo="sign_grpo", horizon=3)
    r = torch.tensor([[0.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]])
    adv, _ = advantages(r, 4, cfg)
    assert adv.tolist() == [[-1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]


def test_a_presets_file_imports_a_task_module_beside_it(tmp_path):
    (tmp_path / "sibling_task.py").write_text(
        "import envs\nfrom envs.tasks.mod_chain import ModChain\n\n\n"
        "@envs.register_task\nclass Sibling(ModChain):\n    name = 'Sibling'\n"
    )
    (tmp_path / "lab.py").write_text(
        "import sibling_task  # noqa: F401\nfrom toymodels.grid import GridSpec\n\n"
        "PRESETS = {'sib': lambda: GridSpec('sib', axes={'width': [8], 'depth': [1], 'seed': [0]},\n"
        "                                   fixed={'task': 'Sibling', 'horizon': 3})}\n"
    )
    try:
        spec = get_preset("sib", load_presets_file(tmp_path / "lab.py"))
        assert spec.groups()[0].config.make_task().name == "Sibling"
    finally:
        envs.unregister_task("Sibling")
        sys.modules.pop("sibling_task", None)
        sys.path.remove(str(tmp_path))


def test_readme_task_table_lists_every_registered_task_with_its_defaults():
    text = (ROOT / "README.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `aha/(\w+)-v0` \|.*$", text, re.M)}
    package = [n for n in envs.task_names() if envs.task_class(n).__module__.startswith("envs.")]
    assert set(rows) == set(package)
    for name, row in rows.items():
        cls = envs.task_class(name)
        for arg, p in inspect.signature(cls.__init__).parameters.items():
            if arg not in ("self", "cot", "hint", "split"):
                assert f"`{arg}`={p.default!r}" in row, (name, arg)
        assert (
            f"`{cls.horizon_arg}`={inspect.signature(cls.__init__).parameters[cls.horizon_arg].default!r} "
            "(horizon)" in row
        )


def test_cli_and_readme_list_every_preset():
    r = subprocess.run([sys.executable, "-m", "aha.cli", "grid", "--help"], capture_output=True, text=True, timeout=60)
    help_text = " ".join(r.stdout.split())
    readme = (ROOT / "README.md").read_text()
    line = next(ln for ln in readme.splitlines() if "# presets:" in ln)
    for name in PRESETS:
        assert name in help_text, name
        assert f" {name}" in line.split("# presets:")[1], name
