"""llm_bridge published data: each result counted once, numeric sizes, citations, coverage bar."""

import csv

import numpy as np
import pytest

from llm_bridge import load_published, run_checks
from llm_bridge.checks import observations
from llm_bridge.passk_curves import load_passk_curves
from llm_bridge.published import _TAG, DATA_CSV, READ_FROM, gain_table, parse_number, parse_params

COLS = ("source", "model", "params_B", "setting", "benchmark", "metric", "before", "after", "origin")


@pytest.fixture(scope="module")
def pub_rows():
    with open(DATA_CSV, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path, rows, cols=COLS):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(cols))
        w.writeheader()
        w.writerows(rows)
    return path


def _split_and_combined():
    """A combined row ('A/B' with two values) kept beside its two split rows: two results, not four."""
    base = dict(source="s", model="m", params_B="7", metric="pass@1")
    return [
        {
            **base,
            "setting": "grpo (both)",
            "benchmark": "AIME24/MATH500",
            "before": "10/40",
            "after": "30/60",
            "origin": "shared row 1",
        },
        {
            **base,
            "setting": "grpo",
            "benchmark": "AIME24",
            "before": "10",
            "after": "30",
            "origin": "split of shared row 1",
        },
        {
            **base,
            "setting": "grpo",
            "benchmark": "MATH500",
            "before": "40",
            "after": "60",
            "origin": "split of shared row 1",
        },
    ]


def test_a_split_row_and_its_combined_row_count_once(tmp_path):
    ds = load_published(_write(tmp_path / "t.csv", _split_and_combined()))
    rows = observations(ds)
    assert sorted(r["benchmark"] for r in rows) == ["AIME24", "MATH500"]
    for r in run_checks(ds):
        assert r.n_rows <= 2, (r.hid, r.n_rows)


def test_explicit_duplicate_of_wins_over_the_origin_rule(tmp_path):
    rows = [{**r, "result_id": f"x{i}", "duplicate_of": ""} for i, r in enumerate(_split_and_combined())]
    rows[1]["duplicate_of"] = "x0"  # here the split rows are the repeats, the combined row stays
    rows[2]["duplicate_of"] = "x0"
    ds = load_published(_write(tmp_path / "t.csv", rows, COLS + ("result_id", "duplicate_of")))
    g = gain_table(ds)
    assert sorted(g.result_id.values) == ["x0", "x0"] and sorted(g.benchmark.values) == ["AIME24", "MATH500"]


def test_gain_table_one_entry_per_unique_result(pub_rows):
    g = gain_table()
    assert set(g.dims) == {"result"} and g.sizes["result"] > 0
    for v in ("before", "after"):
        assert g[v].dtype == float and np.all((g[v] >= 0) & (g[v] <= 1))
    assert g.k.dtype.kind == "i" and np.all(g.k >= 1)
    for v in ("source", "model", "benchmark", "metric", "result_id"):
        assert g[v].dtype == object and all(isinstance(x, str) and x for x in g[v].values)
    keys = list(zip(g.result_id.values, g.benchmark.values, g.metric.values))
    assert len(keys) == len(set(keys))
    dup = {r["result_id"] for r in pub_rows if r["duplicate_of"]}
    assert not dup & set(g.result_id.values)
    base_to_rl = {r["result_id"] for r in pub_rows if r["contrast"] == "base_to_rl"}
    assert set(g.result_id.values) <= base_to_rl
    assert not any(str(b).startswith("Avg") for b in g.benchmark.values)
    # DeepScaleR README table: AIME2024 28.8 -> 43.1 at 1.5B, a dense model
    d = g.where((g.source == "DeepScaleR") & (g.benchmark == "AIME2024"), drop=True)
    assert d.before.values.tolist() == pytest.approx([0.288]) and d.after.values.tolist() == pytest.approx([0.431])
    assert d.params_total_B.values.tolist() == d.params_active_B.values.tolist() == [1.5]


def test_numeric_size_columns_parse_and_agree_with_params_B(pub_rows):
    for r in pub_rows:
        tot, act = (parse_number(r[c]) for c in ("params_total_B", "params_active_B"))
        assert tot[2] and act[2] and not tot[1] and not act[1], r["result_id"]
        try:
            plain = float(r["params_B"])
        except ValueError:
            plain = None
        if plain is not None:  # a plain number is a dense model's size: total = active = params_B
            assert tot[0] == plain and act[0] == plain, r["result_id"]
        if "moe" in r["params_B"].lower():
            assert tot[0] == parse_params(r["params_B"])[0] and not act[0] >= tot[0], r["result_id"]
    ds = load_published()
    assert {"n_params", "n_params_total", "n_params_active", "moe"} <= set(ds.coords)
    np.testing.assert_array_equal(ds.n_params.values, ds.n_params_total.values)


def test_every_row_has_citation_location_tag_and_read_from(pub_rows):
    ids = [r["result_id"] for r in pub_rows]
    assert len(ids) == len(set(ids)) and all(ids)
    for r in pub_rows:
        for c in ("source", "arxiv_or_url", "location", "notes"):
            assert r[c], (r["result_id"], c)
        assert _TAG.search(r["notes"]), r["result_id"]
        assert r["read_from"] in READ_FROM, r["result_id"]
        for d in r["duplicate_of"].split():
            assert d in ids, (r["result_id"], d)
    versions: dict[str, set] = {}
    for r in pub_rows:
        versions.setdefault(r["source"], set()).add(r["paper_version"])
    for src, vs in versions.items():  # a source quoted from two versions names one on every row
        if len(vs - {""}) > 1:
            assert "" not in vs, src


def test_published_table_meets_the_coverage_bar():
    """Issue 14's bar, on unique base_to_rl results with both sides numeric (averages left out)."""
    g = gain_table()
    n_src = len(set(g.source.values))
    sizes = g.params_total_B.values[np.isfinite(g.params_total_B.values)]
    assert g.sizes["result"] >= 120 and n_src >= 18, (g.sizes["result"], n_src)
    assert sizes.min() <= 1 and sizes.max() >= 30
    assert {"table"} <= set(g.read_from.values) <= set(READ_FROM)


def test_passk_curves_load_long_form_and_agree_with_the_table():
    cur = load_passk_curves()
    assert set(cur.dims) == {"curve", "k"} and 1 in cur.k.values and 256 in cur.k.values
    assert cur.sizes["curve"] >= 24 and np.all((cur.before >= 0) & (cur.before <= 1))
    np.testing.assert_allclose(cur.delta.values, cur.after.values - cur.before.values)
    g = gain_table()
    table = {
        (s, m, b, int(k)): (x, y)
        for s, m, b, k, x, y in zip(*(g[v].values for v in ("source", "model", "benchmark", "k", "before", "after")))
    }
    for c in cur.curve.values:
        p = cur.sel(curve=c)
        for k in cur.k.values:
            key = (str(p.source.values), str(p.model.values), str(p.benchmark.values), int(k))
            assert key in table, key  # every curve point also stands in the before/after table
            assert table[key] == pytest.approx((float(p.before.sel(k=k)), float(p.after.sel(k=k))))


def test_passk_curve_csv_errors_name_line_and_column(tmp_path):
    cols = ("source", "model", "benchmark", "k", "before", "after")
    ok = dict(source="s", model="m", benchmark="B", k="1", before="10", after="20")
    ds = load_passk_curves(_write(tmp_path / "ok.csv", [ok, {**ok, "k": "64", "before": "70"}], cols))
    assert ds.sizes == {"curve": 1, "k": 2} and ds.before.sel(k=64).values.tolist() == pytest.approx([0.7])
    for col, val, msg in (("k", "0", "line 2: column 'k'"), ("after", "120", "column 'after'")):
        with pytest.raises(ValueError, match=msg):
            load_passk_curves(_write(tmp_path / "bad.csv", [{**ok, col: val}], cols))
    with pytest.raises(ValueError, match="missing column.*k"):
        load_passk_curves(_write(tmp_path / "miss.csv", [{c: ok[c] for c in cols if c != "k"}], cols[:3] + cols[4:]))


def test_size_ladders_do_not_mix_model_series(tmp_path):
    """One source, one recipe, two series (gain rising with size in A, falling in B): two ladders that
    disagree (inconclusive), not one mixed ladder whose pooled rank correlation happens to be positive."""
    pts = {"A": ((1, 10, 20), (3, 10, 30), (10, 10, 40)), "B": ((2, 10, 60), (5, 10, 50), (20, 10, 45))}
    cols = COLS[:-1] + ("family",)
    rows = [
        dict(zip(cols, ("s", f"{fam}-{n}B", str(n), "grpo", "X", "pass@1", str(b), str(a), fam)))
        for fam, ladder in pts.items()
        for n, b, a in ladder
    ]
    res = {r.hid: r for r in run_checks(load_published(_write(tmp_path / "f.csv", rows, cols)))}
    order = res["H1/H11"]
    assert order.n_groups == 2 and order.status == "inconclusive", order.detail


def test_the_data_readme_states_the_coverage_the_table_has():
    """The coverage paragraph of llm_bridge/data/README.md is llm_bridge.coverage's output (fails on the README
    before it: its size bands and read-from counts were the 285 results before issue 25, not today's 336)."""
    from llm_bridge.coverage import coverage, paragraph

    c = coverage()
    assert c["n"] == sum(c["bands"]) == sum(c["read_from"].values())  # every result in one band, read one way
    assert c["n_pass1"] == sum(n for n, _ in c["by_start"].values()) and c["base_lfl"][0] <= c["by_start"]["base"][0]
    readme = " ".join((DATA_CSV.parent / "README.md").read_text().split())
    assert paragraph(c) in readme, (
        "llm_bridge/data/README.md: paste `python -m llm_bridge.coverage` over its coverage paragraph"
    )


def test_the_published_table_keeps_its_text_as_strings_not_fixed_width_arrays():
    """Its text columns (notes, sources, locations) live over model x benchmark x metric, mostly empty:
    as fixed-width unicode the longest note set every cell's width and the table took 333 MB, which
    every load and every `unique_results` copied (6 CPU-s a call). As Python strings it stays small."""
    from llm_bridge.published import load_published, unique_results

    ds = load_published()
    assert ds.nbytes < 50e6, f"{ds.nbytes / 1e6:.0f} MB"
    assert ds.notes.dtype == object and unique_results(ds).notes.dtype == object
    assert all(isinstance(x, str) for x in ds.notes.values.ravel())  # empty cells are "", never None
