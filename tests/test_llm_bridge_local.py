"""llm_bridge.local_eval on a tiny randomly initialised GPT-2 and a character-level tokenizer built here."""

import string

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    path = tmp_path_factory.mktemp("tiny_gpt2")
    vocab = {
        "<pad>": 0,
        "<eos>": 1,
        "<unk>": 2,
        **{c: i + 3 for i, c in enumerate(dict.fromkeys(string.printable))},
    }
    t = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")  # one token per character
    t.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=t, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    tok.save_pretrained(path)
    torch.manual_seed(0)
    cfg = GPT2Config(
        vocab_size=len(vocab),
        n_positions=1024,
        n_layer=2,
        n_head=2,
        n_embd=32,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    GPT2LMHeadModel(cfg).save_pretrained(path)
    return path


def test_scoring_of_text_completions():
    from envs import make_task
    from llm_bridge.local_eval import first_answer, render_prompts

    task = make_task("ModChain", L=3, cot=False)
    items = render_prompts(task, 3, 2, seed=0, cot=False)
    inst, prompt = items[0]
    assert prompt.count("\n\n") == 2 and prompt.endswith(task.text_prompt(inst, False))
    right = f"Answer: {task.text_answer(inst)}\n\nCompute (1 + 2) mod 10.\nAnswer: 9"
    assert task.score_text(inst, first_answer(right))["correct"]
    assert not task.score_text(inst, first_answer("no idea"))["well_formed"]
    # few-shot examples come from a disjoint stream: never the eval question itself
    evals = {task.text_prompt(task.generate(0, i), False) for i in range(3)}
    assert all(p.split("\n\n")[-1] in evals for _, p in items)


def test_logp_batched_matches_unbatched(tiny):
    import torch

    from llm_bridge.local_eval import load_model, logp_answer

    tok, model = load_model(tiny, torch.device("cpu"))
    prompts, answers = ["Compute 1+2.\n", "Q: a much longer prompt here?\n"], ["Answer: 3", "Answer: 17"]
    batched = logp_answer(tok, model, prompts, answers, batch_size=2, device="cpu")
    single = [
        logp_answer(tok, model, [p], [a], batch_size=1, device="cpu")[0] for p, a in zip(prompts, answers, strict=True)
    ]
    # reference: plain forward without padding
    ids = tok(prompts[0] + answers[0])["input_ids"]
    n = len(tok(answers[0], add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([ids])).logits[0, :-1], -1)
    ref = float(lp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])][-n:].sum())
    np.testing.assert_allclose(batched, single, rtol=1e-4, atol=1e-4)
    assert batched[0] == pytest.approx(ref, abs=1e-3)


def test_evaluate_tiny_model_end_to_end(tiny, tmp_path):
    from llm_bridge.local_eval import evaluate_model, evaluate_models

    ds = evaluate_model(
        tiny,
        n_prompts=3,
        n_samples=4,
        shots=(0, 1),
        max_new_tokens=8,
        batch_size=12,
        task_kwargs={"ModChain": {"L": 3}},
        device="cpu",
    )
    assert dict(ds.sizes) == {"model": 1, "task": 1, "shots": 2, "split": 1, "k": 3}
    pk = ds.base_pass_at_k.values
    assert np.all((pk >= 0) & (pk <= 1)) and np.all(np.diff(pk, axis=-1) >= -1e-12)  # monotone in k
    assert np.all(ds.base_logp_answer.values < 0) and float(ds.chance[0]) == pytest.approx(0.1)
    assert 0 < int(ds.n_params[0]) < int(ds.n_params_total[0])
    both = evaluate_models(
        [tiny, tmp_path / "missing"], n_prompts=2, n_samples=2, shots=(0,), max_new_tokens=4, device="cpu"
    )
    assert both.sizes["model"] == 1 and "missing" in both.attrs["failed"]


def test_bad_eval_config_fails_before_work():
    from llm_bridge.local_eval import EvalConfig

    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        EvalConfig(n_samples=0)
    with pytest.raises(ValueError, match="tasks must be"):
        EvalConfig(tasks=("NoSuchTask",))
    with pytest.raises(ValueError, match="device must be"):
        EvalConfig(device="tpu")


def test_run_bridge_with_local_model(tiny, tmp_path):
    from llm_bridge.bridge_report import run_bridge

    p = run_bridge(tmp_path / "out", published=True, models=[tiny], n_samples=2, n_prompts=2, device="cpu")
    text = p.read_text()
    assert "## Local models" in text and "predicted gain" in text
    assert (tmp_path / "out" / "local_models.nc").is_file()


def test_forecast_runs_a_tiny_checkpoint_on_a_jsonl_benchmark_and_a_project_task(tiny, tmp_path, capsys):
    import json

    from aha.cli import main

    bench = tmp_path / "two.jsonl"
    bench.write_text('{"prompt": "1+1=", "answer": "2"}\n{"prompt": "Say hi:", "answer": "hi", "verifier": "exact"}\n')
    out = tmp_path / "fc"
    argv = [
        "forecast",
        "--model",
        str(tiny),
        "--start",
        "base",
        "--benchmark",
        str(bench),
        "--tasks",
        "ModChain",
        "--n-prompts",
        "2",
        "--shots",
        "1",
        "--max-new-tokens",
        "4",
        "--k-max",
        "64",
        "--group-size",
        "8",
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    rep = json.loads((out / "forecast.json").read_text())
    assert [b["benchmark"] for b in rep["benchmarks"]] == ["two", "ModChain"] and rep["params_total"] > 0
    for b in rep["benchmarks"]:
        pk = [b["pass_at_k"][k] for k in ("1", "2", "4", "8", "16", "32", "64")]
        assert b["n_prompts"] == 2 and b["n_samples"] == 64 and np.all(np.diff(pk) >= -1e-12)
        assert pk[0] == pytest.approx(b["pass1"]) and 0 <= b["informative_fraction"] <= 1
        assert b["greedy_accuracy"] in (0.0, 0.5, 1.0) and b["recommendation"]
        assert b["forecast"]["lo"] <= b["forecast"]["mean"] <= b["forecast"]["hi"]
    assert rep["benchmarks"][1]["chance"] == pytest.approx(0.1)
    out = capsys.readouterr().out
    assert "# RL gain forecast for" in out and "**Does a law beat a constant gain for `base`?" in out
    # the caveats a 172k-parameter random model must get: far below the table's sizes, 4 new tokens, 2 prompts
    limits = " ".join(rep["benchmarks"][1]["limits"])
    assert "Size outside the table" in limits and "Noisy base measurement" in limits and "4 new tokens" in limits
    assert rep["protocol"]["chat_template"] is False  # the tiny tokenizer has no chat template


def test_greedy_generation_is_deterministic_and_samples_come_per_prompt(tiny):
    import torch

    from llm_bridge.local_eval import generate_texts, load_model

    tok, model = load_model(tiny, torch.device("cpu"))
    prompts = ["1+1=", "a longer prompt: "]
    g1 = generate_texts(tok, model, prompts, 1, do_sample=False, max_new_tokens=5, batch_size=1)
    g2 = generate_texts(tok, model, prompts, 1, do_sample=False, max_new_tokens=5, batch_size=8)
    assert g1 == g2 and [len(x) for x in g1] == [1, 1]  # left padding does not change greedy output
    s = generate_texts(tok, model, prompts, 3, max_new_tokens=5, batch_size=4)
    assert [len(x) for x in s] == [3, 3]
    with pytest.raises(ValueError, match="greedy decoding gives one completion"):
        generate_texts(tok, model, prompts, 2, do_sample=False)
