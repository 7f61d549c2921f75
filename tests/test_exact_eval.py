"""Issue 24 items 1 and 2: exact trace metrics from teacher forcing agree with what sampling
estimates, and the deduplicating sampler writes the tokens that decoding every row writes."""

import sys

import numpy as np
import pytest
import torch

import envs
from envs import vocab
from toymodels import CellConfig, run_cell
from toymodels.models import make_model
from toymodels.run import pretrain_for
from toymodels.sampling import SAMPLE, stream

E = sys.modules["toymodels.evaluate"]  # the module (toymodels re-exports the function `evaluate`)


@pytest.fixture(scope="module")
def trained():
    """Briefly pretrained width-16 models (2 seeds) on ModChain L=3, by kind: their samples share
    prefixes (deduplication acts) and differ (it is not trivial)."""
    out = {}
    for kind in ("transformer", "mlp"):
        cfg = CellConfig(model_kind=kind, width=16, horizon=3, seeds=(0, 1), pretrain_tokens=20_000, device="cpu")
        out[kind] = make_model(cfg.model_config(), cfg.seeds)
        pretrain_for(cfg)(out[kind])
    return out, cfg.tasks()["id"]


@pytest.mark.parametrize("kind", ["transformer", "mlp"])
@pytest.mark.parametrize(("n", "temperature"), [(32, 1.0), (8, 1.5), (1, 0.0), (2, 1.0)])
def test_deduplicated_sampling_is_bit_identical(trained, kind, n, temperature):
    models, task = trained
    model = models[kind]
    prompts, _ = E.eval_items(task, 12, "cpu")
    pr = prompts[None].expand(model.n_seeds, -1, -1)
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds])
    want = E.generate_every_row(model, pr, task.completion_len, n, temperature, streams, 7_000_000)
    got = E.generate(model, pr, task.completion_len, n, temperature, streams, 7_000_000)
    assert torch.equal(got, want)
    if temperature > 0 and n >= 8:  # the check has teeth: the samples differ between rows
        assert len({tuple(r) for r in got[0].tolist()}) > 12


def test_distinct_prefixes_numbers_keys_per_seed():
    key = torch.tensor([[5, 5, 7, 5], [9, 2, 2, 2]])
    state, parent, token = E.distinct_prefixes(key, V=4, min_rows=3)
    assert state.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    assert parent.tolist() == [[1, 1, 0], [0, 2, 0]]  # 5 = 1*4+1, 7 = 1*4+3; 2 = 0*4+2, 9 = 2*4+1; spare row
    assert token.tolist() == [[1, 3, vocab.PAD], [2, 1, vocab.PAD]]


def test_exact_trace_applies_only_where_the_right_trace_is_unique():
    assert E.exact_trace(envs.make_task("ModChain", L=3))
    assert E.exact_trace(envs.make_task("MultiDigitAdd"))
    assert not E.exact_trace(envs.make_task("ModChain", L=3, revise=True))  # a revised trace is right too
    assert not E.exact_trace(envs.make_task("Countdown"))  # many right expressions
    assert E.estimates(envs.make_task("Countdown"))["trace_pass_at_k"] == "sampled"
    assert E.estimates(envs.make_task("ModChain", L=3))["pass_at_k"] == "sampled"


class OracleModel(torch.nn.Module):
    """Puts probability Q on the canonical next token of its prompt's target and spreads the rest
    evenly, the same way teacher forced (forward) and sampling (prefill/decode): each prompt's
    right trace has probability Q^C at temperature 1, and each step the tempered share of Q."""

    Q = 0.95

    def __init__(self, task, prompts, targets, n_seeds=2):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(n_seeds))
        self.seeds, self.n_seeds, self.P = tuple(range(n_seeds)), n_seeds, task.prompt_len
        self.table = {tuple(p.tolist()): t for p, t in zip(prompts, targets)}

    def _logits(self, seq):  # seq: <bos>, prompt, completion so far -> next-token logits (V,)
        V, c = vocab.D_VOCAB, len(seq) - 1 - self.P
        out = torch.full((V,), float(np.log((1 - self.Q) / (V - 1))))
        target = self.table.get(tuple(seq[1 : 1 + self.P]))
        if target is not None and 0 <= c < len(target):
            out[target[c]] = float(np.log(self.Q))
        return out

    def forward(self, tokens, hidden=False):
        S, B, T = tokens.shape
        rows = [
            [torch.stack([self._logits(tokens[s, b, : j + 1].tolist()) for j in range(T)]) for b in range(B)]
            for s in range(S)
        ]
        return torch.stack([torch.stack(r) for r in rows])

    def _last(self, tokens):
        return torch.stack([torch.stack([self._logits(row) for row in seed.tolist()]) for seed in tokens])

    def prefill(self, tokens, start=0, max_len=0):
        return self._last(tokens), tokens

    def decode(self, token, cache):
        cache = torch.cat([cache, token[..., None]], -1)
        return self._last(cache), cache

    @staticmethod
    def expand(cache, n):
        return cache.repeat_interleave(n, 1)

    @staticmethod
    def select(cache, idx):
        from toymodels.models import select_rows  # noqa: PLC0415

        return select_rows(cache, idx)


@pytest.mark.parametrize("temperature", [1.0, 1.5])
def test_exact_trace_metrics_agree_with_sampling(temperature):
    """Exact trace pass@k and φ equal their closed forms for a model whose right trace has a known
    probability, and the unbiased estimates from 256 samples per prompt agree with them within
    sampling error; the exact ones are not the sampled ones (they carry no sampling noise)."""
    task = envs.make_task("ModChain", L=3)
    n, B, G, C = 256, 12, 8, task.completion_len
    prompts, targets = E.eval_items(task, B, "cpu")
    model = OracleModel(task, prompts, targets)
    exact = E.evaluate(model, task, B, n, temperature, group_size=G)
    V, q = vocab.D_VOCAB, OracleModel.Q
    q_t = q ** (1 / temperature) / (q ** (1 / temperature) + (V - 1) * ((1 - q) / (V - 1)) ** (1 / temperature))
    p = q_t**C  # every prompt's right trace
    np.testing.assert_allclose(exact["trace_pass_at_k"][0], [1 - (1 - p) ** k for k in E.ks(n)], rtol=1e-5)
    np.testing.assert_allclose(exact["trace_phi"], 1 - p**G - (1 - p) ** G, rtol=1e-5)
    np.testing.assert_allclose(exact["step_prob"], q_t, rtol=1e-5)

    S = model.n_seeds
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds])
    comps = E.generate(model, prompts[None].expand(S, -1, -1), C, n, temperature, streams, 123)
    reps = (
        prompts.repeat_interleave(n, 0).repeat(S, 1),
        comps.reshape(-1, C),
        targets.repeat_interleave(n, 0).repeat(S, 1),
    )
    c_tr = task.verify(*reps).trace_correct.view(S, B, n).sum(-1).numpy()
    sampled = E.trace_metrics(c_tr, n, None, np.array(E.ks(n)), G)
    se = np.sqrt(p * (1 - p) / (n * B))  # sd of the sampled pass@1, a mean of n * B draws
    assert 0.05 < p < 0.95
    np.testing.assert_array_less(np.abs(sampled["trace_pass_at_k"][:, 0] - p), 4 * se)
    np.testing.assert_allclose(sampled["trace_phi"], exact["trace_phi"], atol=0.06)
    assert not np.allclose(sampled["trace_pass_at_k"][:, 0], exact["trace_pass_at_k"][:, 0], atol=1e-6)


def test_exact_trace_pass_at_k_closed_form():
    with np.errstate(divide="ignore"):
        lp = np.log(np.array([[0.5, 0.1, 1.0, 0.0]]))  # (S=1, B=4)
        r = E.trace_metrics(None, 4, lp, np.array([1, 2, 4]), G=2)
    p = np.exp(lp)[0]
    np.testing.assert_allclose(r["trace_pass_at_k"][0], [(1 - (1 - p) ** k).mean() for k in (1, 2, 4)])
    np.testing.assert_allclose(r["trace_phi"], [(1 - p**2 - (1 - p) ** 2).mean()])


def test_cell_marks_exact_and_sampled_variables():
    ds = run_cell(
        CellConfig(
            width=8, horizon=3, seeds=(0,), pretrain_tokens=2_000, rl_updates=2, eval_prompts=8, k_max=4, device="cpu"
        )
    )
    assert ds["base_trace_pass_at_k"].attrs["estimate"] == "exact"
    assert ds["rl_trace_phi"].attrs["estimate"] == "exact"
    assert ds["base_pass_at_k"].attrs["estimate"] == "sampled"
    assert ds["rl_step_prob"].attrs["estimate"] == "exact"
    assert "estimate" not in ds["reward"].attrs


def test_evaluation_in_seed_slices_equals_one_batch(trained):
    """Seeds sampled one slice at a time give exactly the metrics of one batch, and a seed alone
    gets what it gets inside the batch."""
    models, task = trained
    model = models["transformer"]
    assert E.seed_slices(model, 4096, limit=1) == [(0, 1), (1, 2)]
    whole = E.evaluate(model, task, 8, 8, 1.0, slice_bytes=2**62)
    sliced = E.evaluate(model, task, 8, 8, 1.0, slice_bytes=1)
    alone = E.evaluate(model.seed_slice(1, 2), task, 8, 8, 1.0)
    for k, v in whole.items():
        np.testing.assert_array_equal(sliced[k], v, err_msg=k)
        np.testing.assert_array_equal(alone[k][0], v[1], err_msg=k)


@pytest.mark.parametrize("peaked", [True, False])
def test_both_sampler_modes_are_bit_identical(peaked):
    """A peaked model's rows share prefixes and decode once per prefix; a diffuse (untrained)
    model's rows soon have prefixes of their own and decode one by one: both write the tokens of
    decoding every row."""
    task = envs.make_task("ModChain", L=3)
    prompts, targets = E.eval_items(task, 4, "cpu")
    if peaked:
        model = OracleModel(task, prompts, targets)
    else:
        model = make_model(CellConfig(width=8, horizon=3, device="cpu").model_config(), (0, 1))
    pr, n, C = prompts[None].expand(2, -1, -1), 16, task.completion_len
    streams = torch.tensor([stream(s, SAMPLE) for s in model.seeds])
    want = E.generate_every_row(model, pr, C, n, 1.0, streams, 5)
    rows, decode = [], model.decode
    model.decode = lambda tok, cache: (rows.append(tok.shape[1]), decode(tok, cache))[1]
    got = E.generate(model, pr, C, n, 1.0, streams, 5)
    assert torch.equal(got, want)
    assert (max(rows) < 4 * n) if peaked else (rows[-1] == 4 * n)
