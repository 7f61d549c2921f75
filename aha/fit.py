"""``fit_run``: every theory fit that a run's ``grid.nc`` supports, analysed once into fits.json
(with every verdict word, the rule and the numbers behind it), onset.nc and the theory figures;
report.md is rendered from those files (aha/report.py). The fits are toymodels.run_fits' (which
lists fits.json's entries); this module loads the run, draws the onset figure, writes fits.json and
renders.
"""

from __future__ import annotations

import json
from pathlib import Path

from theory._result import to_jsonable
from toymodels.run_fits import ONSET_FIGURE, fit_hypotheses
from toymodels.storage import load_dataset
from toymodels.summaries import health_entries, run_entries

from .plots_behaviour import onset_vs_size

__all__ = ["analyse", "fit_run", "health_entries", "run_entries"]


def fit_run(run_dir: Path, n_boot: int = 200, seed: int = 0, fit: bool = True, render: bool = True) -> dict:
    """Analyse ``run_dir/grid.nc`` into fits.json: the collapses and sharpening always; with ``fit``
    every hypothesis fit, onset.nc and the theory figures. With ``render``, the pass@k figure
    (when drawn before) takes the fitted threshold and report.md is rendered again from the
    run's files (a run without one gets a report.md of the Theory section).

    Returns ``{"fits": <the JSON dict>, "markdown": <the ## Theory section>, "figures": [paths]}``.
    """
    from .render import theory_section  # noqa: PLC0415

    run_dir = Path(run_dir)
    ds = load_dataset(run_dir / "grid.nc")  # a corrupt file: one line naming `aha rebuild`
    (run_dir / "figures").mkdir(parents=True, exist_ok=True)
    f = fit_hypotheses(ds, run_dir, n_boot, seed, fit)
    if f.onset is not None:
        onset_vs_size(f.onset, run_dir / "figures" / ONSET_FIGURE)
    fits_json = to_jsonable(f.fits)
    (run_dir / "fits.json").write_text(json.dumps(fits_json, indent=2))
    if render:
        _render(run_dir, fits_json)
    return {"fits": fits_json, "markdown": theory_section(fits_json), "figures": [str(p) for p, _ in f.figures]}


def analyse(run_dir: Path, fit: bool = True, n_boot: int = 200) -> dict:
    """What a report is rendered from: fits.json (the theory fits with ``fit``, else only the
    collapses and sharpening) and every figure of the run; returns fits.json's content."""
    from .plots import plot_run  # noqa: PLC0415

    fits = fit_run(run_dir, n_boot=n_boot, fit=fit, render=False)["fits"]
    plot_run(run_dir)
    return fits


def _render(run_dir: Path, fits: dict) -> None:
    from .plots import plot_run  # noqa: PLC0415
    from .render import theory_section  # noqa: PLC0415
    from .report import write_report  # noqa: PLC0415

    if (run_dir / "figures" / "passk_curves.png").exists() and "H1" in fits:
        plot_run(run_dir, only=("passk_curves",))  # adds the size nearest the threshold just fitted
    if (run_dir / "report.md").exists():
        write_report(run_dir)
    else:
        (run_dir / "report.md").write_text(theory_section(fits))
