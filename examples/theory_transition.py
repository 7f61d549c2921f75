# %% [markdown]
# # Theory notebook: is the RL gain a phase transition in size?
#
# `# %%` cells; run in an editor or as `python examples/theory_transition.py [RUN_DIR]`.
# First reproduce known numbers (so a reader can trust the tools), then fit a grid run.
#
# 1. The unbiased pass@k estimator of Chen et al. (2021) against brute force.
# 2. Synthetic data with a known N_c: does the fit recover it, with a CI, and pick the right family?
# 3. The same fits on a real run directory (default `results/demo`, from `make demo`), on the
#    rate (pass@1 gain) and on the continuous metric (log p of the answer): does the sharpness
#    survive the change of metric (Schaeffer et al. 2023)?

# %%
import itertools
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from theory.passk import pass_at_k
from theory.transitions import fit_transition, sharpness_survives

RUN_DIR = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else Path("results/demo")
N_BOOT = 100

# %% [markdown]
# ## 1. pass@k: the estimator equals the brute-force fraction of size-k subsets with a success

# %%
n, c = 10, 3
for k in (1, 2, 5):
    subsets = list(itertools.combinations(range(n), k))
    brute = np.mean([any(i < c for i in s) for s in subsets])
    print(f"n={n} c={c} k={k}: estimator {float(pass_at_k(n, c, k)):.4f}  brute force {brute:.4f}")
# Chen et al.'s guessing example: a model that guesses one digit out of 10 reaches pass@32 of
print("pass@32 of a uniform digit guess:", round(1 - 0.9**32, 3))

# %% [markdown]
# ## 2. Synthetic data from a logistic in ln N with N_c = 3e4: recovered inside the CI?

# %%
rng = np.random.default_rng(0)
sizes = np.geomspace(1e3, 1e6, 9)
true_nc, true_w = 3e4, 0.4
p = 0.05 + 0.6 / (1 + np.exp(-(np.log(sizes) - np.log(true_nc)) / true_w))
n_prompts = 64
counts = rng.binomial(n_prompts, np.broadcast_to(p, (3, len(sizes))))  # (seed, size)
y = xr.DataArray(counts / n_prompts, dims=("seed", "size"), coords={"n_params": ("size", sizes)})
fit = fit_transition(y, n_trials=n_prompts, n_boot=N_BOOT, unit_dim="seed")
print(f"verdict: {fit.verdict}; N_c = {fit.N_c:.3g} (90% CI {fit.N_c_ci[0]:.3g} .. {fit.N_c_ci[1]:.3g}); "
      f"true {true_nc:.3g}; trustworthy: {fit.trustworthy}")
print("evidence:", *fit.evidence, sep="\n  ")

# %% [markdown]
# ## 3. A grid run: RL gain and log p of the answer against n_params

# %%
if not (RUN_DIR / "grid.nc").exists():
    print(f"{RUN_DIR}/grid.nc not found: run `make demo` (or `aha demo`) first, then rerun this notebook.")
else:
    ds = xr.open_dataset(RUN_DIR / "grid.nc", engine="h5netcdf").load()
    ok = ds.status == "ok"
    gain = (ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").where(ok)
    logp = (ds.rl_logp_answer - ds.base_logp_answer).sel(split="id").where(ok)
    for depth in ds.depth.values:
        g, lp = gain.sel(depth=depth), logp.sel(depth=depth)
        rate_fit = fit_transition(g, n_boot=N_BOOT)
        cont_fit = fit_transition(lp, n_boot=N_BOOT)
        print(f"\ndepth {depth}: gain verdict {rate_fit.verdict}, N_c {rate_fit.N_c:.3g} "
              f"CI {rate_fit.N_c_ci[0]:.3g}..{rate_fit.N_c_ci[1]:.3g}, trustworthy {rate_fit.trustworthy}")
        for prob in rate_fit.problems:
            print("  not trustworthy:", prob)
        print(f"  log p verdict {cont_fit.verdict}")
        print("  ", sharpness_survives(rate_fit, cont_fit).to_dict())
