"""The hypothesis verdict rules of theory/hypotheses.py (the words of report.md's Theory section),
branch by branch on small inputs with known answers."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np

from theory import hypotheses as h


def _loo(gain_model, constant, linear, verdict="base-only model predicts gain better than size"):
    return NS(rmse={"gain_model": gain_model, "constant": constant, "linear_lnN": linear}, n_groups=5, verdict=verdict)


def test_h2_holds_only_below_both_baselines():
    assert h.verdict_h2("phi", _loo(0.1, 0.2, 0.15)).verdict == "holds"
    assert h.verdict_h2("phi", _loo(0.16, 0.2, 0.15)).verdict == "fails"  # beats the constant, not ln N
    assert h.verdict_h2("phi", _loo(0.1, 0.2, 0.15, "undetermined: 3 sizes")).verdict == "undetermined"
    v = h.verdict_h2("coverage", _loo(0.1, 0.2, 0.15), "trace pass@64")
    assert v.claim == "H2 (coverage, trace pass@64)" and "LOO RMSE gain model 0.1 vs constant 0.2" in v.result


def test_h3_no_signal_no_gain():
    phi = np.array([0.01, 0.02, 0.03, 0.5, 0.6])
    assert h.verdict_h3(phi, [0.0, 0.01, -0.01, 0.3, 0.4]).verdict == "holds"
    assert h.verdict_h3(phi, [0.1, 0.1, 0.1, 0.3, 0.4]).verdict == "fails"  # gains without a signal
    v = h.verdict_h3(phi + 0.1, [0.0, 0.01, -0.01, 0.3, 0.4])
    assert v.verdict == "not testable" and v.numbers["mean_gain_no_signal"] is None
    assert "every cell has signal" in v.result


def test_h5_h6_h7():
    assert h.verdict_h5([np.nan, 2.0, np.nan, np.nan], 0.25).verdict == "holds"
    assert h.verdict_h5([np.nan] * 4, 0.5).verdict == "fails"
    s = NS(median_r2=0.6, n_cells=10, frac_a_positive=0.7, a_slope_lnN=0.1, a_slope_p=0.5, b_slope_lnN=0.0, b_slope_p=1)
    assert h.verdict_h6(s).verdict == "holds"
    assert h.verdict_h6(NS(**{**vars(s), "frac_a_positive": 0.5})).verdict == "fails"
    assert h.verdict_h6(NS(**{**vars(s), "n_cells": 0})).verdict == "undetermined"
    fit = NS(
        verdict="smooth", N_c=1e4, N_c_ci=(3e3, 5e4), N_c_bracketed=True, ci_level=0.9, w=0.05, n_sizes=5,
        n_obs=15, likelihood="gaussian", bootstrap="seeds", n_boot_failed=1, n_boot_ok=199, trustworthy=False,
        N_range=(888.0, 2e5),
    )  # fmt: skip
    words = {s: h.verdict_h7(fit, NS(survives=s)).verdict for s in ("yes", "no", "undetermined")}
    assert words == {"yes": "holds", "no": "fails", "undetermined": "undetermined"}
    assert h.verdict_h7(fit, None).verdict == "undetermined"
    assert h.verdict_h7(fit).result.startswith("fit: smooth; logistic N_c between 3e+03 and 5e+04 (90%; bracket")


def test_axis_rules_need_every_n_c_trustworthy_and_the_predicted_sign():
    surf = lambda rho, trust=True: NS(spearman_rho=rho, trustworthy=[trust] * 3)  # noqa: E731
    assert h.axis_word("H4", surf(0.5)) == "holds" and h.axis_word("H4", surf(-0.5)) == "fails"
    assert h.axis_word("H8", surf(-0.5)) == "holds" and h.axis_word("H11", surf(0.5)) == "fails"
    assert h.axis_word("H10", surf(-0.6)) == "holds" and h.axis_word("H10", surf(0.4)) == "fails"
    assert h.axis_word("H8", surf(-0.9, trust=False)) == "undetermined"  # both sides alike: untrusted decides nothing
    assert h.axis_word("H8", surf(np.nan)) == "undetermined"
