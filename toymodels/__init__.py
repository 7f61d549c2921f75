"""Tiny seed-batched transformers and MLPs: pretraining, RL (the algorithms of `toymodels.algos`), evaluation.

from toymodels import CellConfig, run_cell
ds = run_cell(CellConfig(width=32, seeds=(0, 1, 2)))
"""

from .algos import Algorithm, algo_names, register_algorithm
from .config import CellConfig
from .evaluate import evaluate
from .models import ModelConfig, TinyMLP, TinyTransformer, make_model
from .pretrain import corpus, corrupt, make_pretrain
from .rl import advantages, make_rl
from .run import load_checkpoint, make_train, run_cell, save_checkpoints

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
