"""Pure analysis for aha-playground: pass@k, transition fits, credit-assignment closed forms and
simulators, amplifier and entropy models, threshold predictors. Imports nothing of the project.

Modules are imported on demand (``from theory.transitions import fit_transition``); this package
file only re-exports the most used entry points and keeps numba/matplotlib out of ``import theory``.
"""

from .passk import pass_at_k, pass_at_k_curve

__all__ = ["pass_at_k", "pass_at_k_curve"]
