"""Starting point as a factor (issue 25): every published row carries start, checkpoint_id and the
like-for-like flags; folds never split a re-evaluated checkpoint; the winner rule treats the constant
and the laws alike; the mechanistic law is judged on >= 150 zero-RL rows from >= 8 sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llm_bridge.by_start import (
    MIN_GROUPS_WIN,
    STARTS,
    checkpoint_groups,
    evaluate_start,
    fit_start_laws,
    flagged,
    held_out,
    source_clusters,
)
from llm_bridge.laws import CANDIDATES, features
from llm_bridge.published import DATA_CSV
from llm_bridge.published_csv import PROTOCOLS
from llm_bridge.transfer import gain_rows


@pytest.fixture(scope="module")
def rows():
    return gain_rows()


def test_every_csv_row_carries_the_factors():
    df = pd.read_csv(DATA_CSV, keep_default_na=False, dtype=str)
    assert set(df["start"]) <= set(STARTS) and set(df["protocol"]) <= set(PROTOCOLS)
    for c in ("in_distribution", "averaged"):
        assert set(df[c]) <= {"true", "false"}, c
    rl = df[df["contrast"] == "base_to_rl"]
    assert (rl["checkpoint_id"] != "").all() and (df["start"] != "").all()


def test_the_issue_s_not_like_for_like_rows_are_flagged(rows):
    zoo = rows[rows["source"] == "SimpleRL-Zoo"]
    greedy = zoo[zoo["protocol"] == "greedy-vs-sampled"]
    assert len(greedy) == 50 and set(zoo[zoo["protocol"] == "same"]["metric"]) == {"avg@32"}
    assert (rows[rows["benchmark"] == "Omni-MATH-Train"]["in_distribution"] == "true").all()
    assert (rows[rows["source"] == "Logic-RL"]["in_distribution"] == "true").all()
    t = pd.read_csv(DATA_CSV, keep_default_na=False, dtype=str)
    assert (t[t["benchmark"].str.startswith("AZR ")]["averaged"] == "true").all()
    azr = rows[rows["benchmark"].str.startswith("AZR ")]
    assert len(azr) == 26 and (azr["averaged"] == "true").all()  # they escaped the Avg* exclusion
    factors = (rows["protocol"] != "same") | (rows["in_distribution"] == "true") | (rows["averaged"] == "true")
    assert flagged(rows).sum() == factors.sum()


def test_a_re_evaluated_checkpoint_stays_in_one_group(rows):
    g = checkpoint_groups(rows)
    zoo7 = rows["checkpoint_id"].to_numpy() == "Qwen2.5-7B-SimpleRL-Zoo"
    assert len(set(rows.loc[zoo7, "source"])) >= 3 and len(set(g[zoo7])) == 1
    for ck, idx in rows.groupby("checkpoint_id").groups.items():
        assert len(set(g[np.asarray(list(idx))])) == 1, ck
    # clusters are unions of groups: a group never spans two clusters
    cl = source_clusters(rows)
    assert all(len(set(cl[g == k])) == 1 for k in np.unique(g))


def test_held_out_forecast_never_sees_its_own_group():
    df = pd.DataFrame({"before": [0.2] * 6, "gain": [0.1, 0.1, 0.1, 0.1, 5.0, 5.0], "source": list("aabbcc")})
    pred = held_out(df, "constant", np.array([0, 0, 1, 1, 2, 2]))
    np.testing.assert_allclose(pred[4:], 0.1)  # group 2's huge gain is not in its own forecast
    np.testing.assert_allclose(pred[:2], (0.1 * 2 + 5.0 * 2) / 4)


def _synthetic(gain_fn, n_groups=12, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.9, n_groups * 4)
    df = pd.DataFrame({"before": p, "start": "base", "source": [f"s{i // 8}" for i in range(len(p))]})
    df["checkpoint_id"] = [f"ck{i // 4}" for i in range(len(p))]
    df["gain"] = gain_fn(df, rng)
    return df


def test_the_mechanistic_law_wins_when_the_mechanism_holds_and_the_constant_when_nothing_does():
    mech = _synthetic(lambda d, r: 0.6 * features(d)["mech"] + r.normal(0, 0.01, len(d)))
    law = evaluate_start(mech, "base")
    assert law.winner in ("mechanistic", "mechanistic+offset", "p+phi") and law.scores["mechanistic"].beats_constant
    noise = _synthetic(lambda d, r: 0.1 + r.normal(0, 0.05, len(d)), seed=1)
    assert evaluate_start(noise, "base").winner == "constant"
    few = _synthetic(lambda d, r: 0.6 * features(d)["mech"], n_groups=MIN_GROUPS_WIN - 1)
    assert evaluate_start(few, "base").winner == "constant"  # too few groups to prefer any law


def test_zero_rl_coverage_and_the_per_start_table(rows):
    base = rows[rows["start"] == "base"]
    assert len(base) >= 150 and base["source"].nunique() >= 8
    laws = fit_start_laws(rows)
    assert set(laws) >= {"base", "instruct", "distilled"}
    b = laws["base"]
    assert b.n_rows == int((~flagged(base)).sum()) and b.n_groups >= MIN_GROUPS_WIN and b.determined
    assert set(b.scores) == set(CANDIDATES) and b.residuals.size == b.n_rows
    lo, hi = b.scores["mechanistic"].diff_ci
    assert lo < hi  # an interval that collapses to a point is a bug
