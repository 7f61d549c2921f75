"""The grid: a `GridSpec` over `CellConfig` fields, expanded into cells, grouped by tensor shape.

A *cell* is one point of the grid (one model size, one seed, one setting). Cells that differ only
in their seed share every tensor shape and form a *group*: one `run_cell` call trains them in one
batched pass. Loops remain only over groups (shapes); the runner further lets groups that share a
pretraining pretrain once, and run RL as one batch where they differ only in RL knobs
(`toymodels.fused`).

    spec = GridSpec("mine", axes={"width": [8, 16, 32], "depth": [1], "seed": [0, 1, 2]},
                    fixed={"task": "ModChain", "horizon": 5})
    for group in spec.groups(): ...    # CellConfig with seeds=(0, 1, 2), and its axis values
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

from .config import CellConfig

ALWAYS = ("width", "depth", "seed")


def config_fields() -> list[str]:
    return [f.name for f in fields(CellConfig)]


# Fields added after results were shipped, with the value that leaves a cell as it was: at that
# value they stay out of the hash, so finished cells keep their ids (a rerun resumes, not retrains).
ID_NEUTRAL: dict[str, Any] = {"revise": False, "revise_rate": 0.0, "torch_compile": False}


def cell_id(cfg_dict: dict[str, Any]) -> str:
    """Stable short hash of a one-seed cell config (its file name in the run directory)."""
    kept = {k: v for k, v in cfg_dict.items() if not (k in ID_NEUTRAL and v == ID_NEUTRAL[k])}
    blob = json.dumps(kept, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class Group:
    """Cells that share shapes: one config with several seeds, and where it sits on the grid."""

    config: CellConfig
    coords: dict[str, Any]  # axis name -> value, for every axis except seed
    base_only: bool = False  # pretrain + evaluate, no RL (its cells get ids of their own)

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.coords.items())

    def cell_configs(self) -> dict[int, dict[str, Any]]:
        """seed -> the one-seed config dict of each cell in this group."""
        extra = {"base_only": True} if self.base_only else {}
        return {s: {**replace(self.config, seeds=(s,)).to_dict(), **extra} for s in self.config.seeds}


@dataclass
class GridSpec:
    """Axes over any `CellConfig` field (`width`, `depth`, `seed` always) plus fixed settings."""

    name: str
    """Preset or run name."""
    axes: dict[str, list[Any]]
    """Field name -> values swept; the dataset gets one dimension per axis, named by the field."""
    fixed: dict[str, Any] = field(default_factory=dict)
    """Other `CellConfig` fields, the same in every cell."""
    description: str = ""
    """What this grid measures (shown in reports)."""
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Named sets of field overrides swept as one extra axis `variant` (e.g. plain vs hint vs
    dense reward, each against the plain setting) where a full cross product would be wasteful."""
    base_only: bool = False
    """Pretrain and evaluate only, no RL (`aha grid --base-only`): base_* variables, no rl_* or
    curves; the cheap half of a cell, for predicting the gain before RL."""
    by_width: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Field overrides per width, e.g. each width's RL learning rate chosen by an lr sweep
    ({64: {"rl_lr": 3e-4}}, docs/recipe.md); a width not listed takes the fixed fields."""

    def __post_init__(self):
        allowed = set(config_fields()) - {"seeds"} | {"seed"}
        for name in self.axes:
            if name not in allowed:
                raise ValueError(f"grid axis {name!r} is not a CellConfig field; allowed: {', '.join(sorted(allowed))}")
        for name in self.fixed:
            if name not in allowed - {"seed"}:
                names = ", ".join(sorted(allowed - {"seed"}))
                raise ValueError(f"fixed field {name!r} is not a CellConfig field; allowed: {names}")
            if name in self.axes:
                raise ValueError(f"field {name!r} is both an axis and fixed; give it in one place")
        for name in ALWAYS:
            if name not in self.axes:
                raise ValueError(f"grid axes must include {name!r} (axes always include width, depth, seed)")
        for name, values in self.axes.items():
            if not isinstance(values, (list, tuple)) or len(values) == 0:
                raise ValueError(f"axis {name!r} must be a non-empty list of values, got {values!r}")
            if len(set(map(repr, values))) != len(values):
                raise ValueError(f"axis {name!r} has repeated values: {values!r}")
        for vname, over in self.variants.items():
            bad = [k for k in over if k not in allowed - {"seed"} or k in self.axes]
            if bad:
                raise ValueError(f"variant {vname!r} sets {bad}: not CellConfig fields, or fields that are axes")
        self.by_width = {int(w): dict(o) for w, o in self.by_width.items()}
        for w, over in self.by_width.items():
            if w not in self.axes["width"]:
                raise ValueError(f"by_width names width {w}, which is not on the width axis {self.axes['width']}")
            bad = [k for k in over if k not in allowed - {"seed"} or k in self.axes]
            if bad:
                raise ValueError(f"by_width[{w}] sets {bad}: not CellConfig fields, or fields that are axes")
        self.groups()  # validate every cell's config before any work starts

    @property
    def dims(self) -> list[str]:
        """Grid dims in order: width, depth, the extra axes, seed."""
        extra = [a for a in self.axes if a not in ALWAYS] + (["variant"] if self.variants else [])
        return ["width", "depth", *extra, "seed"]

    @property
    def n_cells(self) -> int:
        n = max(1, len(self.variants))
        for v in self.axes.values():
            n *= len(v)
        return n

    def groups(self) -> list[Group]:
        """One group per combination of the non-seed axes, all seeds in it."""
        shape_axes = [a for a in self.dims if a not in ("seed", "variant")]
        seeds = tuple(int(s) for s in self.axes["seed"])
        variants = self.variants or {None: {}}
        out = []
        for values, vname in itertools.product(itertools.product(*(self.axes[a] for a in shape_axes)), variants):
            coords = dict(zip(shape_axes, values))
            if vname is not None:
                coords["variant"] = vname
            per_width = self.by_width.get(int(coords["width"]), {})
            fields_ = {
                **self.fixed,
                **per_width,
                **variants[vname],
                **{k: v for k, v in coords.items() if k != "variant"},
            }
            try:
                cfg = CellConfig.from_dict({**fields_, "seeds": seeds})
            except ValueError as e:
                raise ValueError(f"grid {self.name!r}, cell {coords}: {e}") from None
            out.append(Group(cfg, coords, self.base_only))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "axes": {k: list(v) for k, v in self.axes.items()},
            "fixed": dict(self.fixed),
            "description": self.description,
            "variants": {k: dict(v) for k, v in self.variants.items()},
            **({"base_only": True} if self.base_only else {}),
            **({"by_width": {str(w): dict(o) for w, o in self.by_width.items()}} if self.by_width else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GridSpec:
        return cls(
            d["name"],
            {k: list(v) for k, v in d["axes"].items()},
            dict(d.get("fixed", {})),
            d.get("description", ""),
            {k: dict(v) for k, v in d.get("variants", {}).items()},
            bool(d.get("base_only", False)),
            {int(w): dict(o) for w, o in d.get("by_width", {}).items()},
        )

    def with_overrides(self, overrides: dict[str, Any]) -> GridSpec:
        """A copy with fields set: a list value (or an existing axis) sets an axis, else a fixed field; new
        widths take the per-width overrides of the nearest old width (nearest_by_width)."""
        axes, fixed = {k: list(v) for k, v in self.axes.items()}, dict(self.fixed)
        for k, v in overrides.items():
            if k in axes or k in ALWAYS or isinstance(v, list):
                fixed.pop(k, None)
                axes[k] = v if isinstance(v, list) else [v]
            else:
                fixed[k] = v
        by_width = self.by_width
        if "width" in overrides and by_width:  # new widths follow the per-width choice's nearest-width rule
            by_width = nearest_by_width(by_width, axes["width"])
        by_width = {w: {k: v for k, v in o.items() if k not in overrides} for w, o in by_width.items()}
        return GridSpec(self.name, axes, fixed, self.description, self.variants, self.base_only, by_width)


def matched_widths(widths: list[int], fixed: dict) -> list[int]:
    """MLP widths whose n_params is closest (in log) to the transformer's at each width (``fixed``:
    the other config fields); shapes only, on the meta device."""
    import torch  # noqa: PLC0415

    from .models import make_model  # noqa: PLC0415

    @cache
    def n(kind, w):
        c = CellConfig(**{**fixed, "model_kind": kind, "width": w})
        with torch.device("meta"):  # shapes only: no memory, no random numbers
            return make_model(c.model_config(), (0,)).n_params

    out = []
    for w in widths:
        target = n("transformer", w)
        lo, hi = 2, 2 * w  # n_params grows with width: the first MLP width at or above the target
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if n("mlp", mid) < target else (lo, mid)
        out.append(min((max(lo - 1, 2), lo), key=lambda m: abs(math.log(n("mlp", m) / target))))
    return out


def nearest_by_width(by_width: dict[int, dict[str, Any]], widths: list[int]) -> dict[int, dict[str, Any]]:
    """Per-width overrides for ``widths`` from those chosen at other widths (an lr sweep's): each width
    takes the overrides of the chosen width nearest to it in log width (the smaller on a tie), so a
    width the sweep did not run (a refinement's) follows the rule mechanically. Empty without a choice."""
    if not by_width:
        return {}
    chosen = sorted(int(w) for w in by_width)
    return {int(w): dict(by_width[min(chosen, key=lambda c: (abs(math.log(int(w) / c)), c))]) for w in widths}
