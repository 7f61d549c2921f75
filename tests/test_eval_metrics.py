"""Issue 10 item 4: the per-step accuracy fed to the H4 predictor (p = q^L) is the probability of
the correct step under sampling (`step_prob`), not the teacher-forced argmax accuracy."""

import json
import math

import numpy as np
import pytest
import torch
from stub_model import UniformSampler

import envs
from aha.fit import fit_run
from toymodels.evaluate import evaluate

P_RIGHT, P_WRONG = 0.4, 0.6  # the controlled model's next-token distribution


class ControlledModel(UniformSampler):
    """Teacher forced, it puts P_RIGHT on the next token of its input and P_WRONG on another one,
    so the argmax is always wrong while the correct step has probability P_RIGHT. Sampling-time
    calls (prefill/decode) return uniform logits."""

    def forward(self, tokens, hidden=False):
        S, B, T = tokens.shape
        V = envs.vocab.D_VOCAB
        logits = torch.full((S, B, T, V), -1e9)
        nxt = torch.cat([tokens[..., 1:], tokens[..., -1:]], -1)  # (S, B, T) the teacher-forced target
        logits.scatter_(-1, nxt[..., None], math.log(P_RIGHT))
        logits.scatter_(-1, ((nxt + 1) % V)[..., None], math.log(P_WRONG))
        return logits


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_step_prob_is_the_mean_probability_of_the_correct_step(temperature):
    task = envs.make_task("ModChain", L=4)
    assert task.step_positions  # the steps, not the answer, are measured
    r = evaluate(ControlledModel(), task, n_prompts=6, k_max=2, temperature=temperature)
    q = P_RIGHT ** (1 / temperature) / (P_RIGHT ** (1 / temperature) + P_WRONG ** (1 / temperature))
    np.testing.assert_allclose(r["step_prob"], [q, q], rtol=1e-5)
    np.testing.assert_array_equal(r["step_acc_argmax"], [0.0, 0.0])
    assert "step_acc" not in r


def test_h4_predictor_reads_step_prob(tmp_path):
    """The predictor's q per size is the mean base step_prob, not the argmax accuracy, and its
    RMSE and correlation against the observed gain are reported."""
    from test_theory_fit_run import make_grid  # noqa: PLC0415

    run = tmp_path / "run"
    ds = make_grid(run)
    q_prob = ds["base_step_prob"].copy()
    ds["base_step_prob"] = q_prob * 0.5  # sampled per-step success far below the argmax accuracy
    ds["base_step_acc_argmax"] = xr_ones_like(q_prob)
    ds.to_netcdf(run / "grid.nc", engine="h5netcdf")
    fit_run(run, n_boot=5, seed=0)
    h4 = json.loads((run / "fits.json").read_text())["H4"]
    q_pred = np.array(h4["prediction"]["q"])
    ok = ds["status"] == "ok"
    want = ds["base_step_prob"].sel(split="id").where(ok).mean("seed")  # (width, depth)
    n = want["n_params"].broadcast_like(want).values.ravel()
    np.testing.assert_allclose(q_pred, want.values.ravel()[np.argsort(n)], rtol=1e-6)  # sorted by size
    assert np.all(q_pred < 0.51)  # never the argmax accuracy (1.0)
    assert np.isfinite(h4["comparison"]["rmse"]) and "corr" in h4["comparison"]


def xr_ones_like(da):
    return da * 0 + 1.0


def test_a_certain_trace_has_trace_pass_at_k_one_without_a_warning():
    """p = 1 (log-probability 0, a model sure of the one right trace) is the exact formula's edge:
    1 - (1 - p)^k = 1 for every k, with no divide-by-zero warning in the run's log."""
    import warnings

    from toymodels.evaluate import trace_metrics

    logp = np.array([[0.0, np.log(0.5)]])  # (S=1, B=2): one certain trace, one at 1/2
    kk = np.array([1, 2, 64])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = trace_metrics(np.zeros((1, 2)), 64, logp, kk, 8)
    expect = (1.0 + (1 - 0.5**kk)) / 2
    np.testing.assert_allclose(out["trace_pass_at_k"][0], expect)
