"""Markdown of a run's analysis, rendered from fits.json alone (no markdown is read back): the
Theory section (the verdict rules, then one line per hypothesis as theory decided it, its details,
the figures), the verdicts the summary lists, the sharpening and collapses lines.

Numbers are formatted by theory.text, the formatters every report shares; a value that was not
finite reads back from JSON as None and prints as NaN did."""

from __future__ import annotations

from theory.text import g, gap_closed, num, part_of

__all__ = ["theory_lines", "theory_section", "verdict_pairs", "sharpening_lines", "item_lines"]

NOT_FITTED = "Not fitted yet: `aha fit RUN_DIR` adds the fits and their verdicts here."


def _head(it: dict) -> str:
    return f"- **{it['claim']}**: {it['result']}; verdict: **{it['verdict']}**."


def _transition_details(fd: dict) -> list[str]:
    out = [f"  - N_c: {fd['N_c_note']}"] if fd.get("N_c_note") else []
    out += [f"  - evidence: {e}" for e in fd["evidence"]]
    if not fd["trustworthy"]:
        out.append(f"  - N_c not trustworthy because: {'; '.join(fd['problems'])}")
    return out + [f"  - note: {n}" for n in fd["notes"]]


def _rho_text(r: dict) -> str:
    return f"n/a ({r['n']} cells)" if r["rho"] is None else f"{r['rho']:+.2f} (p = {g(r['p'], 2)}, n = {r['n']})"


def onset_lines(s: dict | None) -> list[str]:
    """The aha-onset lines from fits.json's "onset" (theory.onset_stats.summarize_onsets)."""
    if not s:
        return ["- **Aha onset**: not testable: the run has no reward curve over RL updates"]
    sizes = ", ".join(
        f"width {b['width']}: {b['aha']}/{b['cells']}"
        + (f" (onset {', '.join(f'{x:.0f}' for x in b['onsets'])})" if b["onsets"] else "")
        for b in s["by_size"]
    )
    calls = ", ".join(f"{k} {v}" for k, v in sorted(s["calls"].items()))
    ratio = s["median_onset_over_first_signal"]
    return [
        f"- **Aha onset** (change-point fit of each ok cell's {s['curve']} curve over RL updates; per-cell results "
        f"in onset.nc): an aha in {s['aha']} of {s['cells']} cells (calls: {calls}); per size: {sizes}.",
        f"  - onset (update) against ln N: Spearman ρ = {_rho_text(s['onset_vs_lnN'])}; against φ at the first "
        f"RL update: {_rho_text(s['onset_vs_phi_start'])}; against the predicted first-signal time "
        f"(theory.onset.first_signal_time, from base trace pass@1): {_rho_text(s['onset_vs_first_signal'])}"
        + (f"; median onset / predicted first-signal time {g(ratio)}" if ratio is not None else "")
        + ".",
        f"  - rule: {s['rule']}.",
    ]


def _at(fits: dict, path: list[str] | None) -> dict:
    out = fits
    for key in path or []:
        out = out[key]
    return out


def item_lines(fits: dict, it: dict) -> list[str]:
    """The lines of one item of fits.json's "theory": the verdict line and its details."""
    kind = it["kind"]
    if kind == "onset":
        return onset_lines(fits.get("onset"))
    out = [_head(it)] if it["result"] is not None else []
    if kind == "transition":
        out += _transition_details(_at(fits, it["at"]))
    elif kind == "H7":
        out += _transition_details(fits["H7"]["logp_fit"])
        chk = fits["H7"].get("sharpness")
        if chk is not None:
            out.append(f"  - sharpness survives on the continuous metric: {chk['survives']} ({chk['reason']})")
    elif kind in ("H4", "surface"):
        out += [f"  - note: {n}" for n in _at(fits, it["at"])["notes"]]
    return out


def theory_lines(fits: dict) -> list[str]:
    """The '## Theory' section, line by line."""
    md = ["## Theory", ""]
    if "theory" not in fits:
        return md + [NOT_FITTED, ""]
    md += ["Verdict rules (each line below ends with its verdict; ± is the sd over seeds):", ""]
    md += [f"- {h} rule: {text}." for h, text in fits["rules"].items()] + [""]
    if "excluded_cells" in fits:
        md += [f"Cells excluded from fits (status != ok): {fits['excluded_cells']} of {fits['n_cells']}.", ""]
    for it in fits["theory"]:
        md += item_lines(fits, it)
    md.append("")
    return md + [f"![{f['alt']}](figures/{f['file']})" for f in fits["figures"]]


def theory_section(fits: dict) -> str:
    """The Theory section as text (what a report without the rest of report.md holds)."""
    return "\n".join(theory_lines(fits)).rstrip("\n") + "\n"


def verdict_pairs(fits: dict) -> list[tuple[str, str]]:
    """(hypothesis line, verdict word) of every decided line of the Theory section, in its order."""
    return [(it["claim"], it["verdict"]) for it in fits.get("theory", []) if it["verdict"] is not None]


def health_lines(fits: dict) -> list[str]:
    """report.md's "RL health" table from fits.json's ``rl_health`` (empty when it has none)."""
    rows = fits.get("rl_health") or []
    if not rows:
        return []
    labels = list(rows[0]["counts"])
    md = [
        "Cells per `rl_health` label (theory/health.py: no-signal = no informative group over the first 10% "
        "of updates; broke-capable = base pass@1 >= 0.5 and RL below it by > 3 binomial s.e.; malformed = "
        "over half the late rollouts ill formed). A no-signal or broke-capable cell measured the recipe, "
        "not the model.",
        "",
        "| setting | " + " | ".join(labels) + " |",
        "|" + "---|" * (len(labels) + 1),
    ]
    for r in rows:
        md.append(f"| {r['setting'] or 'all'} | " + " | ".join(str(r["counts"].get(k, 0)) for k in labels) + " |")
    return md


def sharpening_lines(fits: dict, pooled_over: list[str], has_rl: bool) -> list[str]:
    """report.md's "Sharpening and collapses" lines from fits.json (empty for a run without RL)."""
    if not has_rl:
        return []
    md = []
    c = fits.get("collapses")
    if c is None:
        md.append("- **Collapses**: not testable: missing n_eval_prompts (the noise of pass@1)")
    else:
        which = "; ".join(
            ", ".join(f"{k}={v}" for k, v in cell.items() if k not in ("base_pass1", "rl_pass1", "drop"))
            + f" ({cell['base_pass1']:.3f} → {cell['rl_pass1']:.3f})"
            for cell in c["cells"]
        )
        md.append(
            f"- **Collapses**: {c['n']} of {c['n_cells']} cells, RL made pass@1 worse"
            + (f": {which}" if c["cells"] else "")
            + f". Rule: {c['rule']}."
        )
    s = fits.get("sharpening")
    if s is None:
        return md + ["- **Sharpening**: not testable: missing variable base_greedy_acc", ""]
    pooled = f" (pooled over {', '.join(pooled_over)})" if pooled_over else ""
    frac = part_of(s["mean_sharpening"], s["mean_gain"])
    md.append(
        f"- **Sharpening**: mean RL gain in pass@1 {num(s['mean_gain']):+.3f}{pooled}; "
        f"{num(s['mean_sharpening']):+.3f} of it{frac} is sharpening (sampled pass@1 moving up to what greedy "
        f"decoding of the base model already gets right: base greedy accuracy), "
        f"{num(s['mean_beyond_greedy']):+.3f} lies beyond base greedy accuracy."
    )
    md += [
        f"  - N = {r['n_params']:,.0f}: base pass@1 {num(r['base_pass1']):.3f}, base greedy accuracy "
        f"{num(r['base_greedy_acc']):.3f}, RL pass@1 {num(r['rl_pass1']):.3f}"
        + ("" if r["gap_closed"] is None else f"; {gap_closed(r['gap_closed'])}")
        for r in s["per_size"]
    ]
    return md + [""]
