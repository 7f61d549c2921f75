# %% [markdown]
# # Classroom exercise: why a sparse, delayed reward starves small models
#
# Run cell by cell (VS Code / Jupyter "# %%" cells) or as a script: `python examples/classroom_credit_assignment.py`.
# Each part ends with a question; the printed numbers are the answer key. Nothing here is tuned:
# change the numbers and see what moves.
#
# 1. Play the token-level environment by hand and see *when* the reward arrives.
# 2. Exact match composes: p = q^L.
# 3. GRPO learns only from informative groups: phi(p, G) = 1 - p^G - (1 - p)^G.
# 4. Sparse vs dense reward on a tabular chain: a Monte-Carlo simulation against the closed form.

# %%
import os

import gymnasium as gym
import numpy as np

import envs
from envs import vocab
from theory.credit import exact_match, first_signal_updates, phi, snr
from theory.simulate import train_chain

QUICK = bool(os.environ.get("AHA_EXAMPLES_QUICK"))  # the test suite sets this for a smoke run

# %% [markdown]
# ## 1. The environment: one token per step, one reward at the end
# A scripted "oracle" writes the canonical completion; a second agent copies it but gets one
# running sum wrong. Watch the reward column: zero until the verdict, `delay` steps after <eos>.

# %%
env = gym.make("aha/ModChain-v0", L=4, delay=2)
for label, corrupt_at in (("oracle", None), ("one wrong step", 2)):
    obs, info = env.reset(seed=7)
    inst = env.unwrapped.instance
    print(f"\n{label}: prompt = {vocab.decode(inst.prompt)}")
    actions = list(inst.target)
    if corrupt_at is not None:
        wrong = (inst.target[corrupt_at] - vocab.DIGIT0 + 1) % 10 + vocab.DIGIT0
        actions[corrupt_at] = wrong
    done, t = False, 0
    while not done:
        a = actions[t] if t < len(actions) else vocab.PAD  # actions after <eos> are ignored
        obs, r, terminated, truncated, info = env.step(a)
        print(f"  t={t:2d} action={vocab.TOKENS[a]:>8s} reward={r:.1f} terminated={terminated}")
        done, t = terminated or truncated, t + 1
    print("  verdict:", info)
# Question: one running sum is wrong, yet the answer is right and the sparse reward pays 1 in
# full (trace_correct is False). What does RL reinforce in such an episode, and which single
# token would a dense per-step reward (reward="dense") have withheld credit from?

# %% [markdown]
# ## 2. Composition: p = q^L
# A model that gets each step right with probability q gets an L-step exact match with q^L.

# %%
qs = np.array([0.5, 0.7, 0.9, 0.95, 0.99])
for L in (1, 5, 10, 20):
    print(f"L={L:2d}: " + "  ".join(f"q={q:.2f}->p={float(exact_match(q, L)):.3f}" for q in qs))
# Question: what per-step accuracy does a 20-step task need for p > 0.5?
print("answer: q >", round(0.5 ** (1 / 20), 4))

# %% [markdown]
# ## 3. No signal, no learning: the informative-group fraction
# GRPO subtracts the group mean: a group whose G rewards are all equal has zero advantage and
# contributes exactly nothing. The chance level (guessing a digit: 1/10) adds lucky "signal".

# %%
G = 8
for p in (0.001, 0.01, 0.05, 0.2, 0.5):
    wait = float(first_signal_updates(p, G, prompts_per_update=16))
    print(f"p={p:<6} phi={float(phi(p, G)):.3f}  expected updates before the first non-zero gradient: {wait:.1f}")
task = envs.make_task("ModChain", L=5)
print(f"chance level of ModChain: {task.chance():.2f} -> phi from guessing alone: {float(phi(task.chance(), G)):.3f}")
# Question: a model with trace accuracy 0 still sees phi = 0.57 from guesses. What does GRPO
# reinforce in those groups?

# %% [markdown]
# ## 4. Sparse vs dense reward on a tabular softmax chain
# Closed-form signal-to-noise of the GRPO gradient against the horizon, then a Monte-Carlo
# training run from per-step accuracy q0 (numba simulator, K = 10 actions per step).

# %%
L_values = np.array([2, 4, 8, 16])
for reward in ("sparse", "dense"):
    print(reward, "SNR at q=0.5, G=8:", np.round(snr(0.5, L_values, 8, reward=reward), 3))

n_updates = 60 if QUICK else 400
for reward in ("sparse", "dense"):
    for L in (4, 8):
        p_trace, first = train_chain(q0=0.3, L=L, K=10, G=8, n_updates=n_updates, lr=0.5,
                                     prompts_per_update=4, reward=reward, seed=0)
        print(f"{reward:6s} L={L}: p_trace {p_trace[0]:.4f} -> {p_trace[-1]:.4f}; first non-zero gradient at update {first}")
# Question: at L = 8 the sparse chain starts at p = 0.3^8. How many updates until the first
# informative group, on average, from part 3's formula? Compare with the simulation.
