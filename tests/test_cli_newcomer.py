"""What a new user meets at the command line (issue 26, items 7 and 8): the fields `--set` takes,
a missing run directory named as missing, a dry run that says why it gives no GPU figure, and
`aha predict`'s gains at one precision. Written before the fixes; each failed on the old code."""

from __future__ import annotations

import re

import pandas as pd

from aha.cli import build_parser, main
from toymodels.grid import config_fields


def test_aha_fields_lists_every_field_set_accepts_and_grid_help_points_there(capsys):
    assert main(["fields"]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^(\w+) = ", out, re.M)
    accepted = [f for f in config_fields() if f != "seeds"] + ["seed"]  # what toymodels.overrides.check_sets takes
    assert sorted(listed) == sorted(accepted)
    assert "width = 64\n    d_model." in out and "rl_lr = " in out
    grid = next(a for a in build_parser()._actions if a.dest == "command").choices["grid"]
    assert "`aha fields` lists them" in grid.format_help().replace("\n", " ").replace("  ", " ")


def test_info_on_a_path_that_does_not_exist_says_so(capsys, tmp_path):
    assert main(["info", str(tmp_path / "no" / "such" / "run")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "has no grid.nc" not in err
    (tmp_path / "empty").mkdir()
    assert main(["info", str(tmp_path / "empty")]) == 2
    assert "has no grid.nc" in capsys.readouterr().err  # an existing directory without results: as before


def test_study_dry_run_gives_no_unmeasured_gpu_figure_and_says_why(capsys):
    assert main(["study", "quick", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "GPU h" not in out and "CPU min" in out
    assert "GPU: not projected. No GPU time per cell has been measured" in out


def test_predict_prints_gains_at_one_precision():
    from aha.study import predictions_table

    df = pd.DataFrame(
        {
            "setting": ["plain"] * 3,
            "width": [8, 16, 32],
            "seed": [0, 0, 0],
            "n_params": [888.0, 3312.0, 12768.0],
            "predicted_gain": [0.0123456, -0.00456, 0.31],
            "p_gain": [0.05, 0.2, 0.987],
        }
    )
    text = predictions_table(df)
    gains = re.findall(r"[+-]\d+\.\d+", text)
    assert gains == ["+0.012", "-0.005", "+0.310"]
    assert "12,768" in text and "0.99" in text
