"""Monte-Carlo simulator of a tabular softmax policy trained by REINFORCE / GRPO (numba).

Environments (action 0 is always the correct one):

- chain: L steps, one state per step (state l at step l), K actions each; the step succeeds when
  the action is 0. This is the setting of ``credit`` (its closed forms are tested against it).
- tree: a K-ary bandit tree of depth L with its own logits at every internal node
  (heap numbering: root 0, child of node v by action a is v K + a + 1); only the all-zero path
  is correct, so logits off that path are trained by the noise of failed episodes.

Rewards: ``sparse`` (1 when every step is correct, else 1 with probability ``chance``: a lucky
guess) or ``dense`` (fraction of correct steps; in the tree, the length of the correct prefix / L).
Estimators: ``reinforce`` (A_i = R_i) and ``grpo`` (A_i = R_i - mean_group R, no std scaling).

``grad_step`` (numba) and ``grad_step_numpy`` (reference) compute the same core update.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "REWARDS",
    "ESTIMATORS",
    "grad_step",
    "grad_step_numpy",
    "sample_gradients",
    "train_chain",
    "train_tree",
    "n_tree_nodes",
]

REWARDS = {"sparse": 0, "dense": 1}
ESTIMATORS = {"reinforce": 0, "grpo": 1}


@nb.njit(cache=True)
def _softmax_row(row):
    m = row.max()
    e = np.exp(row - m)
    return e / e.sum()


@nb.njit(cache=True)
def grad_step(logits, states, actions, rewards, estimator):
    """Score-function gradient estimate: logits (S, K), states/actions (G, L), rewards (G,) -> (S, K)."""
    S, K = logits.shape
    n, L = actions.shape
    grad = np.zeros((S, K))
    base = rewards.mean() if estimator == 1 else 0.0
    for i in range(n):
        adv = rewards[i] - base
        if adv == 0.0:
            continue
        for t in range(L):
            s = states[i, t]
            pi = _softmax_row(logits[s])
            for k in range(K):
                grad[s, k] += adv * ((1.0 if actions[i, t] == k else 0.0) - pi[k]) / n
    return grad


def grad_step_numpy(
    logits: np.ndarray, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray, estimator: int
) -> np.ndarray:
    """Plain-numpy reference of ``grad_step`` (same arguments, same result)."""
    S, K = logits.shape
    n, L = actions.shape
    pi = np.exp(logits - logits.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)  # (S, K)
    adv = rewards - (rewards.mean() if estimator == 1 else 0.0)  # (G,)
    score = np.eye(K)[actions] - pi[states]  # (G, L, K)
    grad = np.zeros((S, K))
    np.add.at(grad, states, adv[:, None, None] * score / n)
    return grad


@nb.njit(cache=True)
def _rollout(logits, L, K, tree, reward, chance, states, actions):
    """Samples one episode into states[:], actions[:]; returns its reward."""
    node, prefix, n_ok, alive = 0, 0, 0, True
    for t in range(L):
        s = node if tree else t
        pi = _softmax_row(logits[s])
        u, a, acc = np.random.random(), K - 1, 0.0
        for k in range(K):
            acc += pi[k]
            if u < acc:
                a = k
                break
        states[t], actions[t] = s, a
        ok = a == 0
        n_ok += ok
        if alive and ok:
            prefix += 1
        alive = alive and ok
        node = node * K + a + 1
    if reward == 1:
        return (prefix if tree else n_ok) / L
    if n_ok == L:
        return 1.0
    return 1.0 if np.random.random() < chance else 0.0


@nb.njit(cache=True)
def _sample_gradients(logits, L, K, G, n_groups, reward, estimator, chance, seed):
    np.random.seed(seed)
    out = np.empty((n_groups, L))  # gradient w.r.t. the correct logit of each step's state
    states = np.empty((G, L), dtype=np.int64)
    actions = np.empty((G, L), dtype=np.int64)
    rewards = np.empty(G)
    for j in range(n_groups):
        for i in range(G):
            rewards[i] = _rollout(logits, L, K, False, reward, chance, states[i], actions[i])
        g = grad_step(logits, states, actions, rewards, estimator)
        for t in range(L):
            out[j, t] = g[t, 0]
    return out


def sample_gradients(
    q: float,
    L: int,
    K: int,
    G: int,
    n_groups: int,
    reward: str = "sparse",
    estimator: str = "grpo",
    chance: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Per-group gradient estimates (n_groups, L) w.r.t. each step's correct logit on a chain whose
    per-step accuracy is ``q`` (correct logit ln(q (K-1) / (1-q)), others 0)."""
    logits = np.zeros((L, K))
    logits[:, 0] = np.log(q * (K - 1) / (1 - q))
    return _sample_gradients(logits, L, K, G, n_groups, REWARDS[reward], ESTIMATORS[estimator], chance, seed)


@nb.njit(cache=True)
def _train(logits, L, K, tree, G, prompts, n_updates, lr, reward, estimator, chance, seed):
    np.random.seed(seed)
    S = logits.shape[0]
    p_trace = np.empty(n_updates + 1)
    first_signal = -1
    states = np.empty((G, L), dtype=np.int64)
    actions = np.empty((G, L), dtype=np.int64)
    rewards = np.empty(G)
    for u in range(n_updates + 1):
        p = 1.0  # probability of the all-correct path under the current policy
        node = 0
        for t in range(L):
            s = node if tree else t
            p *= _softmax_row(logits[s])[0]
            node = node * K + 1
        p_trace[u] = p
        if u == n_updates:
            break
        total = np.zeros((S, K))
        for _ in range(prompts):
            for i in range(G):
                rewards[i] = _rollout(logits, L, K, tree, reward, chance, states[i], actions[i])
            total += grad_step(logits, states, actions, rewards, estimator)
        if first_signal < 0 and np.abs(total).max() > 0.0:
            first_signal = u + 1
        logits += lr * total / prompts
    return p_trace, first_signal


def _run_training(tree: bool, q0, L, K, G, n_updates, lr, prompts_per_update, reward, estimator, chance, seed):
    """Start every state at per-step accuracy ``q0`` (the right action 0 has probability q0) and
    run ``_train`` on the chain (one state per step) or on the K-ary tree (one per node)."""
    logits = np.zeros((n_tree_nodes(L, K) if tree else L, K))
    logits[:, 0] = np.log(q0 * (K - 1) / (1 - q0))
    return _train(
        logits, L, K, tree, G, prompts_per_update, n_updates, lr, REWARDS[reward], ESTIMATORS[estimator], chance, seed
    )


def train_chain(
    q0: float,
    L: int,
    K: int,
    G: int,
    n_updates: int,
    lr: float,
    prompts_per_update: int = 1,
    reward: str = "sparse",
    estimator: str = "grpo",
    chance: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, int]:
    """SGD on the chain from per-step accuracy ``q0``: returns (p_trace (n_updates+1,), first update
    with a non-zero gradient, 1-based; -1 if none)."""
    return _run_training(False, q0, L, K, G, n_updates, lr, prompts_per_update, reward, estimator, chance, seed)


def n_tree_nodes(L: int, K: int) -> int:
    """Internal nodes of a full K-ary tree of depth L."""
    return (K**L - 1) // (K - 1)


def train_tree(
    q0: float,
    L: int,
    K: int,
    G: int,
    n_updates: int,
    lr: float,
    prompts_per_update: int = 1,
    reward: str = "sparse",
    estimator: str = "grpo",
    chance: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, int]:
    """As ``train_chain`` on the K-ary bandit tree (every node starts at accuracy ``q0``)."""
    return _run_training(True, q0, L, K, G, n_updates, lr, prompts_per_update, reward, estimator, chance, seed)
