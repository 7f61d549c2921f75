"""Tiny seed-batched transformers and MLPs: pretraining, RL (the algorithms of `toymodels.algos`), evaluation.

from toymodels import CellConfig, run_cell
ds = run_cell(CellConfig(width=32, seeds=(0, 1, 2)))
"""

import importlib

_EXPORTS = {
    "Algorithm": "algos",
    "algo_names": "algos",
    "register_algorithm": "algos",
    "CellConfig": "config",
    "evaluate": "evaluate",
    "ModelConfig": "models",
    "TinyMLP": "models",
    "TinyTransformer": "models",
    "make_model": "models",
    "corpus": "pretrain",
    "corrupt": "pretrain",
    "make_pretrain": "pretrain",
    "advantages": "rl",
    "make_rl": "rl",
    "load_checkpoint": "run",
    "make_train": "run",
    "run_cell": "run",
    "save_checkpoints": "run",
}
"""Name -> submodule; imported on first use (PEP 562), so `import toymodels.devices` or
`toymodels.results` stays light (no torch) for the command line."""


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Algorithm",
    "CellConfig",
    "ModelConfig",
    "TinyMLP",
    "TinyTransformer",
    "advantages",
    "algo_names",
    "corpus",
    "corrupt",
    "evaluate",
    "load_checkpoint",
    "make_model",
    "make_pretrain",
    "make_rl",
    "make_train",
    "register_algorithm",
    "run_cell",
    "save_checkpoints",
]
