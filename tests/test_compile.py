"""Issue 24 item 3: torch.compile behind `CellConfig.torch_compile` computes what eager computes,
within float rounding (not bitwise: inductor fuses and reorders the arithmetic)."""

import pytest
import torch

from toymodels import CellConfig, make_model
from toymodels.models import _COMPILED


def test_compiled_forward_and_gradients_equal_eager_within_tolerance():
    """The training pass (forward and backward) of a transformer, compiled and eager. Compiling
    takes ~10 CPU s when inductor's cache is warm, minutes when cold: one small case only; the
    MLP's and the decoding passes go through the same `_call_core`."""
    cfg = CellConfig(width=16, horizon=3, seeds=(0, 1), device="cpu")
    eager = make_model(cfg.model_config(), cfg.seeds)
    fast = make_model(cfg.model_config(), cfg.seeds).use_compile()
    tokens = torch.randint(0, cfg.model_config().d_vocab, (2, 5, 9))
    a, b = eager(tokens), fast(tokens)
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)
    assert any(k.__qualname__ == "TinyTransformer._core" for k in _COMPILED)  # the compiled path ran
    a.square().mean().backward()
    b.square().mean().backward()
    for (n, p), q in zip(eager.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6, msg=n)


def test_torch_compile_is_a_checked_config_field():
    with pytest.raises(ValueError, match="torch_compile must be True or False"):
        CellConfig(torch_compile="yes")
