"""`aha forecast` states its limits and fails early (issue 25): every default in --help, a missing [llm]
extra stops at once with the install line, the start is never guessed, JSONL lines declare chance,
answers are found in a boxed or final answer, measurement noise widens the interval, and the
size / noise / protocol warnings appear when their rules say so."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

from aha.cli import build_parser, main
from llm_bridge.answers import extract_answer, last_boxed
from llm_bridge.benchmark import PromptResults, load_jsonl, summarize
from llm_bridge.forecast_run import fit_models, forecast_row, limits, with_noise

ROOT = Path(__file__).resolve().parents[1]


def _forecast_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["forecast"]


def test_help_shows_every_default():
    p = _forecast_parser()
    text = " ".join(p.format_help().split())
    for a in p._actions:
        if a.default not in (None, argparse.SUPPRESS) and a.option_strings and a.dest != "help":
            assert f"(default: {a.default})" in text, a.option_strings


def test_missing_transformers_stops_at_once_with_the_install_line(tmp_path, capsys, monkeypatch):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers -> ImportError

    def no_fit(level):  # the old command fitted every law for ~10 s before the traceback
        raise AssertionError("fitted before checking the extra")

    monkeypatch.setattr("llm_bridge.forecast_run.fit_models", no_fit)
    assert main(["forecast", "--model", str(ckpt), "--start", "base", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'aha-playground[llm]'" in err, err


def test_the_readme_names_the_llm_extra():
    text = (ROOT / "README.md").read_text()
    assert "aha-playground[llm]" in text or ".[llm]" in text


def test_jsonl_chance_is_read_checked_and_drives_the_at_chance_sentence(tmp_path):
    f = tmp_path / "yn.jsonl"
    f.write_text(
        '{"prompt": "Is 7 prime? yes or no", "answer": "yes", "chance": 0.5}\n'
        '{"prompt": "Is 9 prime?", "answer": "no", "chance": 0.5}\n'
    )
    items = load_jsonl(f)
    assert [i.chance for i in items] == [0.5, 0.5]
    (tmp_path / "bad.jsonl").write_text('{"prompt": "a", "answer": "1", "chance": 2}\n')
    with pytest.raises(ValueError, match="'chance' must be a number in \\[0, 1\\)"):
        load_jsonl(tmp_path / "bad.jsonl")
    s = with_noise(
        summarize(PromptResults("yn", np.full(40, 8), np.full(40, 4), np.full(40, 0.5), 0.5), 8), [8] * 40, [4] * 40
    )
    row = forecast_row(s, fit_models(0.9), "base", 7e9, 0.05, 8, {"max_new_tokens": 2048, "chat_template": True})
    assert row["recommendation"].startswith("Do not start RL") and "chance level" in row["recommendation"]


def test_answer_extraction_finds_boxed_and_final_answers():
    assert last_boxed(r"so \boxed{\frac{1}{2}} and then \boxed{42}") == "42"
    assert last_boxed(r"x = \boxed{\frac{1}{2}}") == r"\frac{1}{2}"
    assert last_boxed(r"cut off \boxed{12") is None
    assert extract_answer("Steps: 3 4\nAnswer: 7\n\nQ: next\nAnswer: 9") == "7"
    assert extract_answer("We get 5 + 7 = 12.\nThe final answer is 12.") == "12"
    assert extract_answer("The answer is: 122") == "122"
    assert extract_answer("no marker at all 5") is None


def _row(n_prompts: int, p: float, models, n_total=7e9, protocol=None):
    n = np.full(n_prompts, 16)
    c = np.round(n * p * np.linspace(0.5, 1.5, n_prompts)).astype(int)  # (P,) prompts of unequal difficulty
    s = with_noise(summarize(PromptResults("b", n, c, np.full(n_prompts, np.nan)), 8), n, c)
    proto = protocol if protocol is not None else {"max_new_tokens": 4096, "chat_template": False, "shots": 0}
    return forecast_row(s, models, "base", n_total, 0.05, 8, proto)


def test_measurement_noise_widens_the_interval():
    models = fit_models(0.9)
    few, many = _row(5, 0.05, models), _row(500, 0.05, models)  # where the law is steep in pass@1
    w = lambda r: r["forecast"]["hi"] - r["forecast"]["lo"]  # noqa: E731
    assert few["pass1_ci90"][1] - few["pass1_ci90"][0] > 0.05  # 5 prompts × 16 samples: a wide pass@1
    assert w(few) > w(many) + 0.02
    law_only = many["forecast"]["hi_law_only"] - many["forecast"]["lo_law_only"]
    assert w(many) == pytest.approx(law_only, abs=0.03)  # with 500 prompts the law's own error dominates


def test_limits_follow_their_rules():
    models = fit_models(0.9)
    law = models["laws"]["base"]
    lo, hi = law.size_range_B
    quiet = _row(500, 0.3, models, n_total=(lo + hi) / 2 * 1e9)
    assert quiet["limits"] == []
    small = _row(500, 0.3, models, n_total=lo / 10 * 1e9)
    assert any(x.startswith("Size outside the table") for x in small["limits"])
    noisy = _row(6, 0.3, models)
    assert any(x.startswith("Noisy base measurement") for x in noisy["limits"])
    short = _row(500, 0.3, models, protocol={"max_new_tokens": 32, "chat_template": False, "shots": 3})
    (p,) = [x for x in short["limits"] if x.startswith("Protocol differs")]
    assert "32 new tokens" in p and "3-shot" in p
    assert limits({"pass1": 0.3}, law, float("nan"), {}, "base")[0].startswith("Size unknown")


def test_forecast_md_opens_with_the_sentence_then_beats_the_constant(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text(
        "prompt_id,sample,correct\n" + "".join(f"p{i},{j},{int(j < i % 4)}\n" for i in range(30) for j in range(8))
    )
    assert main(["forecast", "--from-results", str(f), "--start", "base", "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "forecast.md").read_text().splitlines()
    assert md[0].startswith("# RL gain forecast") and "starting point: base" in md[0]
    assert md[2].startswith("- **results**: ")
    assert md[4].startswith("**Does a law beat a constant gain for `base`?")
    assert "Protocol not stated" in "\n".join(md) and "Size unknown" in "\n".join(md)
