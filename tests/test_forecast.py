"""`aha forecast` without a model: verifiers, JSONL and CSV errors, pass@k and the informative
fraction from per-prompt samples against brute force, imported results end to end, the rules of the
recommendation. The run on a tiny checkpoint is in tests/test_llm_bridge_local.py (its fixture)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from aha.cli import main
from llm_bridge.benchmark import answer_text, informative_fraction, load_jsonl, summarize, verify_exact, verify_numeric
from llm_bridge.forecast import recommend
from llm_bridge.measure import read_results

OUTCOMES = {"a": [1, 0, 0, 1, 0, 0], "b": [0, 0, 0, 0, 0, 0], "c": [1, 1, 1, 1, 1, 0], "d": [0, 1, 0, 0, 0, 0]}


def _csv(path, outcomes=OUTCOMES):
    lines = ["prompt_id,sample,correct"] + [f"{p},{i},{c}" for p, cs in outcomes.items() for i, c in enumerate(cs)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pass_at_k_from_samples_equals_the_unbiased_estimator_and_brute_force(tmp_path):
    (res,), n_params, protocol = read_results(_csv(tmp_path / "s.csv"))
    assert protocol == {}  # results made elsewhere state no protocol
    s = summarize(res, G=4)
    assert np.isnan(n_params) and s["n_prompts"] == 4 and s["n_samples"] == 6
    for k, got in s["pass_at_k"].items():  # the share of k-subsets of each prompt's samples with a right one
        brute = np.mean([np.mean([any(sub) for sub in itertools.combinations(cs, k)]) for cs in OUTCOMES.values()])
        assert got == pytest.approx(brute, abs=1e-12), k
    assert list(s["pass_at_k"]) == [1, 2, 4, 6] and s["pass1"] == pytest.approx(8 / 24)
    mixed = np.mean([np.mean([0 < sum(g) < 4 for g in itertools.combinations(cs, 4)]) for cs in OUTCOMES.values()])
    assert s["informative_fraction"] == pytest.approx(mixed, abs=1e-12)


def test_informative_fraction_tends_to_the_plug_in_formula():
    n, c, G = np.array([4000, 4000]), np.array([400, 2000]), 8
    p = c / n
    np.testing.assert_allclose(informative_fraction(n, c, G), 1 - p**G - (1 - p) ** G, atol=2e-3)
    assert informative_fraction(np.array([3]), np.array([1]), 8)[0] == pytest.approx(1 - (1 / 3) ** 8 - (2 / 3) ** 8)


def test_verifiers_judge_the_answer_text():
    assert answer_text("work\nAnswer: 42\nmore") == "42" and answer_text("\n\n7 apples\n8") == "8"
    assert verify_numeric("Answer: 42", "42") and verify_numeric("so it is 3.0", "3")
    # the old rule judged the first line: a chain of thought ending in a boxed or stated answer failed
    assert verify_numeric("Let me add.\n23 + 48 = 71.\nSo the sum is \\boxed{71}.", "71")
    assert verify_numeric("First 2 + 3 = 5.\nThe final answer is 5.", "5")
    assert verify_numeric("To add 2 and 9: 2 + 9 = 11.", "11") and not verify_numeric("7 + 8 = 55.", "15")
    assert verify_numeric("Answer: 1,024", "1024") and not verify_numeric("Answer: 41", "42")
    assert not verify_numeric("no number", "1")
    assert verify_exact("Answer:  hi \n", "hi") and not verify_exact("Answer: Hi", "hi")


def test_jsonl_lines_default_verifier_and_errors(tmp_path):
    good = tmp_path / "g.jsonl"
    good.write_text('{"prompt": "1+1=", "answer": 2}\n\n{"prompt": "Say hi", "answer": "hi"}\n')
    assert [(i.answer, i.verifier) for i in load_jsonl(good)] == [("2", "numeric"), ("hi", "exact")]
    cases = {
        '{"prompt": "a", "answer": "1"}\n{"prompt": "b", "answer": ': r"bad\.jsonl line 2: not JSON",
        '{"prompt": "a", "answer": "1", "verifier": "regex"}\n': r"line 1: 'verifier' must be one of numeric, exact; "
        r"got 'regex'",
        '{"answer": "1"}\n': r"line 1: 'prompt' must be a non-empty string",
        '["a", "1"]\n': r"line 1: a line must be a JSON object",
        "\n": r"no problems",
    }
    for text, msg in cases.items():
        (tmp_path / "bad.jsonl").write_text(text)
        with pytest.raises(ValueError, match=msg):
            load_jsonl(tmp_path / "bad.jsonl")


def _one_line_error(capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err, err


def test_bad_input_stops_with_one_line(tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text('{"prompt": "a", "answer": "1"}\n{oops}\n')
    (tmp_path / "unk.jsonl").write_text('{"prompt": "a", "answer": "1", "verifier": "llm-judge"}\n')
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()  # a checkpoint folder, so the JSONL is what stops the run (before any model is loaded)
    (ckpt / "config.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    out = ["--start", "base", "--out", str(tmp_path / "o")]
    _one_line_error(capsys, ["forecast", "--model", str(tmp_path / "nope"), *out], "--model: no such checkpoint")
    # an empty folder said "Couldn't instantiate the backend tokenizer from one of: " after loading transformers
    _one_line_error(capsys, ["forecast", "--model", str(tmp_path / "empty"), *out], "holds no checkpoint")
    _one_line_error(
        capsys,
        ["forecast", "--model", str(ckpt), "--benchmark", str(tmp_path / "bad.jsonl"), *out],
        "bad.jsonl line 2: not JSON",
    )
    _one_line_error(
        capsys,
        ["forecast", "--model", str(ckpt), "--benchmark", str(tmp_path / "unk.jsonl"), *out],
        "'verifier' must be one of numeric, exact",
    )
    _one_line_error(
        capsys, ["forecast", "--model", str(ckpt), "--k-max", "16", *out], "--k-max must be an integer >= 64"
    )
    _one_line_error(capsys, ["forecast", "--model", str(ckpt), "--tasks", "Nope", *out], "--tasks must be names from")
    _one_line_error(capsys, ["forecast", *out], "give --model PATH")
    _one_line_error(capsys, ["forecast", "--from-results", str(_csv(tmp_path / "s.csv"))], "--start must be one of")
    _one_line_error(
        capsys,
        ["forecast", "--from-results", str(_csv(tmp_path / "s.csv")), *out[2:], "--start", "rl-continued"],
        "no published rows start there",
    )
    _one_line_error(capsys, ["forecast", "--from-results", str(tmp_path / "x.csv"), *out], "no such file")
    (tmp_path / "cols.csv").write_text("prompt,correct\na,1\n")
    _one_line_error(
        capsys, ["forecast", "--from-results", str(tmp_path / "cols.csv"), *out], "missing column(s) prompt_id, sample"
    )
    (tmp_path / "val.csv").write_text("prompt_id,sample,correct\na,0,1\na,1,maybe\n")
    _one_line_error(
        capsys,
        ["forecast", "--from-results", str(tmp_path / "val.csv"), *out],
        "val.csv line 3: column 'correct' must be 0/1",
    )
    _one_line_error(
        capsys,
        ["forecast", "--from-results", str(_csv(tmp_path / "s.csv")), "--margin", "5", *out],
        "--margin must be a rate",
    )
    assert not (tmp_path / "o").exists()  # nothing was written by any of them


def test_forecast_from_sample_csv_end_to_end(tmp_path, capsys):
    out = tmp_path / "o"
    assert (
        main(
            ["forecast", "--from-results", str(_csv(tmp_path / "s.csv")), "--group-size", "4", "--start", "base"]
            + ["--out", str(out)]
        )
        == 0
    )
    rep = json.loads((out / "forecast.json").read_text())
    (b,) = rep["benchmarks"]
    assert b["pass1"] == pytest.approx(8 / 24) and b["G"] == 4
    f = b["forecast"]
    assert f["lo"] <= f["mean"] <= f["hi"] and 0 <= f["prob_at_least_margin"] <= 1
    assert b["recommendation"] and b["baselines"]["lnN"] is None  # no parameter count in a CSV
    md = (out / "forecast.md").read_text()
    assert md.startswith("# RL gain forecast") and b["recommendation"] in md and md in capsys.readouterr().out


def test_forecast_from_lm_eval_json(tmp_path):
    obj = {
        "results": {"gsm8k": {"exact_match,strict-match": 0.3, "exact_match_stderr,strict-match": 0.01}},
        "config": {"model_args": "pretrained=org/base", "model_num_parameters": 1_500_000_000},
    }
    (tmp_path / "lm.json").write_text(json.dumps(obj))
    argv = ["forecast", "--from-results", str(tmp_path / "lm.json"), "--start", "base", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    rep = json.loads((tmp_path / "o" / "forecast.json").read_text())
    (b,) = rep["benchmarks"]
    assert b["benchmark"] == "gsm8k" and b["pass1"] == pytest.approx(0.3) and rep["params_total"] == 1.5e9
    assert b["baselines"]["lnN"] is not None and "upper bound" in b["note"]


def test_recommendation_rules():
    assert recommend(0.01, 0.9, 0.2, 0.1, 0.3, 0.05, 8).startswith("Do not start RL")
    assert recommend(0.5, 0.8, 0.2, 0.1, 0.3, 0.05, 8).startswith("RL is likely to pay")
    assert recommend(0.5, 0.5, 0.05, -0.1, 0.2, 0.05, 8).startswith("Uncertain")
    assert recommend(0.5, 0.1, -0.02, -0.1, 0.04, 0.05, 8).startswith("RL is unlikely to pay")
    assert "P(gain ≥ 5 points) = 0.80" in recommend(0.5, 0.8, 0.2, 0.1, 0.3, 0.05, 8)
    at_chance = recommend(0.6, 0.9, 0.2, 0.1, 0.3, 0.05, 8, pass1=0.1, chance=0.1)
    assert at_chance.startswith("Do not start RL") and "chance level" in at_chance
    assert recommend(0.6, 0.9, 0.2, 0.1, 0.3, 0.05, 8, pass1=0.3, chance=0.1).startswith("RL is likely")
