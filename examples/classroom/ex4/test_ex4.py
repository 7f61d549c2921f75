"""Autograder of exercise 4: rewards on random episodes and against the env's own dense reward."""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the aha/ envs)
from envs import vocab

rng = np.random.default_rng(4)
STEP_OK = rng.random((9, 5)) < 0.6  # (n, L), not in the student file
ANSWER_OK = rng.random(9) < 0.4


def test_sparse_reward(graded):
    got = np.asarray(graded.sparse_reward(STEP_OK, ANSWER_OK), dtype=float)
    assert got.shape == (9,), f"one reward per episode: shape (9,), got {got.shape}"
    np.testing.assert_array_equal(
        got,
        ANSWER_OK.astype(float),
        err_msg="the sparse reward is 1 exactly when the answer is right: steps do not count",
    )


def test_dense_reward(graded):
    got = np.asarray(graded.dense_reward(STEP_OK, ANSWER_OK), dtype=float)
    want = (STEP_OK.sum(1) + ANSWER_OK) / (STEP_OK.shape[1] + 1)
    np.testing.assert_allclose(got, want, err_msg="dense: 1/(L+1) per right step plus 1/(L+1) for the right answer")


@pytest.mark.parametrize("L", [3, 6])
def test_dense_reward_is_the_envs(graded, L):
    """Play ModChain with some steps corrupted; the env's summed dense reward must equal yours."""
    env = gym.make("aha/ModChain-v0", L=L, reward="dense")
    for episode in range(6):
        env.reset(seed=100 + episode)
        u = env.unwrapped
        inst, steps = u.instance, u.task.step_positions
        wrong = rng.random(len(steps)) < 0.4
        actions = list(inst.target)
        for pos, bad in zip(steps, wrong):
            if bad:
                actions[pos] = (actions[pos] - vocab.DIGIT0 + 1) % 10 + vocab.DIGIT0
        total, done, t = 0.0, False, 0
        while not done:
            _, r, terminated, truncated, info = env.step(actions[t] if t < len(actions) else vocab.PAD)
            total, done, t = total + r, terminated or truncated, t + 1
        got = float(np.asarray(graded.dense_reward(~wrong[None], np.array([info["correct"]])))[0])
        assert got == pytest.approx(total), (
            f"ModChain L={L}, {int(wrong.sum())} wrong steps: the env paid "
            f"{total:.3f}, "
            f"your dense_reward gives {got:.3f}"
        )


def test_smallest_helped(graded):
    widths = [64, 8, 128, 16, 32]  # not sorted on purpose
    gains = [0.30, -0.01, 0.5, 0.02, 0.12]
    assert graded.smallest_helped(widths, gains, 0.1) == 32, "widths are not sorted: take the smallest qualifying width"
    assert graded.smallest_helped(widths, gains, 0.01) == 16
    assert np.isnan(graded.smallest_helped(widths, gains, 0.9)), "no width gains 0.9: return NaN"
