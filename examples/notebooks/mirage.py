# %% [markdown]
# # Mirage or not: does the transition survive a continuous metric?
#
# Schaeffer et al. (2023, "Are Emergent Abilities of Large Language Models a Mirage?") argue that
# sharp jumps in a rate (exact match) can come from the metric: a per-step accuracy q that rises
# smoothly with size gives an exact-match rate p = q^L that looks like a jump. The test: fit the same
# transition on a continuous metric of the same models. Run it cell by cell, open the executed
# `mirage.ipynb`, or run `python examples/notebooks/mirage.py`; it reads `docs/demo/` unless
# `AHA_RUN_DIR` names another run directory.
#
# 1. A number to check elsewhere: φ(p, G) at TRL's default G = 8, and p = q^L.
# 2. The mirage made on purpose: a smooth q(N), its q^L, and the fits of both.
# 3. The run: the RL gain (a rate) against Δ log p(answer) (continuous), the same models.
# 4. Where the toy and real LLMs disagree.

# %%
import os
from pathlib import Path

import numpy as np
import xarray as xr

import theory
from llm_bridge.published import load_published
from theory.credit import exact_match, phi
from theory.transitions import fit_transition, sharpness_survives

# The run to read: AHA_RUN_DIR, else the demo shipped with the repository, found from the installed
# package (not from the working directory, so this runs from any folder).
REPO = Path(theory.__file__).resolve().parents[1]
RUN_DIR = Path(os.environ.get("AHA_RUN_DIR") or REPO / "docs" / "demo")
if not (RUN_DIR / "grid.nc").is_file():
    raise FileNotFoundError(f"{RUN_DIR / 'grid.nc'} does not exist: set AHA_RUN_DIR to a run directory")
RUN_NAME = RUN_DIR.relative_to(REPO) if RUN_DIR.is_relative_to(REPO) else RUN_DIR  # as printed below
N_BOOT = int(os.environ.get("AHA_N_BOOT", "200"))

# %% [markdown]
# ## 1. Numbers to check
# φ(p, G) = 1 − p^G − (1 − p)^G is the fraction of GRPO groups with a learning signal. TRL's
# `GRPOConfig.num_generations` defaults to G = 8: φ(0.5, 8) = 0.9922, φ(0.1, 8) = 0.5695, φ(0.01, 8) = 0.0773.
# Exact match composes: q = 0.9 per step over L = 5 steps gives p = 0.9⁵ = 0.5905.

# %%
print("phi at G=8:", {p: round(float(phi(p, 8)), 4) for p in (0.5, 0.1, 0.01)})
print("0.9^5 =", round(float(exact_match(0.9, 5)), 4))

# %% [markdown]
# ## 2. A mirage on purpose
# q rises smoothly (linearly in ln N, from 0.5 to 0.99); p = q^8 is what an exact-match metric reports.
# Compare how many decades of N each takes to rise (the logistic fit's 10-90% width).

# %%
sizes = np.geomspace(1e3, 1e6, 10)
q_true = np.linspace(0.5, 0.99, len(sizes))
rng = np.random.default_rng(1)
n_prompts = 64
coords = {"n_params": ("size", sizes)}
q_obs = xr.DataArray(
    rng.binomial(n_prompts * 8, np.broadcast_to(q_true, (3, 10))) / (n_prompts * 8),
    dims=("seed", "size"),
    coords=coords,
)
p_obs = xr.DataArray(
    rng.binomial(n_prompts, np.broadcast_to(q_true**8, (3, 10))) / n_prompts, dims=("seed", "size"), coords=coords
)
fit_p = fit_transition(p_obs, n_trials=n_prompts, n_boot=min(N_BOOT, 50))
fit_q = fit_transition(q_obs, n_trials=n_prompts * 8, n_boot=min(N_BOOT, 50))
chk = sharpness_survives(fit_p, fit_q)
print(f"exact match p = q^8: verdict {fit_p.verdict!r}, 10-90% rise in {chk.width_decades_rate:.1f} decades of N")
print(f"per-step q:          verdict {fit_q.verdict!r}, 10-90% rise in {chk.width_decades_continuous:.1f} decades of N")
print(
    f"the same models look {chk.width_decades_continuous / chk.width_decades_rate:.1f}x sharper through exact match: "
    "that part of any jump is the metric's"
)

# %% [markdown]
# ## 3. The run: a rate against a continuous metric of the same models

# %%
ds = xr.open_dataset(RUN_DIR / "grid.nc", engine="h5netcdf").load()
ok = ds.status == "ok"
extra = [d for d in ds.dims if d not in ("width", "depth", "seed", "split", "k", "step")]
first = {d: 0 for d in extra}  # the first slice of any extra axis
rate = (ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").where(ok).isel(first)
cont = (ds.rl_logp_answer - ds.base_logp_answer).sel(split="id").where(ok).isel(first)
results = {}
for depth in ds.depth.values:
    r_fit = fit_transition(rate.sel(depth=depth), n_boot=N_BOOT)
    c_fit = fit_transition(cont.sel(depth=depth), n_boot=N_BOOT)
    chk = sharpness_survives(r_fit, c_fit)
    results[int(depth)] = chk
    print(f"depth {depth}: RL gain in pass@1 -> {r_fit.verdict}; Δ log p(answer) -> {c_fit.verdict}")
    print(f"  sharpness survives: {chk.survives} ({chk.reason})")
for w in ds.width.values:
    print(
        f"  width {int(w):>4d}: gain {float(rate.sel(width=w).mean()):+.3f}, "
        f"Δ log p(answer) {float(cont.sel(width=w).mean()):+.2f} nats (seed means, depth {int(ds.depth[0])})"
    )

# %% [markdown]
# ## 4. Where the toy and real LLMs disagree
# In the toy every model comes with a continuous metric (log p of the answer, per-step probability),
# so the mirage question has an answer above. The published real-LLM numbers are rates only (pass@1,
# accuracy); none reports log-probabilities before and after RL, so the same test cannot be run on them.

# %%
real = load_published()
print("published metrics:", sorted({str(m) for m in real.metric.values}))
continuous = [m for m in real.metric.values if "logp" in str(m) or "nll" in str(m)]
print("continuous metrics among them:", continuous or "none: the mirage test is not testable on the published data")
