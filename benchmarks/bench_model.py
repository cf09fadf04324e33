"""Model benchmarks: ``simulate`` throughput and the four-portfolio comparison.

Each function returns plain JSON-ready dicts; :mod:`run` prints and stores them. Timings are
medians over ``repeats`` calls after one warm-up (data loading and kernel set-up are not timed).
"""

from __future__ import annotations

import functools
import importlib.util
import statistics
import time
from collections.abc import Callable
from typing import Any

#: The four portfolios of the comparison benchmark (presets of ``fentsim.policy``).
COMPARE_PORTFOLIOS: tuple[str, ...] = (
    "status-quo",
    "essay",
    "public-health",
    "essay+public-health",
)


class NotBuiltError(Exception):
    """A piece the benchmark needs is not built yet (the section is skipped with a note)."""


def need(module: str) -> None:
    """Raise :class:`NotBuiltError` unless ``module`` can be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:
        found = False
    if not found:
        raise NotBuiltError(f"{module} is not there yet")


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` over ``repeats`` calls, and every time."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def draws(n: int, seed: int = 1):
    """``n`` projection parameter sets (posterior + prior draws; Monte Carlo design)."""
    from fentsim.ensemble.sources import default_source, draw_params

    return draw_params(default_source(), n, seed, 0, n, method="mc")


def throughput(sizes: tuple[int, ...], repeats: int) -> list[dict[str, Any]]:
    """Run-months per second of ``simulate`` over 1999-2035 for each exposure mode and size.

    The first call at each size is timed on its own (``first_s``): it maps and faults in the
    output table (2.9 GiB at 100,000 coupled runs), which later calls of that size reuse from
    the table pool, as a session that simulates repeatedly does. The throughput is the median of
    the ``repeats`` calls after it.
    """
    need("fentsim.model.demand")
    from fentsim.model.clock import Clock
    from fentsim.model.engine import simulate

    clock = Clock(1999, 2035)
    rows: list[dict[str, Any]] = []
    for mode in ("observed", "coupled"):
        try:
            if mode == "coupled":
                need("fentsim.model.coupling")
            simulate(draws(64), clock=clock, exposure=mode)  # warm-up: data, kernels
        except Exception as exc:  # one broken mode must not hide the other's numbers
            rows.append({"exposure": mode, "error": f"{type(exc).__name__}: {exc}"})
            continue
        for n in sizes:
            ps = draws(n)
            run = functools.partial(simulate, ps, clock=clock, exposure=mode)
            _, (first,) = timed(run, 1)  # maps and faults in this size's output table
            med, times = timed(run, repeats)
            rows.append(
                {
                    "exposure": mode,
                    "runs": n,
                    "months": clock.n_months,
                    "first_s": first,
                    "median_s": med,
                    "times_s": times,
                    "run_months_per_s": n * clock.n_months / med,
                    "per_run_ms": 1e3 * med / n,
                }
            )
            del ps
    return rows


def comparison(runs: int, repeats: int, workers: int) -> dict[str, Any]:
    """Time a ``runs``-run comparison of four portfolios over 1999-2035 (coupled model).

    Through :func:`fentsim.analysis.compare.compare` (one process) when it exists, and through the
    ensemble layer on ``workers`` local processes (pool started before timing, as a dashboard
    would keep it).
    """
    need("fentsim.model.coupling")
    from fentsim.ensemble import Experiment, ProcessExecutor, SummarySpec, evaluate
    from fentsim.model.clock import Clock

    out: dict[str, Any] = {
        "runs": runs,
        "portfolios": list(COMPARE_PORTFOLIOS),
        "years": "1999-2035",
    }
    try:
        need("fentsim.analysis.compare")
        from fentsim.analysis.compare import compare

        kw = {"runs": runs, "seed": 1, "window": (2026, 2035), "end": 2035}
        compare(list(COMPARE_PORTFOLIOS), **{**kw, "runs": 8})  # warm-up
        med, times = timed(lambda: compare(list(COMPARE_PORTFOLIOS), **kw), repeats)
        out["compare_median_s"], out["compare_times_s"] = med, times
    except NotBuiltError as exc:
        out["compare_note"] = f"skipped analysis.compare: {exc}"
    exp = Experiment(
        runs=runs,
        seed=1,
        portfolios=COMPARE_PORTFOLIOS,
        clock=Clock(1999, 2035),
        summary=SummarySpec((2026, 2035)),
        method="mc",
    )
    chunk = -(-runs // (2 * workers))
    with ProcessExecutor(workers=workers) as ex:
        evaluate(Experiment(runs=2 * workers, portfolios=COMPARE_PORTFOLIOS), executor=ex, chunk=1)
        med, times = timed(lambda: evaluate(exp, executor=ex, chunk=chunk), repeats)
    out["ensemble_workers"] = workers
    out["ensemble_median_s"], out["ensemble_times_s"] = med, times
    run_months = runs * len(COMPARE_PORTFOLIOS) * 444
    out["ensemble_run_months_per_s"] = run_months / med
    return out
