"""A study's spec: a named list of grids (GridSpec, or functions returning one) and the claims
decided from them, with its refinement budget. Like a GridSpec, it only describes and validates;
`aha study` runs it, and aha.studies names the shipped ones (`quick`, `full`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .grid import GridSpec
from .recipe import with_recipe

CLAIMS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11")
ROOT = Path(__file__).resolve().parents[1]
"""The repository root (a study's own recipe path is relative to it)."""


@dataclass
class Budget:
    """How far adaptive refinement may go."""

    refine_rounds: int = 2
    """Refinement rounds at most (each: one bisection width, seeds raised to refine_seeds)."""
    refine_seeds: int = 5
    """Seeds at the bracket's widths and at new widths (>= 5 in the shipped studies)."""
    takeoff_seeds: int = 12
    """Seeds at widths whose seeds came out both ways (some take off, some not): P(take-off) there
    needs them (theory.refine.bimodal_widths)."""
    max_cpu_s: float | None = None
    """Projected CPU seconds for the whole study; a refinement round that would pass it is not run."""

    def __post_init__(self):
        if not isinstance(self.refine_rounds, int) or self.refine_rounds < 0:
            raise ValueError(f"budget.refine_rounds must be an integer >= 0, got {self.refine_rounds!r}")
        if not isinstance(self.refine_seeds, int) or self.refine_seeds < 1:
            raise ValueError(f"budget.refine_seeds must be an integer >= 1, got {self.refine_seeds!r}")
        if not isinstance(self.takeoff_seeds, int) or self.takeoff_seeds < 1:
            raise ValueError(f"budget.takeoff_seeds must be an integer >= 1, got {self.takeoff_seeds!r}")
        if self.max_cpu_s is not None and not (isinstance(self.max_cpu_s, (int, float)) and self.max_cpu_s > 0):
            raise ValueError(f"budget.max_cpu_s must be a number > 0 or None, got {self.max_cpu_s!r}")


@dataclass
class Study:
    """A named list of grids and the claims decided from them."""

    name: str
    """Study name (its directory under results/ by default)."""
    grids: list[GridSpec | Callable[[], GridSpec]]
    """Grids, or functions returning them; the first is the reference setting."""
    analyses: list[str] = field(default_factory=lambda: list(CLAIMS))
    """Claims to decide, by id: C1 ... C11."""
    refine: list[str] = field(default_factory=list)
    """Names of grids whose width sweep is refined adaptively (no extra axes besides width/seed)."""
    budget: Budget = field(default_factory=Budget)
    """Refinement budget."""
    behaviour: list[str] = field(default_factory=list)
    """Names of grids whose cells decide only C10 and C11 (the aha-behaviour grid: its revise cells
    change the trace format and its plain cells repeat other grids' settings), left out of C1-C9."""
    recipe: str | None = None
    """An lr sweep's recipe.json whose per-width RL learning rate every grid takes (toymodels.recipe.with_recipe),
    relative to the repository root; `aha study --recipe` overrides it; None: the config's rl_lr."""
    moved: dict[str, str] = field(default_factory=dict)
    """Claims this study does not decide, each with why (and which study does): each is written as
    "not determined: not run in this study (why)" in verdicts.json and study.md, never dropped."""
    description: str = ""
    """What the study asks (shown in study.md)."""
    n_boot: int = 100
    """Bootstrap resamples of each transition fit."""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in "/\\ "):
            raise ValueError(f"study name must be a non-empty string without '/', '\\' or spaces, got {self.name!r}")
        if not isinstance(self.grids, list) or not self.grids:
            raise ValueError(f"study {self.name!r}: grids must be a non-empty list of GridSpec or functions")
        for g in self.grids:
            if not (isinstance(g, GridSpec) or callable(g)):
                raise ValueError(f"study {self.name!r}: grids must hold GridSpec or functions, got {type(g).__name__}")
        bad = [a for a in self.analyses if a not in CLAIMS]
        if bad:
            raise ValueError(f"study {self.name!r}: analyses must be among {', '.join(CLAIMS)}; got {bad}")
        if not isinstance(self.moved, dict) or any(c not in CLAIMS for c in self.moved):
            bad = ", ".join(c for c in self.moved if c not in CLAIMS) if isinstance(self.moved, dict) else self.moved
            raise ValueError(f"study {self.name!r}: moved must map claims among {', '.join(CLAIMS)} to why; got {bad}")
        both = [c for c in self.moved if c in self.analyses]
        if both:
            raise ValueError(f"study {self.name!r}: moved names {', '.join(both)}, which its analyses decide")
        if not isinstance(self.budget, Budget):
            raise ValueError(f"study {self.name!r}: budget must be a Budget, got {type(self.budget).__name__}")
        if not isinstance(self.n_boot, int) or self.n_boot < 10:
            raise ValueError(f"study {self.name!r}: n_boot must be an integer >= 10, got {self.n_boot!r}")

    def specs(self, recipe: Path | str | None = None) -> list[GridSpec]:
        """The grids as GridSpecs (validated: names unique, refine names known and refinable), each
        width's RL learning rate from ``recipe`` (`aha study --recipe`) or else the study's own."""
        out = []
        path = recipe if recipe is not None else self.recipe
        if path is not None and not Path(path).is_absolute() and (ROOT / path).is_file():
            path = ROOT / path  # a study's own recipe names a file of the repository, from anywhere
        for g in self.grids:
            spec = g() if not isinstance(g, GridSpec) else g
            if not isinstance(spec, GridSpec):
                raise ValueError(f"study {self.name!r}: a grid function returned {type(spec).__name__}, not GridSpec")
            out.append(with_recipe(spec, path))
        names = [s.name for s in out]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"study {self.name!r}: grid names must be unique, repeated: {dup}")
        for b in self.behaviour:
            if b not in names:
                raise ValueError(f"study {self.name!r}: behaviour names grid {b!r}; grids are {', '.join(names)}")
        for r in self.refine:
            if r not in names:
                raise ValueError(f"study {self.name!r}: refine names grid {r!r}; grids are {', '.join(names)}")
            spec = out[names.index(r)]
            extra = [a for a in spec.axes if a not in ("width", "seed", "depth")]
            extra += ["variant"] if spec.variants else []
            if extra or len(spec.axes["depth"]) != 1:
                raise ValueError(
                    f"study {self.name!r}: refine grid {r!r} must sweep only width and seed (it sweeps "
                    f"{extra or 'depth'})"
                )
        return out
