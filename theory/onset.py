"""The aha as an event in training time: a change-point fit on one RL curve (e.g. the reward over updates).

A curve y observed at logged updates t_1 < ... < t_n is fitted by three models, each with
independent Gaussian noise of unknown variance:

- ``flat``:  y = a                                    (k = 2 parameters with the noise variance)
- ``ramp``:  y = a + b t                              (k = 3)
- ``rise``:  y = a + h / (1 + exp(-(t - t0) / w))     (k = 5): a logistic of free midpoint t0 and
  free width w; w -> 0 is a step, a large w is a ramp. Its midpoint is kept inside the run, with
  at least ``EDGE`` logged points on each side, so both plateaus are observed.

Each is fitted by least squares (the rise on a grid of t0 and log w, a and h solved in closed form
at every grid point) and scored by BIC = n ln(SSE / n) + k ln n. The noise sd is estimated without
any model from successive differences: sigma = 1.4826 MAD(diff y) / sqrt 2 (robust to the few
differences a jump or a trend makes large).

**Rule.** A curve has an aha when all four hold:

1. *evidence*: the rise beats both the flat line and the ramp by ΔBIC >= ``DBIC`` (10, "very
   strong" on Kass & Raftery's scale);
2. *upward*: h > 0 (a sudden fall is a collapse, not an aha);
3. *large against noise*: h >= ``JUMP_SIGMAS`` (3) x sigma, so the jump stands out of one update's noise;
4. *sharp against the run*: the 10 %-90 % rise time 2 ln 9 w is at most ``SHARP_FRAC`` (1/4) of the
   run (t_n - t_1): the curve spends at least three quarters of the run on its plateaus.

Otherwise the call names why not: ``flat`` (no evidence of any change: neither the rise nor the
ramp beats the flat line by ΔBIC >= DBIC), ``ramp`` (a trend, but the ramp is as good as the rise,
or the rise is too slow: rule 4),
``fall`` (rule 2), ``small`` (rule 3); ``too short`` with fewer than ``MIN_POINTS`` finite points.
The thresholds are fixed by these principles, never tuned on real results; tests/test_onset.py
checks them on synthetic steps, ramps, noise and flat lines.

Reported for an aha: ``onset`` = the update at 10 % of the rise (t0 - w ln 9, clipped to the run),
``jump`` = h (in the curve's units), ``sharpness`` = updates from 10 % to 90 % of the rise. A rise
faster than the logging interval cannot be timed more finely: sharpness is then reported as that
interval (an upper bound) and the onset is known to within it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._result import JsonMixin

__all__ = [
    "DBIC",
    "JUMP_SIGMAS",
    "SHARP_FRAC",
    "EDGE",
    "MIN_POINTS",
    "RULE",
    "Onset",
    "noise_sd",
    "detect_onset",
    "first_signal_time",
    "detector_power",
    "GOOD_POWER",
]

DBIC = 10.0
"""Rule 1: BIC margin of the rise over both the flat line and the ramp."""
JUMP_SIGMAS = 3.0
"""Rule 3: the jump must be at least this many noise sd."""
SHARP_FRAC = 0.25
"""Rule 4: the 10-90 % rise time must be at most this fraction of the run."""
EDGE = 2
"""Logged points required on each side of the rise's midpoint."""
MIN_POINTS = 8
"""Fewer finite points than this and the curve is not judged."""
LN9 = float(np.log(9.0))
RULE = (
    f"aha when a logistic rise of free onset and width beats both a flat line and a linear ramp by ΔBIC >= "
    f"{DBIC:g}, rises (h > 0) by >= {JUMP_SIGMAS:g} noise sd (sd from successive differences) and takes at "
    f"most {SHARP_FRAC:g} of the run from 10% to 90% of its rise (midpoint >= {EDGE} logged points from "
    f"either end); otherwise none"
)


@dataclass
class Onset(JsonMixin):
    """The change-point fit of one curve. Times are in the curve's own units (RL updates)."""

    found: bool
    """True when the curve has an aha by the module's rule."""
    call: str
    """'aha', or why not: 'flat', 'ramp', 'fall', 'small', 'too short'."""
    onset: float
    """Update at 10 % of the fitted rise (NaN without an aha)."""
    jump: float
    """Fitted rise h, in the curve's units (NaN without an aha)."""
    sharpness: float
    """Updates from 10 % to 90 % of the rise, at least the logging interval there (NaN without an aha)."""
    t0: float
    """Fitted midpoint of the rise model (reported for every judged curve)."""
    width: float
    """Fitted logistic width w of the rise model."""
    h: float
    """Fitted rise of the rise model (signed; reported for every judged curve)."""
    dbic_flat: float
    """BIC(flat) - BIC(rise): evidence of the rise over the flat line (> 0 favours the rise)."""
    dbic_ramp: float
    """BIC(ramp) - BIC(rise)."""
    noise: float
    """Noise sd from successive differences."""
    n_points: int
    """Finite points used."""


def noise_sd(y: np.ndarray) -> float:
    """Model-free noise sd of a curve: 1.4826 x MAD of the successive differences / sqrt 2."""
    d = np.diff(np.asarray(y, float))
    if d.size < 2:
        return float("nan")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def _bic(sse: np.ndarray, n: int, k: int, floor: float) -> np.ndarray:
    return n * np.log(np.maximum(sse, floor) / n) + k * np.log(n)


def _rise_fit(
    t: np.ndarray, y: np.ndarray, per_gap: int = 8, n_w: int = 48
) -> tuple[float, float, float, float, float]:
    """Least-squares logistic (t0, w, a, h, sse) on a grid: t0 between the EDGE-th point from either
    end (``per_gap`` values per logging interval), w log-spaced from 1 % of the smallest interval to
    the run length; a and h in closed form at each grid point."""
    gaps = [np.linspace(t[i], t[i + 1], per_gap, endpoint=False)[1:] for i in range(EDGE - 1, t.size - EDGE)]
    t0s = np.unique(np.concatenate([*gaps, t[EDGE : t.size - EDGE]]))
    span = t[-1] - t[0]
    ws = np.geomspace(0.01 * np.diff(t).min(), span, n_w)
    T0, W = np.meshgrid(t0s, ws, indexing="ij")  # (n_t0, n_w)
    z = np.clip((t[None, None, :] - T0[..., None]) / W[..., None], -60, 60)  # (n_t0, n_w, n)
    x = 1.0 / (1.0 + np.exp(-z))
    xm, ym = x.mean(-1, keepdims=True), y.mean()
    sxx = ((x - xm) ** 2).sum(-1)
    h = np.where(sxx > 1e-12, ((x - xm) * (y - ym)).sum(-1) / np.maximum(sxx, 1e-12), 0.0)
    a = ym - h * xm[..., 0]
    sse = ((y - a[..., None] - h[..., None] * x) ** 2).sum(-1)
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)
    return float(T0[i, j]), float(W[i, j]), float(a[i, j]), float(h[i, j]), float(sse[i, j])


def detect_onset(t, y) -> Onset:
    """The change-point fit and call of one curve (module docstring); NaN points are dropped."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    order = np.argsort(t)
    t, y = t[order], y[order]
    n = int(t.size)
    nan = float("nan")
    if n < MIN_POINTS or t[-1] <= t[0]:
        return Onset(False, "too short", nan, nan, nan, nan, nan, nan, nan, nan, noise_sd(y) if n else nan, n)
    floor = n * (1e-9 * max(1.0, float(np.abs(y).max()))) ** 2  # an exactly flat or exact curve: SSE 0
    sse_flat = float(((y - y.mean()) ** 2).sum())
    slope, icept = np.polyfit(t, y, 1)
    sse_ramp = float(((y - icept - slope * t) ** 2).sum())
    t0, w, _, h, sse_rise = _rise_fit(t, y)
    b_flat, b_ramp, b_rise = (
        float(_bic(np.asarray(s), n, k, floor)) for s, k in ((sse_flat, 2), (sse_ramp, 3), (sse_rise, 5))
    )
    d_flat, d_ramp = b_flat - b_rise, b_ramp - b_rise
    sigma = noise_sd(y)
    rise_time = 2 * LN9 * w
    run = t[-1] - t[0]
    if d_flat < DBIC or d_ramp < DBIC:
        call = "ramp" if b_flat - b_ramp >= DBIC else "flat"
    elif h <= 0:
        call = "fall"
    elif h < JUMP_SIGMAS * sigma:
        call = "small"
    elif rise_time > SHARP_FRAC * run:
        call = "ramp"
    else:
        call = "aha"
    if call != "aha":
        return Onset(False, call, nan, nan, nan, t0, w, h, d_flat, d_ramp, sigma, n)
    k = int(np.clip(np.searchsorted(t, t0), 1, n - 1))
    interval = float(t[k] - t[k - 1])  # the logging interval around the midpoint
    onset = float(np.clip(t0 - w * LN9, t[0], t[-1]))
    return Onset(True, "aha", onset, h, max(rise_time, interval), t0, w, h, d_flat, d_ramp, sigma, n)


def first_signal_time(p_trace, G: int, prompts_per_update: int) -> np.ndarray:
    """The theory's predicted first-signal time, in updates: the expected number of updates up to
    and including the first whose rollout holds an informative GRPO group *because of a correct
    trace* (geometric waiting time, ``theory.credit.first_signal_updates``) with the success rate
    p = the base model's trace pass@1. The trace rate, not the reward rate, so that lucky guesses of
    the answer (which make groups informative without any strategy to amplify) do not count as signal."""
    from .credit import first_signal_updates  # noqa: PLC0415

    return first_signal_updates(np.asarray(p_trace, float), G, prompts_per_update)


POWER_REPS = 10
"""Synthetic steps per cell for the detector's power (C10)."""
GOOD_POWER = 0.8
"""C10: the detector's power at which "no aha" is evidence that the gain arrived gradually."""


def detector_power(t, y, jump: float, key: tuple[int, ...], reps: int = POWER_REPS) -> float:
    """Share of synthetic steps the rule finds on one cell's terms: its logged updates ``t``, a step
    of height ``jump`` at an update drawn uniformly among those with ``EDGE`` + 1 logged points on
    each side, and Gaussian noise of the curve's own noise sd (``noise_sd(y)``). Random numbers keyed
    on ``key`` (the cell's width and seed). NaN for a curve too short to judge or a jump <= 0."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if t.size < MIN_POINTS or not (np.isfinite(jump) and jump > 0):
        return float("nan")
    rng = np.random.default_rng([*map(int, key), 10])
    sigma = noise_sd(y)
    found = 0
    for _ in range(reps):
        i = int(rng.integers(EDGE + 1, t.size - EDGE - 1))
        curve = np.where(np.arange(t.size) >= i, jump, 0.0) + sigma * rng.standard_normal(t.size)  # (points,)
        found += detect_onset(t, curve).found
    return found / reps
