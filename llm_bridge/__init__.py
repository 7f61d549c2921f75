"""Real LLMs on the playground's questions: published before/after-RL numbers, local Hugging Face
models evaluated on `envs` tasks, and checks of theory's predictions by leave-one-out.

Imports only `envs` and `theory`. transformers is needed only by `llm_bridge.local_eval`.
"""

from .by_start import STARTS, fit_start_laws
from .checks import CheckResult, observations, run_checks
from .gain import fit_scale, load_toy_params, predict_gain
from .lm_eval import load_lm_eval
from .published import DATA_CSV, load_published, pass_at_k_view

__all__ = [
    "CheckResult",
    "DATA_CSV",
    "STARTS",
    "fit_scale",
    "fit_start_laws",
    "load_lm_eval",
    "load_published",
    "load_toy_params",
    "observations",
    "pass_at_k_view",
    "predict_gain",
    "run_checks",
]
