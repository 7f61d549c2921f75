"""A recipe.json (docs/recipe.md: each width's RL learning rate from an lr sweep, written by
`python -m aha.recipe`) applied to a grid spec: `aha grid --recipe`, the studies' grids and
refinement widths take the rate chosen at the nearest swept width in log width.
"""

from __future__ import annotations

import json
from pathlib import Path

from .grid import GridSpec, nearest_by_width

__all__ = ["recipe_by_width", "with_recipe"]


def recipe_by_width(path: Path | str = "docs/recipe/recipe.json") -> dict[int, dict[str, float]]:
    """{width: {"rl_lr": the rule's choice}} from an lr sweep's recipe.json (aha.recipe); widths
    without a choice are left out."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--recipe {path} does not exist (python -m aha.recipe writes recipe.json)")
    try:
        rec = json.loads(path.read_text())
        return {int(w): {"rl_lr": float(r["lr"])} for w, r in rec["widths"].items() if r["lr"] is not None}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"--recipe {path} is not a recipe.json (widths -> lr): {e}") from None


def with_recipe(spec: GridSpec, path: Path | str | None) -> GridSpec:
    """``spec`` with each width's RL learning rate from ``path`` (a recipe.json; None: unchanged): the
    rate chosen at the nearest swept width in log width (toymodels.grid.nearest_by_width). The spec's
    own per-width overrides win; a grid that sweeps rl_lr is an error."""
    if path is None:
        return spec
    if "rl_lr" in spec.axes:
        raise ValueError(f"--recipe sets rl_lr per width, but grid {spec.name!r} sweeps rl_lr as an axis")
    chosen = nearest_by_width(recipe_by_width(path), spec.axes["width"])
    by_width = {w: {**chosen.get(w, {}), **spec.by_width.get(w, {})} for w in set(chosen) | set(spec.by_width)}
    return GridSpec.from_dict({**spec.to_dict(), "by_width": {str(w): o for w, o in by_width.items()}})
