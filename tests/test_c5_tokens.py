"""Issue 23, claim C5 measured on the tokens: the probability the policy puts on the correct format
token (<think>, separators, </think>, <eos>) and on the correct content token (step values, answer
tokens) of held-out canonical completions, and the format mass leaking to content positions, before
and after RL (`toymodels.evaluate.token_probs`, grid variables base_/rl_ format_prob, task_prob,
format_mass_task)."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
from stub_model import UniformSampler

import envs
from aha.presets import get_preset
from envs import vocab
from theory import claims
from theory.study_claims import Setup, decide_c5, decide_c5_study
from toymodels import CellConfig, run_cell
from toymodels.cells import cell_table
from toymodels.evaluate import TOKEN_KEYS, estimates, evaluate, teacher_forced
from toymodels.grid import GridSpec
from toymodels.storage import combine_cells, strip_cell

Q_FORMAT, R_TASK, M_LEAK = 0.7, 0.4, 0.25
"""The controlled model's probabilities: Q_FORMAT on a correct format token, R_TASK on a correct
content token and M_LEAK on <eos> at a content position (the rest on <pad>, neither class)."""


class TokenClassModel(UniformSampler):
    """Teacher forced on `task`'s completions, the correct next token gets Q_FORMAT at a format
    position (the rest on <pad>), else R_TASK, with M_LEAK on <eos> and the rest on <pad>. The correct
    token is the layout's at a format position, the next input token at a content one (the input
    stops before the last target, <eos>, a format token). Sampling calls give uniform logits."""

    def __init__(self, task, n_seeds: int = 2):
        super().__init__(n_seeds)
        self.task = task

    def forward(self, tokens, hidden=False):
        S, B, T = tokens.shape
        P, lay = self.task.prompt_len, self.task.layout()
        fixed = torch.tensor([-1] * P + [-1 if t is None else t for t in lay])[:T]  # (T,) by input position
        nxt = torch.cat([tokens[..., 1:], tokens[..., -1:]], -1)  # (S, B, T) the next input token
        is_fmt = (fixed >= 0).expand(S, B, T)
        right = torch.where(is_fmt, fixed, nxt)  # (S, B, T) the correct next token
        probs = torch.zeros(S, B, T, vocab.D_VOCAB)
        probs[..., vocab.EOS] = torch.where(is_fmt, 0.0, M_LEAK)
        probs[..., vocab.PAD] = torch.where(is_fmt, 1 - Q_FORMAT, 1 - R_TASK - M_LEAK)
        probs.scatter_(-1, right[..., None], torch.where(is_fmt, Q_FORMAT, R_TASK)[..., None])
        return torch.log(probs).clamp_min(-1e9)


def at_temperature(probs: list[float], T: float) -> np.ndarray:
    """softmax(log(probs) / T) of a distribution over a few tokens."""
    w = np.array(probs) ** (1 / T)
    return w / w.sum()


@pytest.mark.parametrize("cot", [True, False])
@pytest.mark.parametrize("name", envs.task_names())
def test_token_classes_split_the_layout(name, cot):
    """Format and content positions partition the canonical completion; the canonical targets hold
    format tokens exactly at the format positions; without a trace only the answer and <eos>."""
    task = envs.make_task(name, cot=cot)
    fp, cp = task.format_positions, task.content_positions
    assert sorted(fp + cp) == list(range(task.canonical_len)) and not set(fp) & set(cp)
    _, targets = task.batch(torch.zeros(16, dtype=torch.long), torch.arange(16))  # (16, C)
    fmt = torch.isin(targets[:, : task.canonical_len], torch.tensor(vocab.FORMAT_TOKENS))  # (16, C0)
    assert fmt[:, fp].all() and not fmt[:, cp].any()
    if not cot:
        assert cp == task.answer_positions and fp[-1] == task.canonical_len - 1
        assert vocab.THINK not in task.layout() and vocab.END_THINK not in task.layout()


def test_mod_chain_token_classes():
    """ModChain L=3: <think> s s s </think> a <eos>; without a trace: a <eos>."""
    with_trace, alone = envs.make_task("ModChain", L=3), envs.make_task("ModChain", L=3, cot=False)
    assert (with_trace.format_positions, with_trace.content_positions) == ([0, 4, 6], [1, 2, 3, 5])
    assert (alone.format_positions, alone.content_positions) == ([1], [0])


def test_check_task_refuses_a_layout_fixing_a_content_token():
    """A task whose layout fixes a token outside vocab.FORMAT_TOKENS gets a one-line error."""

    class Asks(type(envs.make_task("ModChain"))):
        def answer_layout(self):
            return [vocab.TOKEN_ID["?"], None]

    with pytest.raises(ValueError, match=r"fixes \?, not a format token"):
        envs.check_task(Asks(L=2))


@pytest.mark.parametrize("temperature", [1.0, 0.5])
@pytest.mark.parametrize("cot", [True, False])
def test_token_probs_are_known_exactly(temperature, cot):
    """Fails before (no format_prob): a model with Q_FORMAT on every correct format token and R_TASK
    on every correct content token (M_LEAK on <eos> there) gives format_prob = Q_FORMAT, task_prob =
    R_TASK and format_mass_task = M_LEAK at T = 1 (at T their tempered values), per seed."""
    task = envs.make_task("ModChain", L=3, cot=cot)
    fmt = at_temperature([Q_FORMAT, 1 - Q_FORMAT], temperature)[0]
    content = at_temperature([R_TASK, M_LEAK, 1 - R_TASK - M_LEAK], temperature)
    r = evaluate(TokenClassModel(task), task, n_prompts=6, k_max=2, temperature=temperature)
    np.testing.assert_allclose(r["format_prob"], [fmt, fmt], rtol=1e-5)
    np.testing.assert_allclose(r["task_prob"], [content[0]] * 2, rtol=1e-5)
    np.testing.assert_allclose(r["format_mass_task"], [content[1]] * 2, rtol=1e-5)
    if temperature == 1.0:
        np.testing.assert_allclose(r["format_prob"], Q_FORMAT, rtol=1e-5)
        np.testing.assert_allclose(r["task_prob"], R_TASK, rtol=1e-5)
        np.testing.assert_allclose(r["format_mass_task"], M_LEAK, rtol=1e-5)
    assert all(estimates(task)[k] == "exact" for k in TOKEN_KEYS)


def test_format_mass_counts_every_format_token_at_content_positions():
    """Mass on any format token at a content position counts (here <eos> and </think>), mass on a
    content token or <pad> does not; format positions do not enter it."""
    task = envs.make_task("ModChain", L=2)
    _, targets = task.batch(torch.zeros(3, dtype=torch.long), torch.arange(3))  # (3, C)
    S, B, C, V = 1, 3, task.completion_len, vocab.D_VOCAB

    class Fixed(TokenClassModel):
        def forward(self, tokens, hidden=False):
            probs = torch.full((S, B, tokens.shape[2], V), 0.5 / (V - 3))
            probs[..., vocab.EOS], probs[..., vocab.END_THINK], probs[..., vocab.PAD] = 0.2, 0.3, 0.0
            return torch.log(probs).clamp_min(-1e9)

    pr = task.batch(torch.zeros(3, dtype=torch.long), torch.arange(3))[0][None]  # (1, B, P)
    got = teacher_forced(Fixed(task, 1), task, pr, targets, 1.0)
    np.testing.assert_allclose(got["format_mass_task"], [0.5 + 4 * 0.5 / (V - 3)], rtol=1e-5)  # =, ',', '|', <think>
    assert C == len(task.format_positions) + len(task.content_positions)


TINY = dict(
    width=8, horizon=3, seeds=(0, 1), pretrain_tokens=3_000, rl_updates=3, prompts_per_update=4, group_size=4,
    minibatches=2, k_max=4, eval_prompts=8, log_every=1, device="cpu", reward="dense",
)  # fmt: skip


GRID = ["width", "depth", "seed"]


@pytest.fixture(scope="module")
def tiny_cell() -> xr.Dataset:
    return run_cell(CellConfig(**TINY))


def test_run_cell_records_the_token_measures_before_and_after_rl(tiny_cell):
    """Fails before: base_/rl_ format_prob, task_prob, format_mass_task are in a run_cell Dataset,
    over (seed, split) like base_logp_answer, probabilities, marked exact, described."""
    for ph in ("base", "rl"):
        for key in TOKEN_KEYS:
            da = tiny_cell[f"{ph}_{key}"]
            assert da.dims == tiny_cell["base_logp_answer"].dims == ("seed", "split")
            assert bool(((da >= 0) & (da <= 1)).all()), f"{ph}_{key}"
            assert da.attrs["estimate"] == "exact" and "C5" in da.attrs["description"]
    assert bool((tiny_cell.base_format_prob + tiny_cell.base_task_prob > 0).all())


def test_cell_table_has_token_columns_and_old_grids_lack_them(tiny_cell):
    """cells.csv gains base_/rl_ format_prob, task_prob, format_mass_task (id split) from a grid that
    records them; a grid written before them (the shipped behaviour grid) gives a table without them,
    no error."""
    spec = get_preset("aha-behaviour")
    old = xr.open_dataset(Path(__file__).parents[1] / "docs" / "behaviour" / "grid.nc")
    df, _ = cell_table(spec, old)
    assert not any(c.endswith(TOKEN_KEYS) for c in df.columns) and len(df)
    cols = [f"{ph}_{k}" for ph in ("base", "rl") for k in TOKEN_KEYS]
    fixed = {k: v for k, v in TINY.items() if k not in ("width", "seeds")}
    mini = GridSpec("tokens", axes={"width": [8], "depth": [1], "seed": [0, 1]}, fixed=fixed)
    got, _ = cell_table(mini, combine_cells([strip_cell(tiny_cell, {"width": 8, "depth": 1})], GRID))
    assert set(cols) <= set(got.columns) and len(got) == 2
    for c in cols:
        np.testing.assert_allclose(got[c], tiny_cell[c].sel(split="id").values, err_msg=c)


def test_combined_grid_gives_nan_for_cells_written_before(tiny_cell):
    """A resumed grid mixing a cell file from before (no token variables) with a new one: the old
    cell's values are NaN, the new one's kept."""
    new = strip_cell(tiny_cell.sel(seed=[0]), {"width": 8, "depth": 1})
    old = strip_cell(tiny_cell.sel(seed=[1]), {"width": 8, "depth": 1})
    old = old.drop_vars([f"{ph}_{k}" for ph in ("base", "rl") for k in TOKEN_KEYS])
    ds = combine_cells([new, old], GRID)
    v = ds["rl_format_prob"].sel(split="id", width=8, depth=1)
    assert np.isfinite(float(v.sel(seed=0))) and math.isnan(float(v.sel(seed=1)))


# --- part 2: the rule on the tokens (theory.claims_c5.verdict_c5, theory.study_claims.decide_c5) ----
CLASSES = {8: "small", 64: "large"}


def token_arm(e_small, e_large, gain_small, gain_large, setting: str = "ref") -> pd.DataFrame:
    """One arm's cells: widths 8 (small) and 64 (large), a seed per value, token columns whose
    format excess (rl − base format) − (rl − base task) is the given e, and the given gains."""
    rows = []
    for w, es, gs in ((8, e_small, gain_small), (64, e_large, gain_large)):
        for seed, (e, gain) in enumerate(zip(es, gs, strict=True)):
            rows.append(
                {"setting": setting, "key": setting, "status": "ok", "width": w, "seed": seed, "gain": gain}
                | {"base_format_prob": 0.5, "rl_format_prob": 0.5 + 0.1 + e, "base_task_prob": 0.3}
                | {"rl_task_prob": 0.3 + 0.1, "base_p1": 0.5, "rl_p1": 0.5 + gain}
            )
    return pd.DataFrame(rows)


SMALL_E, LARGE_E = [0.2, 0.25, 0.22, 0.18, 0.21, 0.24], [0.0, 0.01, -0.01, 0.02, -0.02, 0.0]
SMALL_GAIN, LARGE_GAIN = [0.01, -0.02, 0.0, 0.03, -0.01, 0.02], [0.3, 0.5, 0.12, 0.4, 0.6, 0.15]


def test_c5_old_format_share_holds_but_no_token_excess_is_not_holds():
    """(a) Fails on the old rule: the format-bonus arm's format share says 'holds' by the old rule
    (small models end at 0.75 of their reward from format, up from 0.25, large at 0.13; r with its
    pass@1 value undefined), but RL raised format and content tokens alike (e ≈ 0): not holds. The
    share is still reported in the result."""
    ref = token_arm([0.0, 0.001, -0.001, 0.0], [0.0, 0.001, -0.001, 0.0], [0.0] * 4, [0.3] * 4)
    fb = ref.assign(setting="fb", key="fb", format_bonus=0.2, rl_p1=0.5)
    small = fb.width == 8
    fb["format_start"] = np.where(small, [0.2, 0.3, 0.25, 0.25] * 2, 0.1)
    fb["format_end"] = np.where(small, [0.7, 0.8, 0.75, 0.75] * 2, [0.1, 0.1, 0.2, 0.1] * 2)
    s = Setup(pd.concat([ref, fb]), "ref", CLASSES, {"format-bonus": ("fb", {"format_bonus"})})
    v = decide_c5_study(s)
    assert v.verdict != "holds" and v.verdict.startswith("fails: RL does not favour format"), v.verdict
    assert "format share of reward" in v.result and "end +0.750" in v.result and "not deciding" in v.result
    assert v.numbers["setting"] == "ref" and [r["width"] for r in v.numbers["table"]] == [8, 64]


def test_c5_holds_when_small_models_alone_favour_format_tokens():
    """(b) e large and positive only in small cells, 6 cells per class, |r(e, gain)| = 0.80 < 0.95:
    holds; the decisive number is one of the two intervals compared with 0."""
    v = decide_c5(token_arm(SMALL_E, LARGE_E, SMALL_GAIN, LARGE_GAIN), CLASSES)
    assert v.verdict == "holds", v.verdict
    assert abs(v.numbers["r_gain"]) < 0.95 and v.n == 6
    assert "format excess" in v.decisive and "interval above it" in v.decisive and "n=6 small, 6 large" in v.decisive
    row = v.numbers["table"][0]
    assert row["width"] == 8 and row["class"] == "small" and row["excess"] == pytest.approx(np.mean(SMALL_E))
    assert row["rl_format_prob"] == pytest.approx(0.6 + np.mean(SMALL_E)) and row["base_task_prob"] == 0.3


def test_c5_fails_when_small_excess_lies_below_the_effect():
    """(c) Small models' interval entirely below EFFECT (0.05): fails, whatever large models do; and
    small below large (difference interval below 0) fails too."""
    v = decide_c5(token_arm([0.0, 0.01, -0.01, 0.005], LARGE_E[:4], SMALL_GAIN[:4], LARGE_GAIN[:4]), CLASSES)
    assert v.verdict.startswith("fails") and "below the smallest effect" in v.verdict, v.verdict
    assert "0.05 (interval below it)" in v.decisive
    assert claims.EFFECT == 0.05
    v = claims.verdict_c5([0.1, 0.12, 0.08, 0.3], [0.5, 0.52, 0.48, 0.5])
    assert v.verdict.startswith("fails") and "small ≤ large" in v.verdict, v.verdict


def test_c5_an_excess_that_is_a_function_of_the_gain_is_not_determined():
    """(d) e = 0.3 − 2 · gain exactly (r = −1): the token measure is the pass@1 gain written another
    way, not determined with that reason, even though small e > large e clearly."""
    gains_s, gains_l = SMALL_GAIN, LARGE_GAIN
    v = decide_c5(token_arm([0.3 - 2 * g for g in gains_s], [0.3 - 2 * g for g in gains_l], gains_s, gains_l), CLASSES)
    assert v.verdict.startswith("not determined: the format excess is a function of the pass@1 gain"), v.verdict
    assert v.numbers["r_gain"] == pytest.approx(-1.0) and "0.95" in v.decisive


def test_c5_not_determined_needs_power_and_treats_both_sides_alike():
    """An interval across the boundaries is not determined, with the n per class a 0.05 excess needs;
    too few small cells, or too few large ones to compare with, are not determined either."""
    v = claims.verdict_c5([0.3, -0.2, 0.1, 0.0], [0.0, 0.3, -0.3, 0.1])
    assert v.verdict.startswith("not determined: small models' excess has its interval across"), v.verdict
    assert v.power["needs_n"] and f"needs n ≈ {v.power['needs_n']} per class" in v.verdict
    assert v.power["arms"] == {"small": 4, "large": 4} and v.power["effect"] == 0.05
    assert claims.verdict_c5([0.2, 0.3], LARGE_E).verdict.startswith("not determined: 2 small-model cells")
    assert claims.verdict_c5(SMALL_E, [0.0, 0.1]).verdict.startswith("not determined: small models favour format")


def test_c5_grids_without_token_measures_are_not_determined():
    """A study whose grids were written before the token measures (the shipped study's cells.csv
    without its token columns, as cells.csv was before they were recorded): not determined, saying
    so, no error; its format share is still reported."""
    cells = pd.read_csv(Path(__file__).parents[1] / "docs" / "study" / "cells.csv")
    cells = cells.drop(columns=[c for c in cells if c.endswith(("_format_prob", "_task_prob", "_format_mass_task"))])
    v = decide_c5(cells[cells.status == "ok"], {})
    assert v.verdict == "not determined: format tokens not recorded in this study's grids"
    ref = token_arm(SMALL_E, LARGE_E, SMALL_GAIN, LARGE_GAIN).drop(columns=["rl_task_prob"])
    v = decide_c5_study(Setup(ref, "ref", CLASSES, {}))
    assert v.verdict == "not determined: format tokens not recorded in this study's grids" and v.rule


def test_study_md_renders_the_c5_table_from_verdicts_json(tmp_path):
    """study.md's C5 section renders from the verdict's JSON: a row per width with the token
    probabilities before → after RL, e and the gain, and the r's; a verdict without a table (a study
    before the token measures) renders the format-share note alone."""
    from aha.study_report import claim_section  # noqa: PLC0415

    cells = token_arm(SMALL_E, LARGE_E, SMALL_GAIN, LARGE_GAIN)
    cells = cells.assign(base_format_mass_task=0.02, rl_format_mass_task=0.04)
    v = json.loads(json.dumps(decide_c5(cells, CLASSES).to_dict()))
    md = claim_section("C5", v, tmp_path)
    assert "| 8 | small | 6 | 0.500 → 0.817 | 0.300 → 0.400 | 0.020 → 0.040 | 0.217 | 0.005 |" in md, md
    assert f"r(e, pass@1 gain) over the cells {v['numbers']['r_gain']:+.3f}" in md
    old = {"numbers": {"setting": "signals[variant=format-bonus]"}}
    assert claim_section("C5", old, tmp_path).startswith("Format share of reward (reported, not deciding")


def test_diff_ci_is_welchs_interval():
    """theory.verdict.diff_ci, the small − large interval of C5, equals scipy's Welch interval at
    LEVEL; NaN ends with one value on a side."""
    from scipy import stats  # noqa: PLC0415

    from theory.verdict import LEVEL, diff_ci  # noqa: PLC0415

    a, b = [0.2, 0.25, 0.22, 0.18, 0.3], [0.0, 0.01, -0.01, 0.02, -0.02, 0.1]
    want = stats.ttest_ind(a, b, equal_var=False).confidence_interval(LEVEL)
    d, lo, hi, n = diff_ci(a, b)
    assert (lo, hi, n) == (pytest.approx(want.low), pytest.approx(want.high), 11)
    assert d == pytest.approx(np.mean(a) - np.mean(b)) and np.isnan(diff_ci(a, [0.1])[1])
