"""Verdicts across torch thread counts (issue 23 item 5): the rule on constructed verdict sets."""

from __future__ import annotations

from theory.agreement import compare, leading_word, mark_flips


def _v(**words):
    return {c: {"claim": c, "verdict": w, "result": "r", "rule": "x", "numbers": {}} for c, w in words.items()}


def test_a_verdict_that_flips_between_thread_counts_is_not_determined():
    a = _v(C1="holds", C2="fails: smooth", C3="holds only where the factor is task", C4="not determined: few")
    b = _v(C1="holds", C2="not determined: wide", C3="holds only where the factor is data", C4="fails: x")
    flips = compare(a, b)
    assert {c: f["agree"] for c, f in flips.items()} == {"C1": True, "C2": False, "C3": False, "C4": False}
    m = mark_flips(a, flips, "2 vs 1 torch threads")
    assert m["C1"]["verdict"] == "holds" and m["C1"]["numbers"]["agreement"]["agree"]
    assert m["C2"]["verdict"].startswith("not determined: flips between runs (2 vs 1 torch threads")
    assert m["C3"]["verdict"].startswith("not determined: flips")
    assert m["C4"]["verdict"].startswith("not determined: few (and flips")
    assert a["C2"]["verdict"] == "fails: smooth"  # the input is not changed


def test_leading_words_and_reasons():
    assert leading_word("holds only in part: x") == "holds only in part"
    assert leading_word("holds") == "holds"
    same = compare(_v(C5="fails: a reason"), _v(C5="fails: another reason"))
    assert same["C5"]["agree"]  # the word decides, not the measured text
    assert compare(_v(C9="holds"), _v(C8="holds")) == {}
