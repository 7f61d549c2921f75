"""Verdicts that survive another machine: a study's verdicts compared with the same study's
verdicts from a run at another torch thread count (a different summation order, like another CPU:
floating-point differences flip take-offs). A verdict whose leading word differs between the two
runs is not determined, whatever each run said; one that agrees stands.

    flips = compare(verdicts_at_2_threads, verdicts_at_1_thread)   # claim -> {'a', 'b', 'agree'}
    marked = mark_flips(verdicts_at_2_threads, flips, "2 vs 1 torch threads")
"""

from __future__ import annotations

import copy

__all__ = ["WORDS", "leading_word", "compare", "mark_flips"]

WORDS = ("holds only where", "holds only in part", "holds", "fails", "not determined")
"""Leading words of a verdict, longest first (so 'holds only in part' is not read as 'holds')."""


def leading_word(verdict: str) -> str:
    """The verdict's leading word (one of WORDS); the whole text when it has none."""
    return next((w for w in WORDS if verdict.startswith(w)), verdict)


def compare(a: dict[str, dict], b: dict[str, dict]) -> dict[str, dict]:
    """Per claim in both: the two verdicts and whether their leading words agree. Two 'holds only
    where …' verdicts agree only when they name the same things (the whole verdict is compared)."""
    out = {}
    for c in sorted(set(a) & set(b)):
        va, vb = a[c]["verdict"], b[c]["verdict"]
        wa, wb = leading_word(va), leading_word(vb)
        same = va == vb if wa == wb == "holds only where" else wa == wb
        out[c] = {"a": va, "b": vb, "agree": bool(same)}
    return out


def mark_flips(verdicts: dict[str, dict], flips: dict[str, dict], what: str) -> dict[str, dict]:
    """A copy of ``verdicts`` (claim -> Verdict as a dict) in which every claim that ``flips`` says
    disagrees reads 'not determined: flips between runs (…)', with both verdicts in the text, and
    its deciding number (``decisive``) names the flip first, since the flip decided it; every
    compared claim gets numbers['agreement'] = {'between', 'other', 'agree'}."""
    out = copy.deepcopy(verdicts)
    for c, f in flips.items():
        if c not in out:
            continue
        out[c].setdefault("numbers", {})["agreement"] = {"between": what, "other": f["b"], "agree": f["agree"]}
        if not f["agree"] and not out[c]["verdict"].startswith("not determined"):
            out[c]["verdict"] = f"not determined: flips between runs ({what}: '{f['a']}' vs '{f['b']}')"
            was = out[c].get("decisive")
            flip = f"flips between runs ({what}): '{leading_word(f['a'])}' vs '{leading_word(f['b'])}'"
            out[c]["decisive"] = flip + (f"; this run: {was}" if was else "")
        elif not f["agree"]:
            out[c]["verdict"] += f" (and flips between runs, {what}: other run '{f['b']}')"
    return out
