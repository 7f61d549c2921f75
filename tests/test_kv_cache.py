"""Issue 24 (session 3): the transformer's KV cache is allocated once per decode and written in
place; logits, sampled tokens (counter-based randomness), rollouts and evaluation metrics are
bit-identical to the cache grown by torch.cat at every step (`preallocate = False`, the code
before)."""

import importlib

import numpy as np
import pytest
import torch

import envs
from toymodels import CellConfig, make_model
from toymodels.models import ModelConfig
from toymodels.rollout import make_env, rollout
from toymodels.sampling import SAMPLE, stream

E = importlib.import_module("toymodels.evaluate")  # the module (toymodels re-exports the function)
CFG = dict(d_model=16, n_layers=2, n_heads=2, d_mlp=32, n_ctx=16)


def peaked(model, scale: float = 40.0):
    """The model with its unembedding scaled up: low-entropy next-token distributions, so sampled
    rows share prefixes (the deduplicating sampler's path) without pretraining."""
    with torch.no_grad():
        model.W_U.mul_(scale)
    return model


@pytest.mark.parametrize("positions", ["rotary", "learned"])
def test_decode_writes_one_buffer_in_place_with_the_logits_of_concatenation(positions):
    """Fails on the code before: prefill took no max_len and every decode step made new tensors."""
    cfg = ModelConfig(positions=positions, **CFG)
    new, old = make_model(cfg, [0, 1, 2]), make_model(cfg, [0, 1, 2])
    old.preallocate = False
    x = torch.randint(0, 30, (3, 4, 14), generator=torch.Generator().manual_seed(0))
    a, ca = new.prefill(x[..., :6], max_len=14)
    b, cb = old.prefill(x[..., :6], max_len=14)
    assert torch.equal(a, b)
    ptrs = [(k.data_ptr(), v.data_ptr()) for k, v in ca[0]]
    assert all(k.shape == (3, 4, 2, 14, 8) for k, _ in ca[0])
    assert all(k.shape[3] == 6 for k, _ in cb[0])  # the reference holds exactly what it has seen
    for t in range(6, 14):
        a, ca = new.decode(x[..., t], ca)
        b, cb = old.decode(x[..., t], cb)
        assert torch.equal(a, b), t
    assert [(k.data_ptr(), v.data_ptr()) for k, v in ca[0]] == ptrs  # no step reallocated
    assert all(k.shape[3] == 14 for k, _ in cb[0])


def test_decoding_past_the_buffer_falls_back_to_concatenation():
    cfg = ModelConfig(**CFG)
    model = make_model(cfg, [0, 1])
    x = torch.randint(0, 30, (2, 3, 12), generator=torch.Generator().manual_seed(1))
    full = model(x)
    logits, cache = model.prefill(x[..., :5], max_len=8)  # three steps of room, then four more
    for t in range(5, 12):
        logits, cache = model.decode(x[..., t], cache)
        torch.testing.assert_close(logits, full[:, :, t], atol=1e-5, rtol=1e-5)
    assert cache[0][0][0].shape[3] == 12


@pytest.mark.parametrize("kind", ["transformer", "mlp"])
@pytest.mark.parametrize(("n", "temperature", "scale"), [(16, 1.0, 40.0), (8, 1.0, 1.0), (1, 0.0, 1.0)])
def test_sampled_tokens_are_bit_identical(kind, n, temperature, scale):
    """Both sampler paths (rows sharing prefixes: a peaked model; every row its own: a diffuse
    one), greedy too, and the every-row reference, under the same keyed generator."""
    task = envs.make_task("ModChain", L=3)
    cfg = CellConfig(model_kind=kind, width=16, horizon=3, device="cpu").model_config()
    new = peaked(make_model(cfg, (0, 1)), scale)
    old = peaked(make_model(cfg, (0, 1)), scale)
    old.preallocate = False
    prompts, _ = E.eval_items(task, 6, "cpu")
    pr, C = prompts[None].expand(2, -1, -1), task.completion_len
    streams = torch.tensor([stream(s, SAMPLE) for s in new.seeds])
    want = E.generate(old, pr, C, n, temperature, streams, 11)
    assert torch.equal(E.generate(new, pr, C, n, temperature, streams, 11), want)
    assert torch.equal(E.generate_every_row(new, pr, C, n, temperature, streams, 11), want)
    if temperature > 0 and n > 1:  # the check has teeth: rows differ
        assert len({tuple(r) for r in want[0].tolist()}) > 6


def test_rollouts_and_evaluation_are_bit_identical():
    cfg = CellConfig(width=16, horizon=3, seeds=(0, 1), device="cpu")
    new = peaked(make_model(cfg.model_config(), cfg.seeds), 8.0)
    old = peaked(make_model(cfg.model_config(), cfg.seeds), 8.0)
    old.preallocate = False
    env = make_env(cfg, 3, 2 * 4 * 4, "cpu")
    for u in range(2):
        a, b = rollout(new, env, u, 4, 4, 1.0), rollout(old, env, u, 4, 4, 1.0)
        for field in ("completions", "mask", "rewards", "logp", "correct"):
            assert torch.equal(getattr(a, field), getattr(b, field)), (u, field)
    task = cfg.tasks()["id"]
    ra, rb = E.evaluate(new, task, 8, 8, 1.0), E.evaluate(old, task, 8, 8, 1.0)
    for k, v in rb.items():
        np.testing.assert_array_equal(ra[k], v, err_msg=k)
