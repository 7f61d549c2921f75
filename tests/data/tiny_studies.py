"""A tiny study for the end-to-end test (a user studies file, as `aha study --studies-file` loads)."""

from aha.studies import Budget, Study
from toymodels.grid import GridSpec

TINY = {
    "task": "ModChain",
    "horizon": 3,
    "pretrain_tokens": 6000,
    "rl_updates": 4,
    "prompts_per_update": 4,
    "group_size": 4,
    "k_max": 4,
    "eval_prompts": 8,
    "log_every": 1,
    "device": "cpu",
}


def tiny_study() -> Study:
    ref = GridSpec("ref", {"width": [8, 16], "depth": [1], "seed": [0, 1]}, dict(TINY), "reference")
    other = GridSpec(
        "other",
        {"width": [8, 16], "depth": [1], "horizon": [4], "seed": [0, 1]},
        {k: v for k, v in TINY.items() if k != "horizon"},
        "a factor setting (horizon)",
    )
    recipes = GridSpec(
        "recipes",
        {"width": [8, 16], "depth": [1], "seed": [0, 1]},
        dict(TINY),
        "recipe variants",
        variants={"format-bonus": {"format_bonus": 0.2}, "temperature": {"temperature": 1.5}},
    )
    return Study(
        "tiny",
        [lambda: ref, other, recipes],
        refine=["ref"],
        analyses=[f"C{i}" for i in range(1, 10)],
        moved={"C10": "the tiny study has no behaviour grid", "C11": "the tiny study has no behaviour grid"},
        n_boot=10,
        budget=Budget(refine_rounds=1, refine_seeds=3),
        description="tiny end-to-end study",
    )


def bad_field() -> Study:
    return Study("bad", [lambda: GridSpec("g", {"width": [8], "depth": [1], "seed": [0]}, {**TINY, "widht": 3})])


STUDIES = {"tiny": tiny_study, "bad-field": bad_field}
