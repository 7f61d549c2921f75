"""Gain laws per starting point, judged by leave-one-checkpoint-group-out, and the law a forecast uses.

    laws = fit_start_laws(gain_rows())          # {start: StartLaw}, flagged rows left out
    laws["base"].winner, laws["base"].scores    # which candidate wins, every candidate's MAE and interval
    laws["base"].predict(p1_draws)              # forecast with an interval (law error + measurement noise)

Starting points (column `start`): `base` (zero-RL from a pretrained base), `instruct` (instruct, SFT or
DPO model), `distilled` (a reasoner distilled from a larger reasoner's traces), `rl-continued` (RL on a
model already trained with RL). The mechanisms differ, so each start gets its own law.

Flagged rows (not like-for-like): `in_distribution` (evaluated on the RL training set or its generator),
`averaged` (the value averages several benchmarks), `protocol` other than `same` (a greedy base against a
sampled RL model; a tool or decoding on one side only). They are left out of the forecast's fit and
shown beside it in the tables.

Folds: a *checkpoint group* holds the rows that must be held out together: rows that share an RL
checkpoint (`checkpoint_id`; the same model re-evaluated in several sources) or a measured base within
one source (several RL runs from one base measurement share its idiosyncrasies), closed transitively.
Every candidate (llm_bridge.laws) is fitted on the other groups and forecasts the held-out one. A
stricter second scheme holds out whole *source clusters* (sources linked by a shared checkpoint).

Winner (WIN_RULE): the candidate with the lowest held-out MAE among those whose 90% bootstrap interval
(checkpoint groups resampled) of MAE(candidate) − MAE(constant) lies below 0; the constant of that start
when none does. The forecast's interval comes from the winner's held-out residuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .laws import CANDIDATES, G_DEFAULT, PRIMARY

STARTS = ("base", "instruct", "distilled", "rl-continued")
LEVEL = 0.9
N_BOOT = 2000
MIN_GROUPS = 3
"""Fewer checkpoint groups than this: no held-out score, no interval (the law is `not determined`)."""
MIN_GROUPS_WIN = 5
"""Fewer checkpoint groups than this: a bootstrap over groups is too coarse to prefer a law to the constant."""
WIN_RULE = (
    "the candidate with the lowest leave-one-checkpoint-group-out MAE among those whose 90% bootstrap "
    "interval (checkpoint groups resampled) of MAE(candidate) − MAE(constant) lies below 0; the constant of "
    f"that starting point when none does, or when the start has fewer than {MIN_GROUPS_WIN} checkpoint groups"
)


def flagged(df: pd.DataFrame) -> np.ndarray:
    """Rows that are not like-for-like (module doc); empty factor cells count as not flagged."""

    def true(c: str) -> np.ndarray:
        return df[c].astype(str).str.lower().eq("true").to_numpy() if c in df else np.zeros(len(df), bool)

    proto = df["protocol"].astype(str).to_numpy() if "protocol" in df else np.full(len(df), "same")
    return true("in_distribution") | true("averaged") | ~np.isin(proto, ("same", "", "nan"))


class _Union:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, idx) -> None:
        idx = list(idx)
        for j in idx[1:]:
            self.parent[self.find(j)] = self.find(idx[0])

    def labels(self) -> np.ndarray:
        roots = [self.find(i) for i in range(len(self.parent))]
        return pd.factorize(pd.Series(roots))[0]


def _base_model(model: str) -> str:
    return str(model).split("->")[0].split(" vs ")[0].strip()


def checkpoint_groups(df: pd.DataFrame) -> np.ndarray:
    """Group label per row (module doc): shared checkpoint_id, or shared base model within one source."""
    u = _Union(len(df))
    ck = df["checkpoint_id"].astype(str) if "checkpoint_id" in df else pd.Series([""] * len(df))
    keys = [ck.where(ck != "", "row:" + pd.Series(range(len(df))).astype(str))]
    if "model" in df:
        keys.append(df["source"].astype(str) + " | " + df["model"].map(_base_model))
    for key in keys:
        for idx in pd.Series(range(len(df))).groupby(key.to_numpy()).groups.values():
            u.join(idx)
    return u.labels()


def source_clusters(df: pd.DataFrame) -> np.ndarray:
    """Group label per row: its source, merged with every source it shares a checkpoint group with."""
    u = _Union(len(df))
    g = checkpoint_groups(df)
    for key in (df["source"].astype(str).to_numpy(), g):
        for idx in pd.Series(range(len(df))).groupby(key).groups.values():
            u.join(idx)
    return u.labels()


def held_out(df: pd.DataFrame, law_name: str, groups: np.ndarray, G: int = G_DEFAULT) -> np.ndarray:
    """Forecast of every row by `law` fitted on the rows of the other groups (NaN where it cannot)."""
    law = CANDIDATES[law_name]
    out = np.full(len(df), np.nan)
    for g in np.unique(groups):
        te = groups == g
        coef = law.fit(df[~te], G)
        if np.isfinite(coef).all():
            out[te] = law.predict(coef, df[te], G)
    return out


def boot_diff(err_a: np.ndarray, err_b: np.ndarray, groups: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """90% bootstrap interval over groups of mean(err_a) − mean(err_b) (rows of a group kept together)."""
    ok = np.isfinite(err_a) & np.isfinite(err_b)
    g = groups[ok]
    if len(np.unique(g)) < MIN_GROUPS:
        return (float("nan"), float("nan"))
    d = pd.DataFrame({"d": err_a[ok] - err_b[ok], "g": g}).groupby("g")["d"].agg(["sum", "count"])
    idx = np.random.default_rng(seed).integers(0, len(d), (N_BOOT, len(d)))
    means = d["sum"].to_numpy()[idx].sum(1) / d["count"].to_numpy()[idx].sum(1)
    return (float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95)))


@dataclass
class LawScore:
    """One candidate's held-out score on one start's rows."""

    name: str
    mae: float
    mae_constant: float
    """The constant's held-out MAE on the same rows (lnN scores only rows with a published N)."""
    diff_ci: tuple[float, float]
    """90% interval of MAE(candidate) − MAE(constant) over checkpoint groups."""
    n_rows: int
    coef: list[float]
    """Coefficients fitted on every row of the start."""

    @property
    def beats_constant(self) -> bool:
        return bool(np.isfinite(self.diff_ci[1]) and self.diff_ci[1] < 0)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "law": CANDIDATES[self.name].describe(self.coef) if np.isfinite(self.coef).all() else "not fitted",
            "mae": self.mae,
            "mae_constant": self.mae_constant,
            "diff_ci": list(self.diff_ci),
            "n_rows": self.n_rows,
            "beats_constant": self.beats_constant,
        }


@dataclass
class StartLaw:
    """The winner for one starting point, with every candidate's score and the data behind them."""

    start: str
    scores: dict[str, LawScore]
    winner: str
    residuals: np.ndarray = field(repr=False)
    """Held-out residuals (observed − forecast) of the winner: the forecast's error distribution."""
    n_rows: int = 0
    n_groups: int = 0
    n_sources: int = 0
    n_flagged_left_out: int = 0
    size_range_B: tuple[float, float] = (float("nan"), float("nan"))
    G: int = G_DEFAULT
    level: float = LEVEL
    strict: dict = field(default_factory=dict)
    """The same scores with whole source clusters held out (name -> mae, and `constant`)."""

    @property
    def determined(self) -> bool:
        return self.n_groups >= MIN_GROUPS and self.residuals.size > 0

    def point(self, p1, chance=0.0, params_total_B=float("nan")) -> np.ndarray:
        p1 = np.atleast_1d(np.asarray(p1, dtype=float))
        df = pd.DataFrame({"before": p1, "chance": chance, "params_total_B": params_total_B})
        return CANDIDATES[self.winner].predict(self.scores[self.winner].coef, df, self.G)

    def predict(self, p1_draws, chance=0.0, params_total_B=float("nan"), margin: float = 0.05) -> dict:
        """Forecast from the measured pass@1 (p1_draws[0]) and draws of it that carry its sampling noise:
        mean at the measurement; interval and P(gain ≥ margin) over every (draw, held-out residual) pair."""
        draws = self.point(p1_draws, chance, params_total_B)  # (D,)
        mean = float(draws[0])
        if not self.determined or not np.isfinite(draws).all():
            return {"mean": mean, "lo": float("nan"), "hi": float("nan"), "prob_at_least_margin": float("nan")}
        tot = (draws[:, None] + self.residuals[None, :]).ravel()  # (D * R,)
        q = np.quantile(tot, [(1 - self.level) / 2, (1 + self.level) / 2])
        only_law = mean + np.quantile(self.residuals, [(1 - self.level) / 2, (1 + self.level) / 2])
        return {
            "mean": mean,
            "lo": float(q[0]),
            "hi": float(q[1]),
            "lo_law_only": float(only_law[0]),
            "hi_law_only": float(only_law[1]),
            "prob_at_least_margin": float(np.mean(tot >= margin)),
        }

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "winner": self.winner,
            "primary": PRIMARY.get(self.start),
            "determined": self.determined,
            "n_rows": self.n_rows,
            "n_groups": self.n_groups,
            "n_sources": self.n_sources,
            "n_flagged_left_out": self.n_flagged_left_out,
            "size_range_B": list(self.size_range_B),
            "G": self.G,
            "level": self.level,
            "residual_quantiles": [float(x) for x in np.quantile(self.residuals, [0.05, 0.95])]
            if self.residuals.size
            else [],
            "scores": {k: v.to_dict() for k, v in self.scores.items()},
            "strict": self.strict,
        }


def _winner(scores: dict[str, LawScore], n_groups: int) -> str:
    if n_groups < MIN_GROUPS_WIN:
        return "constant"
    ok = [s for s in scores.values() if s.name != "constant" and s.beats_constant]
    return min(ok, key=lambda s: s.mae).name if ok else "constant"


def _score_all(df: pd.DataFrame, groups: np.ndarray, G: int, seed: int) -> tuple[dict[str, LawScore], dict]:
    y = df["gain"].to_numpy(float)
    const_err = np.abs(held_out(df, "constant", groups, G) - y)
    scores, preds = {}, {}
    for name, law in CANDIDATES.items():
        pred = held_out(df, name, groups, G)
        err = np.abs(pred - y)
        ok = np.isfinite(err)
        preds[name] = pred
        scores[name] = LawScore(
            name,
            float(np.mean(err[ok])) if ok.any() else float("nan"),
            float(np.mean(const_err[ok])) if ok.any() else float("nan"),
            boot_diff(err, const_err, groups, seed) if name != "constant" else (0.0, 0.0),
            int(ok.sum()),
            [float(c) for c in law.fit(df, G)],
        )
    return scores, preds


def evaluate_start(
    df: pd.DataFrame, start: str, include_flagged: bool = False, G: int = G_DEFAULT, level: float = LEVEL, seed: int = 0
) -> StartLaw:
    """Every candidate on one start's rows by leave-one-checkpoint-group-out, and the winner (WIN_RULE)."""
    rows = df[df["start"].astype(str) == start]
    flag = flagged(rows)
    n_flag = int(flag.sum())
    rows = (rows if include_flagged else rows[~flag]).reset_index(drop=True)
    rows = rows[np.isfinite(rows["gain"].to_numpy(float)) & np.isfinite(rows["before"].to_numpy(float))]
    rows = rows.reset_index(drop=True)
    groups = checkpoint_groups(rows)
    n_groups = len(np.unique(groups))
    if n_groups < MIN_GROUPS:
        scores = {
            n: LawScore(n, np.nan, np.nan, (np.nan, np.nan), 0, [float(c) for c in CANDIDATES[n].fit(rows, G)])
            for n in CANDIDATES
        }
        resid, strict = np.empty(0), {}
        winner = "constant"
    else:
        scores, preds = _score_all(rows, groups, G, seed)
        winner = _winner(scores, n_groups)
        r = rows["gain"].to_numpy(float) - preds[winner]
        resid = r[np.isfinite(r)]
        strict = _strict(rows, G)
    n = rows["params_total_B"].to_numpy(float) if "params_total_B" in rows else np.array([np.nan])
    n = n[np.isfinite(n)]
    return StartLaw(
        start,
        scores,
        winner,
        resid,
        len(rows),
        n_groups,
        int(rows["source"].nunique()) if len(rows) else 0,
        0 if include_flagged else n_flag,
        (float(n.min()), float(n.max())) if n.size else (float("nan"), float("nan")),
        G,
        level,
        strict,
    )


def _strict(rows: pd.DataFrame, G: int) -> dict:
    """Held-out MAE of every candidate when whole source clusters are left out."""
    cl = source_clusters(rows)
    if len(np.unique(cl)) < 2:
        return {"n_clusters": int(len(np.unique(cl)))}
    y = rows["gain"].to_numpy(float)
    out: dict = {"n_clusters": int(len(np.unique(cl)))}
    for name in CANDIDATES:
        e = np.abs(held_out(rows, name, cl, G) - y)
        out[name] = float(np.nanmean(e)) if np.isfinite(e).any() else None
    return out


def fit_start_laws(
    df: pd.DataFrame, include_flagged: bool = False, G: int = G_DEFAULT, level: float = LEVEL
) -> dict[str, StartLaw]:
    """One StartLaw per start that has rows (STARTS order)."""
    have = set(df["start"].astype(str)) if "start" in df else set()
    return {s: evaluate_start(df, s, include_flagged, G, level) for s in STARTS if s in have}
