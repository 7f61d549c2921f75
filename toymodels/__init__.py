"""Tiny seed-batched transformers and MLPs: pretraining, RL (GRPO/RLOO/PPO) and evaluation.

    from toymodels import CellConfig, run_cell
    ds = run_cell(CellConfig(width=32, seeds=(0, 1, 2)))
"""

from .config import ALGOS, CellConfig
from .evaluate import evaluate
from .models import ModelConfig, TinyMLP, TinyTransformer, make_model
from .pretrain import corpus, corrupt, make_pretrain
from .rl import advantages, make_rl
from .run import load_checkpoint, make_train, run_cell, save_checkpoints

__all__ = ["ALGOS", "CellConfig", "ModelConfig", "TinyMLP", "TinyTransformer", "advantages", "corpus", "corrupt",
           "evaluate", "load_checkpoint", "make_model", "make_pretrain", "make_rl", "make_train", "run_cell",
           "save_checkpoints"]
