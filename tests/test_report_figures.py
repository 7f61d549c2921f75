"""report.md reads as an answer and its figures need no explaining (issue 15, report and figures)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib
import matplotlib.collections
import matplotlib.patches
import pytest

from aha.cli import main

ROOT = Path(__file__).resolve().parents[1]
PRESETS_FILE = str(Path(__file__).parent / "data" / "tiny_presets.py")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The shipped demo's result files, reported and fitted afresh; every figure drawn is kept."""
    from aha.fit import analyse
    from aha.report import write_report

    run = tmp_path_factory.mktemp("r") / "demo"
    shutil.copytree(ROOT / "docs" / "demo", run, ignore=shutil.ignore_patterns("report.md", "figures"))
    figs: dict[str, matplotlib.figure.Figure] = {}
    save = matplotlib.figure.Figure.savefig

    def keep(self, fname, *a, **kw):
        figs[Path(fname).stem] = self
        return save(self, fname, *a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(matplotlib.figure.Figure, "savefig", keep)
    try:
        analyse(run, n_boot=20)
        write_report(run)
    finally:
        mp.undo()
    return run, figs


def test_report_opens_with_its_summary_and_ends_with_the_grid_spec(demo):
    import json

    from aha.report import wall_time_text

    run, _ = demo
    text = (run / "report.md").read_text()
    heads = re.findall(r"^## (.+)$", text, re.M)
    assert heads[0] == "Summary" and heads[-1] == "Grid spec" and "Theory" in heads
    summary = text[text.index("## Summary") : text.index("\n## ", text.index("## Summary") + 3)]
    for phrase in (
        "**What ran**",
        "**What happened**",
        "**Verdicts**",
        "**How sure**",
        "sd over seeds",
        "threshold (H1)",
        "held-out prompts",
    ):
        assert phrase in summary, phrase
    env = json.loads((run / "env.json").read_text())
    assert wall_time_text(env) in summary  # the one wall time: env.json's timing, as in the README
    assert f"{env['timing']['total_s'] / 60:.1f} min" in summary and str(env["run_wall_s"]) not in text
    assert "only 1 sizes" not in text and "only 0 sizes" not in text
    assert text.count("- **Collapses**") == 1  # not repeated in Theory


def _axes(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _xlabel(ax) -> str:
    """The x label of ``ax``, or of the axes it shares its x axis with (stacked panels label the lowest)."""
    return ax.get_xlabel() or next(
        (a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax) if a.get_xlabel()), ""
    )


def test_every_figure_labels_its_axes_with_units_and_titles_in_words(demo):
    _, figs = demo
    assert {
        "phase_diagram",
        "gain_vs_size",
        "learning_curves",
        "passk_curves",
        "H1_rl_gain",
        "H7_logp",
        "H6_entropy_law",
    } <= set(figs)
    for name, fig in figs.items():
        axes = _axes(fig)
        titles = " ".join([ax.get_title() for ax in axes] + [fig._suptitle.get_text() if fig._suptitle else ""])
        assert "all cells" not in titles and titles.strip(), name
        for raw in ("n_params", "informative_frac", "rl_pass@1", "exp(entropy)"):
            assert raw not in titles, (name, raw)
        assert all(_xlabel(ax) for ax in axes), name
        ylabels = [ax.get_ylabel() for ax in axes if ax.get_ylabel()]
        assert ylabels and all("(" in y for y in ylabels), (name, ylabels)  # a unit in brackets
        assert all("(" in _xlabel(ax) for ax in axes), (name, [_xlabel(ax) for ax in axes])


def test_seed_means_say_so_and_show_their_spread(demo):
    _, figs = demo
    for name in ("gain_vs_size", "learning_curves", "passk_curves", "phase_diagram"):
        fig = figs[name]
        text = " ".join([ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""])
        assert "seeds" in text, name
    bands = [
        c
        for ax in _axes(figs["passk_curves"])
        for c in ax.collections
        if isinstance(c, matplotlib.collections.PolyCollection)
    ]
    assert bands  # the range over seeds


def test_passk_figure_includes_the_width_at_the_threshold(demo):
    import json

    from aha.plots import threshold_size

    run, figs = demo
    titles = [ax.get_title() for ax in _axes(figs["passk_curves"])]
    at = [t for t in titles if "nearest the threshold" in t]
    assert len(at) == 1
    fit = json.loads((run / "fits.json").read_text())["H1"]["rl_gain"]
    from toymodels.storage import load_dataset

    n = load_dataset(run / "grid.nc").n_params.values.ravel()
    assert f"N = {int(n[threshold_size(n, fit)]):,}" in at[0]


def test_h6_colours_have_a_key_and_interval_bands_stay_inside_the_sizes_measured(demo):
    _, figs = demo
    fig = figs["H6_entropy_law"]
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes) and _axes(fig)[0].get_legend() is not None
    from toymodels.storage import load_dataset

    n = load_dataset(demo[0] / "grid.nc").n_params.values
    for name in ("H1_rl_gain", "H7_logp"):
        ax = _axes(figs[name])[0]
        spans = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]  # axvspan bands
        assert spans, name
        for p in spans:
            x0, x1 = sorted((p.get_x(), p.get_x() + p.get_width()))
            assert x0 >= n.min() * 0.999 and x1 <= n.max() * 1.001, (name, x0, x1)


def test_grid_nc_describes_every_variable_with_units(tmp_path):
    from toymodels.storage import load_dataset

    out = tmp_path / "run"
    assert (
        main(
            [
                "grid",
                "--preset",
                "tiny",
                "--presets-file",
                PRESETS_FILE,
                "--set",
                "width=8,16",
                "--set",
                "seed=0",
                "--set",
                "rl_updates=1",
                "--out",
                str(out),
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
    ds = load_dataset(out / "grid.nc")
    for name in ds.variables:
        a = ds[name].attrs
        assert a.get("description") and a.get("units"), name
    assert ds.base_pass_at_k.attrs["units"] == "fraction of prompts" and ds.entropy.attrs["units"] == "nats per token"


def test_a_timing_recorded_after_the_report_reaches_every_line_that_quotes_it(tmp_path):
    """report.md is rendered from env.json: after a new timing is recorded, rendering again puts it in
    the summary and in the run-details line alike, never 'not recorded' beside a summary that quotes it."""
    import json

    from aha.report import wall_time_text, write_report
    from toymodels.runner import record_timing

    run = tmp_path / "demo"
    shutil.copytree(ROOT / "docs" / "demo", run, ignore=shutil.ignore_patterns("report.md", "figures"))
    env = json.loads((run / "env.json").read_text())
    env.pop("timing")
    (run / "env.json").write_text(json.dumps(env))
    write_report(run)
    assert "not recorded" in (run / "report.md").read_text()
    record_timing(run, grid_s=100.0, total_s=104.0)
    write_report(run)  # rendered again from the files, the new timing everywhere
    text = (run / "report.md").read_text()
    assert "not recorded" not in text
    assert text.count(wall_time_text(json.loads((run / "env.json").read_text()))) == 2  # summary, run details


def test_nothing_of_a_saved_figure_is_cut_off(demo, cut_off):
    """Every figure of the report, as saved: its tight bounding box (every label, colour-bar label,
    legend and title drawn) lies within the canvas (issue 26: phase_diagram's colour-bar label was cut)."""
    _, figs = demo
    assert {"phase_diagram", "learning_curves", "aha_onset_vs_size", "H1_rl_gain"} <= set(figs)
    assert not cut_off(figs)


def test_the_onset_axis_shows_only_onsets(demo):
    """Cells without an aha are no points on the onset axis (they were drawn at ~1.1x the last update);
    they are counted on their own axis, by why not."""
    import numpy as np

    from toymodels.storage import load_dataset

    run, figs = demo
    on = load_dataset(run / "onset.nc")
    found = on["aha_found"].values.astype(bool)
    fig = figs["aha_onset_vs_size"]
    onset_ax = [ax for ax in _axes(fig) if "onset" in ax.get_ylabel()]
    assert len(onset_ax) == 1
    ys = np.concatenate([c.get_offsets()[:, 1] for c in onset_ax[0].collections if len(c.get_offsets())] or [[]])
    assert ys.size == found.sum()
    assert np.allclose(np.sort(ys), np.sort(on["aha_onset"].values[found]))
    others = [ax for ax in _axes(fig) if ax is not onset_ax[0]]
    n_none = sum(len(c.get_offsets()) for ax in others for c in ax.collections)
    assert n_none == (~found).sum() and all("no aha" in ax.get_ylabel() for ax in others)


def test_few_sizes_are_a_legend_not_a_colour_bar(demo):
    _, figs = demo
    fig = figs["learning_curves"]
    assert not any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    legends = [ax.get_legend() for ax in _axes(fig) if ax.get_legend()] + list(fig.legends)
    labels = [t.get_text() for lg in legends for t in lg.get_texts()]
    for n in ("888", "3,312", "12,768", "50,112", "198,528"):  # the demo's five sizes, each named
        assert any(n in lab for lab in labels), (n, labels)
