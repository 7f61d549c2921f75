"""llm_bridge: published data loader, user CSV and lm-eval files, gain wrapper, checks, run_bridge."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from llm_bridge import load_lm_eval, load_published, pass_at_k_view, predict_gain, run_checks
from llm_bridge.checks import loo_gain, observations
from llm_bridge.published import DATA_CSV
from theory.amplifier import loo_compare

# the project's shared folder sits beside the checkout (and beside CI's clone)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "published_rl_results.csv"


@pytest.fixture(scope="module")
def pub():
    return load_published()


def test_shipped_csv_keeps_every_shared_row_and_column():
    ours = list(csv.DictReader(open(DATA_CSV, newline="")))
    try:
        shared = list(csv.DictReader(open(SHARED, newline="")))
    except FileNotFoundError:
        pytest.skip("shared CSV not present")
    for col in shared[0]:
        assert col in ours[0]
    origins = {r["origin"] for r in ours}
    for i, r in enumerate(shared, start=1):
        mine = [o for o in ours if o["origin"] == f"shared row {i}"]
        assert len(mine) == 1 and all(mine[0][c] == r[c] for c in r)
    assert all(
        o.startswith(
            ("shared row", "notes of shared row", "split of shared row", "read in issue 14", "read in issue 25")
        )
        for o in origins
    )


def test_published_schema_rates_and_tags(pub):
    assert set(pub.dims) == {"model", "benchmark", "metric"}
    for v in ("before", "after", "delta"):
        x = pub[v].values
        assert np.nanmin(x) >= -1 and np.nanmax(x) <= 1
    r1 = pub.sel(model="DeepSeek-R1: DeepSeek-V3-Base -> R1-Zero | zero-RL GRPO", benchmark="AIME2024", metric="pass@1")
    assert float(r1.before) == pytest.approx(0.156) and float(r1.after) == pytest.approx(0.71)
    assert str(r1.tag.values) == "P"
    m = "DeepSeek-R1: DeepSeek-V3-Base -> R1-Zero | zero-RL GRPO"
    assert bool(pub.moe.sel(model=m)) and float(pub.n_params.sel(model=m)) == pytest.approx(671e9)
    # NA stays NaN, raw text kept
    q = pub.sel(model="DeepSeek-R1: Qwen-32B-Base -> R1-Zero-Qwen-32B", benchmark="AIME2024", metric="pass@1")
    assert np.isnan(float(q.before)) and float(q.after) == pytest.approx(0.47)
    # '/'-lists over benchmarks are split (Open-Reasoner-Zero Table 4)
    orz = [str(x) for x in pub.model.values if "ORZ-7B" in str(x)][0]
    assert float(pub.after.sel(model=orz, benchmark="MATH500", metric="acc_pct")) == pytest.approx(0.814)


def test_pass_at_k_view_maps_metrics_to_k(pub):
    v = pass_at_k_view(pub)
    g = "Yue et al. limit-of-RLVR: Qwen2.5-7B -> GRPO(450 steps)"
    c = v.sel(model=g, benchmark="Omni-MATH-Test")
    assert float(c.base_pass_at_k.sel(k=256)) == pytest.approx(0.691)
    assert float(c.rl_pass_at_k.sel(k=1)) == pytest.approx(0.283)
    assert str(c.pass_at_k_metric.sel(k=1).values) == "pass@1"


def _write_csv(path, rows, cols=("source", "model", "params_B", "setting", "benchmark", "metric", "before", "after")):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(cols))
        w.writeheader()
        w.writerows(rows)


def test_user_csv_ok_and_errors(tmp_path):
    base = dict(
        source="me",
        model="m1",
        params_B="1",
        setting="grpo",
        benchmark="B",
        metric="pass@1",
        before="20",
        after="35",
    )
    rows = [
        base,
        {**base, "model": "m2", "params_B": "7", "before": "40", "after": "NA"},
        {**base, "metric": "pass@64", "before": "70", "after": "66"},
    ]
    _write_csv(tmp_path / "ok.csv", rows)
    ds = load_published(tmp_path / "ok.csv")
    assert ds.sizes["model"] == 2 and float(ds.after.sel(model="me: m1 | grpo", benchmark="B", metric="pass@1")) == 0.35
    assert np.isnan(float(ds.after.sel(model="me: m2 | grpo", benchmark="B", metric="pass@1")))
    _write_csv(
        tmp_path / "miss.csv",
        [{k: v for k, v in base.items() if k != "metric"}],
        cols=[c for c in base if c != "metric"],
    )
    with pytest.raises(ValueError, match="missing column.*metric"):
        load_published(tmp_path / "miss.csv")
    for col, val, msg in (
        ("before", "abc", "column 'before'"),
        ("metric", "accuracy", "column 'metric' must be one of"),
        ("params_B", "big", "column 'params_B'"),
    ):
        _write_csv(tmp_path / "bad.csv", [{**base, col: val}])
        with pytest.raises(ValueError, match=msg):
            load_published(tmp_path / "bad.csv")
    _write_csv(tmp_path / "dup.csv", [base, base])
    with pytest.raises(ValueError, match="duplicate"):
        load_published(tmp_path / "dup.csv")


def test_lm_eval_json_pairs(tmp_path):
    def write(name, model, acc, em):
        obj = {
            "results": {
                "gsm8k": {"exact_match,strict-match": em, "exact_match_stderr,strict-match": 0.01},
                "arc_easy": {"acc,none": acc, "acc_stderr,none": 0.02, "alias": "arc_easy"},
            },
            "config": {
                "model": "hf",
                "model_args": f"pretrained={model},dtype=float16",
                "model_num_parameters": 1_500_000_000,
            },
        }
        (tmp_path / name).write_text(json.dumps(obj))
        return tmp_path / name

    b, r = write("base.json", "org/base", 0.5, 0.1), write("rl.json", "org/rl", 0.55, 0.3)
    ds = load_lm_eval([b], rl_files=[r])
    assert list(ds.model.values) == ["org/base -> org/rl"]
    assert float(ds.n_params[0]) == pytest.approx(1.5e9)
    cell = ds.sel(benchmark="gsm8k", metric="exact_match[strict-match]")
    assert float(cell.before[0]) == pytest.approx(0.1) and float(cell.after[0]) == pytest.approx(0.3)
    v = pass_at_k_view(ds)
    assert float(v.rl_pass_at_k.sel(benchmark="arc_easy", k=1)[0]) == pytest.approx(0.55)
    (tmp_path / "bad.json").write_text(json.dumps({"config": {}}))
    with pytest.raises(ValueError, match="missing 'results'"):
        load_lm_eval([tmp_path / "bad.json"])


def test_predict_gain_wrapper():
    u = predict_gain(0.3)
    assert not u.calibrated and np.isnan(u.lo)
    assert predict_gain(0.0).mean == pytest.approx(0.0)  # no signal, no gain (H3 shape)
    from llm_bridge.gain import fit_scale

    p = fit_scale([0.1, 0.3, 0.5, 0.2], [0.1, 0.2, 0.15, 0.12])
    r = predict_gain(np.array([0.1, 0.4]), params=p)
    assert r.calibrated and np.all(r.lo <= r.mean) and np.all(r.mean <= r.hi)
    with pytest.raises(ValueError, match="base_accuracy"):
        predict_gain(30.0)
    with pytest.raises(ValueError, match="give k"):
        predict_gain(0.3, base_pass_at_k=0.8)


def test_toy_fits_json(tmp_path):
    from llm_bridge.gain import fit_scale, load_toy_params

    p = fit_scale([0.1, 0.3, 0.5, 0.2], [0.1, 0.2, 0.15, 0.12])
    (tmp_path / "fits.json").write_text(json.dumps({"H2": {"phi": {"gain_params": p.to_dict()}}}))
    q = load_toy_params(tmp_path / "fits.json")
    assert q.scale == pytest.approx(p.scale)
    assert predict_gain(0.2, toy_fits=tmp_path / "fits.json").mean == pytest.approx(predict_gain(0.2, params=p).mean)


def test_loo_matches_theory_reference(pub):
    """Our per-row LOO is the same leave-one-group-out as theory.amplifier.loo_compare (RMSE per group)."""
    rows = observations(pub)
    out, _ = loo_gain(rows, "phi")
    grp = np.array([r["group"] for r in out])
    err = np.array([r["pred_theory"] - r["gain"] for r in out])
    ours = np.sqrt(np.mean([np.mean(err[grp == g] ** 2) for g in dict.fromkeys(grp)]))
    ref = loo_compare(
        [r["base"] for r in rows],
        [r["gain"] for r in rows],
        [r["n_params"] for r in rows],
        [hash(r["group"]) % 10**9 for r in rows],
        G=8,
        kind="phi",
    )
    assert ours == pytest.approx(ref.rmse["gain_model"], rel=1e-9)


def test_checks_cover_every_prediction_and_name_missing_inputs(pub):
    res = {r.hid: r for r in run_checks(pub)}
    assert {"H2 (phi)", "H2 (coverage)", "H3", "H5", "H1/H11"} <= set(res)
    for r in res.values():
        assert r.status in ("holds", "fails", "inconclusive", "not testable")
        if r.status == "not testable":
            assert r.missing
    assert set(res["H2 (phi)"].mae) == {"theory", "constant", "linear_lnN"}


def test_check_on_user_csv_size_ladder(tmp_path):
    rows = [
        dict(
            source="me",
            model=f"m{n}",
            params_B=str(n),
            setting="grpo",
            benchmark="B",
            metric="pass@1",
            before=str(b),
            after=str(a),
        )
        for n, b, a in ((0.5, 5, 6), (1.5, 15, 25), (7, 30, 55), (32, 40, 70))
    ]
    _write_csv(tmp_path / "ladder.csv", rows)
    res = {r.hid: r for r in run_checks(load_published(tmp_path / "ladder.csv"))}
    assert res["H1/H11"].status == "holds"
    # gain grows with ln N here while φ(pass@1)·(1 − pass@1) does not track it: the size baseline wins
    h2 = res["H2 (phi)"]
    assert h2.status == "fails" and h2.mae["linear_lnN"] < h2.mae["theory"] and h2.n_groups == 4


def test_run_bridge_published(tmp_path, published_bridge):
    from llm_bridge.bridge_report import run_bridge

    out, p = published_bridge  # run_bridge(out, published=True), run once (tests/conftest.py)
    text = p.read_text()
    assert "H2 (phi)" in text and "not testable" in text
    for f in ("bridge.nc", "gain_vs_base.png", "h5_large_k.png"):
        assert (out / f).is_file()
    with pytest.raises(ValueError, match="needs published"):
        run_bridge(tmp_path / "x", published=False)


def test_shipped_data_is_package_data():
    """The CSV and its README sit in the package and match pyproject's package-data globs, so a
    wheel ships them; the default loader reads every row of that file."""
    import fnmatch
    import tomllib

    import llm_bridge

    pkg = Path(llm_bridge.__file__).parent
    assert DATA_CSV.is_file() and DATA_CSV.parent.parent == pkg
    globs = tomllib.loads((pkg.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for f in (DATA_CSV, DATA_CSV.parent / "README.md"):
        rel = f.relative_to(pkg).as_posix()
        assert f.is_file() and any(fnmatch.fnmatch(rel, g) for g in globs["llm_bridge"]), rel
    default = load_published()
    assert default.sizes["model"] > 0
    xr.testing.assert_identical(default, load_published(DATA_CSV, strict=False))
