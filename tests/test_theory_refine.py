"""Adaptive threshold refinement (theory/refine.py) on synthetic gain curves with a known N_c."""

from __future__ import annotations

import numpy as np
import pytest

from theory.refine import STEP_TOL, gain_bracket, propose_refinement, steps


def synthetic_gain(width: int, seed: int, w_c: float, noise: float = 0.02) -> float:
    """A sharp rise of the gain through 0.1 at width w_c, plus seed noise (counter-based)."""
    rng = np.random.default_rng([width, seed])
    return 0.5 / (1 + np.exp(-(np.log(width) - np.log(w_c)) / 0.05)) - 0.02 + noise * rng.standard_normal()


def run_rounds(w_c: float, widths=(8, 16, 32, 64, 128), seeds=3, rounds=6):
    gains = {w: [synthetic_gain(w, s, w_c) for s in range(seeds)] for w in widths}
    history = []
    for r in range(rounds + 1):
        prop = propose_refinement(gains, rounds_left=rounds - r)
        history.append(prop)
        if prop.stop:
            return gains, history
        for w in prop.new_widths:
            gains[w] = [synthetic_gain(w, s, w_c) for s in range(5)]
        for w, more in prop.more_seeds.items():
            gains[w] = gains[w] + [synthetic_gain(w, s, w_c) for s in more]
    raise AssertionError("refinement never stopped")


@pytest.mark.parametrize("w_c", [11.0, 19.0, 27.0, 45.0, 100.0])
def test_refinement_finds_the_known_bracket(w_c):
    gains, history = run_rounds(w_c)
    last = history[-1]
    assert last.stop == "resolved", last.reason
    lo, hi = last.bracket
    assert lo < w_c < hi  # the true threshold lies in the final bracket
    assert steps(lo, hi) <= 1 + STEP_TOL
    assert len(history) >= 2  # a coarse factor-2 sweep is two √2 steps: at least one round ran
    for w in (lo, hi):  # the bracket's widths got the extra seeds
        assert len(gains[w]) >= 5
    # bisection in log N: the first new width is the geometric midpoint of the coarse bracket
    first = history[0]
    assert first.new_widths == [int(2 * round(np.sqrt(first.bracket[0] * first.bracket[1]) / 2))]


def test_no_bracket_and_budget_stops_say_why():
    flat = {w: [0.0, 0.01] for w in (8, 16, 32)}
    r = propose_refinement(flat)
    assert r.stop == "no bracket" and "no width gains" in r.reason and r.bracket is None
    r = propose_refinement({w: [0.4] for w in (8, 16)})
    assert r.stop == "no bracket" and "every width gains" in r.reason
    r = propose_refinement({8: [0.0], 32: [0.5]}, rounds_left=0)
    assert r.stop == "budget" and r.new_widths == [16] and "budget" in r.reason


def test_fit_interval_decides_and_grid_resolution_stop():
    gains = {8: [0.0] * 5, 16: [0.0] * 5, 32: [0.4] * 5}
    r = propose_refinement(gains, interval=(20.0, 26.0))  # the fit already pins N_c
    assert r.stop == "resolved" and "fit" in r.reason
    r = propose_refinement({22: [0.0] * 5, 24: [0.5] * 5}, interval=(10.0, 60.0))
    assert r.stop == "grid resolution"


def test_bracket_orders_a_non_monotone_curve():
    assert gain_bracket({8: [0.0], 16: [0.3], 32: [0.0], 64: [0.4]}) == (16, 32)
    r = propose_refinement({8: [0.0], 16: [0.3], 32: [0.0], 64: [0.4]})
    assert r.bracket == (16, 32) and r.new_widths == [22] and "not monotone" in r.notes[0]
    assert gain_bracket({8: [np.nan], 16: [0.0], 32: [0.5]}) == (16, 32)


def test_a_narrow_bracket_is_not_resolved_while_the_takeoff_fit_is_not_determined():
    """The shipped study stopped at "resolved: the bracket (22-32) spans 1.08 √2 steps" while
    P(take-off) there was a coin flip; fails on the old rule, which had no take-off verdict to read."""
    gains = {16: [0.0] * 5, 22: [0.0, 0.3, 0.0, 0.0, 0.0], 32: [0.5, 0.0, 0.6, 0.0, 0.5], 64: [0.5, 0.6, 0.0]}
    assert propose_refinement(gains, min_seeds=5).stop == "resolved"  # what the bracket alone says
    r = propose_refinement(gains, min_seeds=8, takeoff_verdict="not determined: the 10-90% width lies in ...")
    assert r.stop == "" and r.new_widths == [] and r.more_seeds == {22: [5, 6, 7], 32: [5, 6, 7]}
    r = propose_refinement(gains, min_seeds=5, takeoff_verdict="not determined: ...")
    assert r.stop == "grid resolution" and "not determined" in r.reason
    assert propose_refinement(gains, min_seeds=5, takeoff_verdict="sharp").stop == "resolved"
