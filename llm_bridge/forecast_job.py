"""`aha forecast`'s work, from a checked request to forecast.json's content: measure the model here
(or read results measured elsewhere), fit the per-start laws, forecast each benchmark.

    report = forecast_report_dict("base", cfg=MeasureConfig(model="ckpt/"), margin=0.05, level=0.9)

The laws are fitted before a long generation (a problem there costs no GPU time) and after reading
a results file (a bad file stops before any fit). aha/forecast_cmd.py parses and checks the flags,
writes forecast.json and forecast.md (llm_bridge.forecast_report) and prints the markdown.
"""

from __future__ import annotations

import time

from . import forecast_run as fr  # by module: a test that replaces fr.fit_models reaches this call too
from .benchmark import PromptResults, summarize
from .measure import MeasureConfig, measure_model, read_results

__all__ = ["forecast_report_dict"]


def forecast_report_dict(
    start: str,
    *,
    cfg: MeasureConfig | None = None,
    from_results: str | None = None,
    margin: float = 0.05,
    level: float = 0.9,
    group_size: int = 8,
    seed: int = 0,
) -> dict:
    """forecast.json's content for ``cfg.model`` measured here (``cfg``) or for ``from_results``
    (a samples CSV or an lm-eval JSON): per benchmark the forecast of the RL gain from ``start``,
    with the law of that start, the toy-grid law, the protocol and the wall time."""
    t0 = time.time()
    if cfg:
        models = fr.fit_models(level)  # before the long generation: a problem here costs no GPU time
        fr.check_start(start, models)
        results, n_total, protocol = measure_model(cfg)
    else:
        results, n_total, protocol = read_results(from_results)  # bad files stop before any fit
        models = fr.fit_models(level)
        fr.check_start(start, models)
    stats = [
        fr.with_noise(summarize(r, group_size), r.n, r.correct, seed)
        if isinstance(r, PromptResults)
        else fr.lm_eval_stats(r, group_size)
        for r in results
    ]
    return {
        "model": cfg.model if cfg else from_results,
        "start": start,
        "params_total": n_total,
        "margin": margin,
        "level": level,
        "group_size": group_size,
        "protocol": protocol,
        "start_law": models["laws"][start].to_dict(),
        "toy_law": models["toy"].to_dict() if models["toy"] else None,
        "benchmarks": [fr.forecast_row(s, models, start, n_total, margin, group_size, protocol) for s in stats],
        "wall_s": round(time.time() - t0, 1),
    }
