"""Side by side with EMA Workbench: the same coupled model, one experiment at a time.

EMA Workbench (``ema_workbench``, the ``[bench]`` extra) evaluates a model as one Python call per
experiment. Here its model function wraps fentsim's own ``simulate`` for a single run (one
parameter set, coupled mode, 1999-2035), and its ``SequentialEvaluator`` runs ``experiments``
Latin-hypercube experiments over the registry's uncertain parameters (bounds: their prior's 1%
and 99% quantiles). fentsim's per-run cost is one batched ``simulate`` call divided by its runs.
EMA's own bookkeeping is measured separately with a model function that does nothing.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from typing import Any

from bench_model import draws, need, timed

CLOCK_YEARS = (1999, 2035)


def _uncertainties():
    from ema_workbench import RealParameter

    from fentsim.params import load_registry

    reg, out = load_registry(), []
    for name in reg.uncertain:
        prior, point = reg[name].prior, reg[name].value
        lo, hi = (float(prior.ppf(q, point=point)) for q in (0.01, 0.99))
        if lo < hi:
            out.append(RealParameter(name, lo, hi))
    return out


def _model(function, name: str):
    from ema_workbench import Model, ScalarOutcome

    model = Model(name, function=function)
    model.uncertainties = _uncertainties()
    model.outcomes = [ScalarOutcome("opioid_deaths")]
    return model


def _fentsim_single_run(**values: float) -> dict[str, float]:
    """EMA model function: fentsim's ``simulate`` for one parameter set (coupled mode)."""
    from fentsim.model.clock import Clock
    from fentsim.model.engine import simulate
    from fentsim.params import ParamSet, load_registry

    base = _base_values()
    ps = ParamSet.point(load_registry(), 1, {**base, **values})
    res = simulate(ps, clock=Clock(*CLOCK_YEARS), exposure="coupled")
    return {"opioid_deaths": float(res.outcomes["opioid_deaths"][0].sum())}


def _noop(**values: float) -> dict[str, float]:
    return {"opioid_deaths": 0.0}


def _base_values() -> dict[str, float]:
    try:
        from fentsim.params.projection import base_values
    except ImportError:
        from fentsim.params import load_registry

        return {k: p.value for k, p in load_registry().items()}
    return base_values()


def _ema_seconds(function, name: str, experiments: int) -> float:
    from ema_workbench import SequentialEvaluator

    model = _model(function, name)
    with SequentialEvaluator(model) as evaluator:
        t0 = time.perf_counter()
        evaluator.perform_experiments(scenarios=experiments)
        return time.perf_counter() - t0


def side_by_side(experiments: int, batch: int, repeats: int) -> dict[str, Any]:
    """EMA per-experiment cost vs fentsim per-run cost on the same coupled model."""
    need("ema_workbench")
    need("fentsim.model.coupling")
    from fentsim.model.clock import Clock
    from fentsim.model.engine import simulate

    os.environ.setdefault("TQDM_DISABLE", "1")  # EMA's per-experiment progress bars
    logging.getLogger("EMA").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="ema_workbench")
    _fentsim_single_run()  # warm-up: data and kernels load once, outside the timings
    ema_runs = [
        _ema_seconds(_fentsim_single_run, "fentsimcoupled", experiments) / experiments
        for _ in range(repeats)
    ]
    noop = _ema_seconds(_noop, "noop", max(experiments, 50)) / max(experiments, 50)
    ps, clock = draws(batch), Clock(*CLOCK_YEARS)
    med, _ = timed(lambda: simulate(ps, clock=clock, exposure="coupled"), repeats)
    ema_per_run = sorted(ema_runs)[len(ema_runs) // 2]
    fentsim_per_run = med / batch
    return {
        "experiments": experiments,
        "repeats": repeats,
        "ema_per_run_s": ema_per_run,
        "ema_per_run_all_s": ema_runs,
        "ema_overhead_per_experiment_s": noop,
        "fentsim_batch": batch,
        "fentsim_batch_median_s": med,
        "fentsim_per_run_s": fentsim_per_run,
        "ratio": ema_per_run / fentsim_per_run,
        "target_ratio": 100.0,
    }
