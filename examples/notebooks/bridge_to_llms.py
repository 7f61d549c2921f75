# %% [markdown]
# # Toy predictions against published real-LLM numbers
#
# The toy grids say which base models gain from RL; `llm_bridge` holds published before/after-RL
# numbers of real LLMs (`llm_bridge/data/published_rl_results.csv`, each row with its source).
# Run it cell by cell, open the executed `bridge_to_llms.ipynb`, or run
# `python examples/notebooks/bridge_to_llms.py`; the toy side reads `docs/demo/` unless `AHA_RUN_DIR`
# names another run directory.
#
# 1. A published pair you can check in the paper: DeepSeek-R1-Zero on AIME 2024.
# 2. The toy's gain model (gain = s · φ(p, G) · (1 − p1)), its one scale s fitted on the toy run.
# 3. The same model, toy scale, on the real rows: predicted against published gains.
# 4. The bridge's checks, and where the toy and the real data disagree.
# 5. The honest test: forecast each source from all the others (leave-one-source-out), and a law
#    fitted on toy grids alone, with no real data.
# 6. By starting point: zero-RL from a base, RL from an instruct model, RL from a distilled reasoner
#    are different mechanisms; each gets its law, judged by leave-one-checkpoint-group-out.

# %%
import os
from pathlib import Path

import numpy as np
import xarray as xr

from llm_bridge.checks import observations as real_rows
from llm_bridge.checks import run_checks
from llm_bridge.gain import fit_scale, predict_gain
from llm_bridge.published import gain_table, load_published
from llm_bridge.scale_free import fit_toy_law
from llm_bridge.transfer import compare_word, gain_rows, leave_one_source_out
from theory.amplifier import loo_compare

RUN_DIR = Path(os.environ.get("AHA_RUN_DIR", "docs/demo"))
G = 8  # the group size of every toy preset and the bridge's φ (TRL's default num_generations)

# %% [markdown]
# ## 1. One published pair, with its citation
# DeepSeek-AI (2025), *DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement
# Learning*, arXiv:2501.12948, Sec. 2.2.4 and Table 2: DeepSeek-V3-Base goes from 15.6 % to 71.0 %
# pass@1 on AIME 2024 after pure RL (GRPO), the model called DeepSeek-R1-Zero.

# %%
real = load_published()
pair = real.sel(model="DeepSeek-R1: DeepSeek-V3-Base -> R1-Zero | zero-RL GRPO", benchmark="AIME2024", metric="pass@1")
print(
    f"{pair.source.item()} ({pair.arxiv_or_url.item()}, {pair.location.item()}): "
    f"AIME2024 pass@1 {float(pair.before):.3f} -> {float(pair.after):.3f}"
)

# %% [markdown]
# ## 2. The toy's gain model, fitted on the toy run
# One scale s, least squares through the origin, on every ok cell (base pass@1, RL gain).

# %%
ds = xr.open_dataset(RUN_DIR / "grid.nc", engine="h5netcdf").load()
ok = ds.status == "ok"
extra = {d: 0 for d in ds.dims if d not in ("width", "depth", "seed", "split", "k", "step")}
toy_p1 = ds.base_pass_at_k.sel(k=1, split="id").where(ok).isel(extra)
toy_gain = ds.rl_pass_at_k.sel(k=1, split="id").where(ok).isel(extra) - toy_p1
chance = float(ds.chance.sel(split="id"))
toy = fit_scale(toy_p1.values.ravel(), toy_gain.values.ravel(), chance=chance, G=G)
print(
    f"toy ({RUN_DIR}; compare fits.json, H2.phi.gain_params): s = {toy.scale:.2f} ± {toy.scale_se:.2f} "
    f"on {toy.n_fit} cells, residual sd {toy.resid_sd:.3f}"
)
n = ds.n_params.broadcast_like(toy_p1)
groups = np.broadcast_to(np.arange(ds.sizes["width"])[:, None, None], toy_p1.shape)  # leave one width out
toy_loo = loo_compare(toy_p1.values, toy_gain.values, n.values, groups, chance=chance, G=G)
print(f"toy, leave one width out: {toy_loo.verdict} (RMSE { ({k: round(v, 3) for k, v in toy_loo.rmse.items()}) })")

# %% [markdown]
# ## 3. The toy's model on real LLMs
# Math benchmarks have no chance level to correct for (chance 0). The toy's scale is applied as it is:
# no real row calibrates it.

# %%
rows = real_rows(real)
p1 = np.array([r["base"] for r in rows])
obs = np.array([r["gain"] for r in rows])
pred = predict_gain(p1, G=G, params=toy).mean
print(f"{'model group':>62s} {'benchmark':>10s} {'base':>6s} {'gain':>6s} {'toy pred':>8s}")
SHOW = 12  # rows printed; the errors below use all of them (bridge.md lists every row)
for r, pr in list(zip(rows, np.atleast_1d(pred)))[:SHOW]:
    print(f"{r['group'][:62]:>62s} {r['benchmark'][:10]:>10s} {r['base']:6.3f} {r['gain']:+6.3f} {pr:+8.3f}")
print(f"... and {len(rows) - SHOW} more rows")
mae_toy = float(np.mean(np.abs(pred - obs)))
mae_const = float(np.mean(np.abs(obs.mean() - obs)))
print(
    f"mean absolute error over {len(rows)} real rows: toy-calibrated model {mae_toy:.3f}, "
    f"the real rows' own mean gain {mae_const:.3f} (a baseline that has seen the answers)"
)

# %% [markdown]
# ## 4. The bridge's checks, and where the toy and the real data disagree
# `aha bridge` judges each prediction by the rule named beside it (llm_bridge/check_rules.py states
# them): the gain models by leave-one-model-group-out error against a constant gain and a gain linear
# in ln N, H5 by the sign of RL − base pass@k at large k, H3 by the gains of rows without signal, H1/H11
# by the order of gains within one model series. Read the statuses beside the toy's verdicts.

# %%
checks = run_checks(real)
for c in checks:
    mae = ", ".join(f"{k} {v:.3f}" for k, v in c.mae.items())
    print(f"{c.hid:>40s}: {c.status:<13s} {('MAE ' + mae) if mae else c.detail[:90]}")
h2 = next(c for c in checks if c.hid == "H2 (phi)")
toy_beats_size = "better than size" in toy_loo.verdict
real_vs_size = compare_word(h2.diff_ci["linear_lnN"])  # the MAE difference's 90% CI: below 0 is `better`
print(
    f"\nH2, does base-only φ predict the gain better than size? toy: {toy_loo.verdict} ({toy_loo.n_groups} widths "
    f"left out in turn); real LLMs: φ against ln N {real_vs_size}, against a constant gain "
    f"{compare_word(h2.diff_ci['constant'])}, so H2 {h2.status} ({h2.n_rows} rows in {h2.n_groups} model groups "
    f"from {h2.n_sources} sources)."
)
if toy_beats_size != (real_vs_size == "better"):
    print(
        "They disagree: "
        + (
            "the toy says φ beats size, real LLMs do not confirm it. "
            if toy_beats_size
            else "real LLMs say φ beats size, the toy does not. "
        )
        + "The real rows mix model families, recipes and benchmarks that the toy holds fixed."
    )
else:
    print("On H2 they agree" + ("." if toy_beats_size else ": in neither does φ beat size."))
print(
    f"Scale: the toy's fitted s = {toy.scale:.2f} misses the real gains by {mae_toy:.3f} on average, against "
    f"{mae_const:.3f} for their own mean"
    + (
        ": the toy's scale does not transfer to real LLMs."
        if mae_toy > mae_const
        else ": the toy's scale transfers at least that well."
    )
)

# %% [markdown]
# ## 5. Leave-one-source-out: the forecast on sources it never saw
# Section 4 leaves out one model group at a time, so rows of the same paper (same prompts, evaluation
# code and recipe) still calibrate one another. Here each source is forecast by a law fitted on every
# other source only: gain = a + b·p + c·φ(p, G) with p = base pass@1, no parameter count, and an
# interval from residuals on sources left out of the training ones. Beside it, the same law fitted on
# the shipped study's toy cells alone (`docs/study/cells.csv`, whatever `AHA_RUN_DIR` says), applied to
# the real rows as it is. This pools every starting point; section 6 separates them, as `aha forecast
# --start` does.

# %%
table = gain_rows(gain_table(real))
law = fit_toy_law(Path("docs/study/cells.csv"))
res = leave_one_source_out(table, G=G, fixed=law)
cols = ["source", "n_rows", "mae_forecast", "mae_constant", "mae_fixed", "coverage"]
print(res.per_source[cols].rename(columns={"mae_fixed": "mae_toy_law"}).to_string(index=False, float_format="%.3f"))
o = res.overall
print(
    f"\nall {o['n_rows']} results from {o['n_sources']} sources: MAE forecast {o['mae_forecast']:.3f}, constant "
    f"{o['mae_constant']:.3f}, ln N {o['mae_lnN']:.3f}, toy law {o['mae_fixed']:.3f}; "
    f"{int(round(100 * res.level))}% interval coverage {o['coverage']:.3f} (aim {res.level:.2f})"
)
print(
    f"forecast vs constant: {compare_word(o['diff_ci_constant'])}; vs ln N: {compare_word(o['diff_ci_lnN'])}; "
    f"toy law (no real data) vs constant: {compare_word(o['diff_ci_fixed_constant'])}"
)

# %% [markdown]
# ## 6. By starting point: the law `aha forecast --start` uses
# Rows that are not like-for-like (a greedy base against a sampled RL model, the RL training set as the
# test set, averages over benchmarks, a tool on one side) are left out; rows of the same RL checkpoint,
# wherever it was re-evaluated, are held out together. For zero-RL from a base the mechanism is the
# project's hypothesis (gain = s·φ(p, G)·(1 − p1)); is it better than the constant gain of that start?

# %%
from llm_bridge.by_start import fit_start_laws  # noqa: E402

for start, sl in fit_start_laws(table).items():
    m, c = sl.scores["mechanistic"], sl.scores["constant"]
    print(
        f"{start}: {sl.n_rows} rows, {sl.n_groups} checkpoint groups; mechanistic MAE {m.mae:.3f} vs constant "
        f"{c.mae:.3f} (difference {m.diff_ci[0]:+.3f} to {m.diff_ci[1]:+.3f}); the forecast uses `{sl.winner}`"
    )
