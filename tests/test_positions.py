"""Issue 10 item 8: positions that generalise (rotary), and the learned table kept as an option."""

import pytest
import torch

from toymodels import CellConfig, make_model
from toymodels.models import ModelConfig
from toymodels.run import ood_untrained_inputs

CFG = dict(d_model=16, n_layers=2, n_heads=2, d_mlp=32, n_ctx=13)


def tokens(S=3, B=4, T=13):
    return torch.randint(0, 30, (S, B, T), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("positions", ["rotary", "learned"])
def test_cached_decode_equals_forward_and_seed_alone_equals_batch(positions):
    cfg = ModelConfig(positions=positions, **CFG)
    many, one = make_model(cfg, [0, 1, 2]), make_model(cfg, [1])
    x = tokens()
    full = many(x)  # (S, B, T, V)
    logits, cache = many.prefill(x[..., :6])
    torch.testing.assert_close(logits, full[:, :, 5], atol=1e-5, rtol=1e-5)
    cache = many.expand(cache, 2)  # two samples per row: rows b * 2 + j
    for t in range(6, 13):
        logits, cache = many.decode(x[..., t].repeat_interleave(2, 1), cache)
        torch.testing.assert_close(logits, full[:, :, t].repeat_interleave(2, 1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(one(x[1:2]), full[1:2], atol=1e-5, rtol=1e-5)


def test_rotary_logits_depend_only_on_relative_position():
    m = make_model(ModelConfig(positions="rotary", **CFG), [0, 1])
    x = tokens(S=2, T=9)
    ref = m(x)
    for start in (1, 4, 20):
        torch.testing.assert_close(m(x, start=start), ref, atol=2e-5, rtol=1e-4)
    # and the cached path at a shifted offset agrees too
    logits, cache = m.prefill(x[..., :5], start=7)
    torch.testing.assert_close(logits, ref[:, :, 4], atol=2e-5, rtol=1e-4)
    for t in range(5, 9):
        logits, cache = m.decode(x[..., t], cache)
        torch.testing.assert_close(logits, ref[:, :, t], atol=2e-5, rtol=1e-4)


def test_learned_positions_are_absolute():
    m = make_model(ModelConfig(positions="learned", **{**CFG, "n_ctx": 20}), [0])
    with torch.no_grad():
        m.W_pos.normal_(0, 1.0, generator=torch.Generator().manual_seed(1))
    x = tokens(S=1, T=9)
    assert not torch.allclose(m(x, start=4), m(x), atol=1e-3)


def test_rotary_has_no_position_table_and_runs_past_n_ctx():
    m = make_model(ModelConfig(positions="rotary", **CFG), [0])
    assert all(CFG["n_ctx"] not in p.shape for p in m.parameters())
    assert m.n_params_total == m.n_params + m.W_E[0].numel() + m.W_U[0].numel()  # only the token tables are extra
    out = m(tokens(S=1, T=3 * CFG["n_ctx"]))  # positions beyond n_ctx: no table to run out of
    assert torch.isfinite(out).all()


def test_rotary_needs_an_even_head_dim():
    with pytest.raises(ValueError, match="d_head"):
        ModelConfig(d_model=12, n_heads=4, positions="rotary")
    ModelConfig(d_model=12, n_heads=4, positions="learned")
    with pytest.raises(ValueError, match="positions"):
        ModelConfig(positions="alibi")
    with pytest.raises(ValueError, match="positions"):
        CellConfig(positions="alibi")


def test_cell_positions_reach_the_model():
    assert CellConfig(width=16).model_config().positions == "rotary"
    m = make_model(CellConfig(width=16, positions="learned").model_config(), [0])
    assert hasattr(m, "W_pos") and not hasattr(make_model(CellConfig(width=16).model_config(), [0]), "W_pos")


def test_ood_untrained_inputs_is_said():
    """The MLP's window slots beyond the training length, and a learned table's rows beyond it,
    only ever saw <pad> / no gradient in training: its OOD split is no generalisation test."""
    kw = dict(width=16, horizon=3, ood_delta=2)
    assert ood_untrained_inputs(CellConfig(model_kind="mlp", **kw))
    assert ood_untrained_inputs(CellConfig(positions="learned", **kw))
    assert ood_untrained_inputs(CellConfig(**kw)) == ""
    assert ood_untrained_inputs(CellConfig(model_kind="mlp", **{**kw, "ood_delta": 0})) == ""


def test_run_cell_records_whether_ood_reads_untrained_inputs():
    from toymodels import run_cell  # noqa: PLC0415

    kw = dict(
        pretrain_tokens=2000,
        pretrain_batch=8,
        rl_updates=1,
        prompts_per_update=4,
        group_size=2,
        k_max=2,
        eval_prompts=2,
        width=16,
        horizon=2,
        device="cpu",
    )
    assert "not a generalisation test" in run_cell(CellConfig(model_kind="mlp", **kw)).attrs["ood_untrained_inputs"]
    assert run_cell(CellConfig(**kw)).attrs["ood_untrained_inputs"] == ""


def test_default_heads_leave_an_even_head_dim_and_odd_widths_are_named():
    for w in (8, 12, 22, 46, 90, 182, 362, 512):
        m = CellConfig(width=w).model_config()
        assert m.d_head % 2 == 0 and w % m.n_heads == 0, w
    with pytest.raises(ValueError, match="width must be even"):
        CellConfig(width=11)
    with pytest.raises(ValueError, match="n_heads"):
        CellConfig(width=24, n_heads=8)
    assert CellConfig(width=11, positions="learned").model_config().d_head == 11
