"""Issue 24 item 3: torch.compile behind `CellConfig.torch_compile` computes what eager computes,
within float rounding (not bitwise: inductor fuses and reorders the arithmetic)."""

import pytest
import torch

from toymodels import CellConfig, make_model
from toymodels.models import _COMPILED


def test_compiled_forward_equals_eager_within_tolerance():
    """A transformer's forward pass, compiled and eager, equal within float rounding. Compiling takes
    seconds with inductor's cache warm and a minute or more cold: one small inference graph only
    (the MLP's goes through the same `_call_core`; decoding stays eager; benchmarks/compile_speed.py
    compares whole cells, training included, by their statistics)."""
    cfg = CellConfig(width=8, horizon=3, seeds=(0, 1), device="cpu")
    eager = make_model(cfg.model_config(), cfg.seeds)
    fast = make_model(cfg.model_config(), cfg.seeds).use_compile()
    tokens = torch.randint(0, cfg.model_config().d_vocab, (2, 5, 9))
    with torch.no_grad():
        a, b = eager(tokens), fast(tokens)
    assert any(k.__qualname__ == "TinyTransformer._core" for k in _COMPILED)  # the compiled path ran
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)
    assert a.abs().max() > 1e-3  # not a pass of zeros


def test_torch_compile_is_a_checked_config_field():
    with pytest.raises(ValueError, match="torch_compile must be True or False"):
        CellConfig(torch_compile="yes")
