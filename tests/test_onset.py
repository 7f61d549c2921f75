"""The aha detector's verdicts on synthetic curves with known answers (theory/onset.py), and the
predicted first-signal time."""

from collections import Counter

import numpy as np
import pytest

from theory.onset import JUMP_SIGMAS, detect_onset, first_signal_time, noise_sd

T = np.array([*range(0, 150, 5), 149], dtype=float)  # the study's logged updates (log_every 5, 150 updates)
SD = 0.04  # about the binomial sd of a mean reward over 128 episodes at p = 0.3


def noisy(y, seed):
    return y + np.random.default_rng(seed).normal(0, SD, T.size)


@pytest.mark.parametrize("seed", range(5))
def test_a_step_is_an_aha_with_its_onset_jump_and_sharpness(seed):
    y = noisy(0.1 + 0.6 * (T >= 72), seed)  # the jump happens between the logged updates 70 and 75
    o = detect_onset(T, y)
    assert o.found and o.call == "aha"
    assert 65 <= o.onset <= 75  # within one logging interval of the jump
    assert o.jump == pytest.approx(0.6, abs=0.05)
    assert o.sharpness <= 10  # a step is timed to the logging interval, not finer


def test_a_sigmoid_rise_partway_is_timed_at_its_10_percent_point():
    t0, w = 60.0, 4.0  # 10 % point at t0 - w ln 9 = 51.2; 10-90 % rise 17.6 updates
    o = detect_onset(T, noisy(0.05 + 0.7 / (1 + np.exp(-(T - t0) / w)), 11))
    assert o.found
    assert o.onset == pytest.approx(t0 - w * np.log(9), abs=5)
    assert o.sharpness == pytest.approx(2 * w * np.log(9), abs=8)


@pytest.mark.parametrize("seed", range(5))
def test_a_linear_ramp_is_not_an_aha(seed):
    o = detect_onset(T, noisy(0.1 + 0.6 * T / T[-1], seed))
    assert not o.found and o.call == "ramp"
    assert np.isnan(o.onset) and np.isnan(o.jump) and np.isnan(o.sharpness)


def test_a_slow_sigmoid_is_a_ramp_not_an_aha():
    """Rule 4: a logistic whose 10-90 % rise takes half the run (w = 17) is gradual, however clean."""
    o = detect_onset(T, noisy(0.1 + 0.6 / (1 + np.exp(-(T - 75) / 17)), 3))
    assert not o.found and o.call == "ramp"


def test_pure_noise_has_no_aha():
    calls = Counter(detect_onset(T, noisy(np.full(T.size, 0.3), s)).call for s in range(40))
    assert calls == Counter(flat=40)


def test_a_flat_line_has_no_aha():
    o = detect_onset(T, np.full(T.size, 0.25))
    assert not o.found and o.call == "flat" and o.noise == 0


def test_a_fall_and_a_jump_within_noise_are_not_ahas():
    assert detect_onset(T, noisy(0.8 - 0.6 * (T >= 72), 0)).call == "fall"
    rng = np.random.default_rng(5)
    y = 0.3 + rng.normal(0, 0.1, T.size)  # noisy curve ...
    y[T >= 100] += 0.05  # ... with a jump of half a noise sd
    assert not detect_onset(T, y).found
    assert JUMP_SIGMAS >= 2  # "large against noise" means more than a couple of sd


def test_nan_points_are_dropped_and_short_curves_not_judged():
    y = noisy(0.1 + 0.6 * (T >= 72), 1)
    y[[3, 20]] = np.nan  # a diverged seed's later metrics are NaN
    assert detect_onset(T, y).found
    o = detect_onset(T[:6], y[:6])
    assert o.call == "too short" and not o.found


def test_noise_sd_ignores_a_single_jump():
    y = noisy(0.1 + 0.6 * (T >= 72), 2)
    assert noise_sd(y) == pytest.approx(SD, rel=0.5)


def test_first_signal_time_is_the_geometric_wait_for_an_informative_group():
    # p = 0: never; p large: the first update; in between, 1 / P(some group of the update informative)
    assert np.isinf(first_signal_time(0.0, 8, 16))
    assert first_signal_time(0.5, 8, 16) == pytest.approx(1.0, abs=1e-6)
    p, G, P = 0.002, 8, 4
    phi = 1 - p**G - (1 - p) ** G
    assert first_signal_time(p, G, P) == pytest.approx(1 / (1 - (1 - phi) ** P))


def test_detector_power_on_synthetic_steps_at_the_cells_noise():
    from theory.onset import detector_power

    t = np.arange(0, 150, 5.0)
    rng = np.random.default_rng(1)
    quiet = 0.02 * rng.standard_normal(t.size)
    assert detector_power(t, quiet, 0.5, (32, 0)) == 1.0  # a 25-sd step is always found
    noisy = 0.3 * rng.standard_normal(t.size)
    assert detector_power(t, noisy, 0.3, (32, 0)) < 0.8  # a 1-sd step mostly is not
    assert detector_power(t, quiet, 0.5, (32, 0)) == detector_power(t, quiet, 0.5, (32, 0))  # keyed
    assert np.isnan(detector_power(t[:5], quiet[:5], 0.5, (8, 0)))


def test_c10_fails_only_where_the_detector_has_power():
    """The shipped C10 read "fails: gradual" from 9 of 93 gaining cells with an aha without knowing
    whether the detector could have found a step at that noise; fails on the old rule."""
    from theory.claims_behaviour import verdict_c10

    found = np.array([True] * 9 + [False] * 84)
    on, phi = np.arange(9.0), np.linspace(0.1, 0.9, 9)
    weak = verdict_c10(found, on, phi, power=0.5)
    assert weak.verdict.startswith("not determined") and "50% of synthetic steps" in weak.verdict
    assert verdict_c10(found, on, phi, power=0.9).verdict.startswith("fails")
