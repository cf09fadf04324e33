"""Running one chunk of an experiment: runs ``[start, stop)`` under every portfolio.

:func:`run_chunk` is the only unit of work an executor ever schedules. It draws the chunk's
parameter sets (deterministic per run index), simulates each portfolio on the same draws, and
reduces the annual outcomes to Arrow tables:

* ``summary`` — one row per run × portfolio, run-major: ``run``, ``portfolio``, the designed lever
  intensities (``lever_<name>``), then per outcome ``<outcome>_total`` (flows summed over the
  window) or ``<outcome>_mean`` (levels averaged over it), then ``<outcome>_<year>`` for the
  outcomes kept year by year;
* ``params`` — one row per run: ``run`` and every parameter that varies between runs;
* ``trajectories`` (optional) — one row per run × portfolio × year: ``run``, ``portfolio``,
  ``year`` and one column per outcome.

Every reduction is element-wise over runs in a fixed order of years, so a run's row is the same
bits whichever chunk (and chunk size) it was computed in.

Example:
    >>> from fentsim.ensemble.design import Experiment
    >>> # run_chunk(Experiment(runs=100, source="prior"), 0, 0, 50).summary.num_rows == 50
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..model.engine import simulate, simulate_portfolios
from ..params import ParamSet
from .design import Experiment
from .levers import resolve_plan
from .summary import summarise


@dataclass
class ChunkResult:
    """What one chunk produced (Arrow tables) and how long it took."""

    index: int
    start: int
    stop: int
    summary: pa.Table
    params: pa.Table
    trajectories: pa.Table | None
    seconds: float
    worker: str

    @property
    def runs(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ChunkTask:
    """One unit of work: the (draws-free) experiment, the chunk, and its rows of supplied draws."""

    experiment: Experiment
    index: int
    start: int
    stop: int
    draws: ParamSet | None = None


def run_task(task: ChunkTask) -> ChunkResult:
    """Executor entry point (a module-level function, so every executor can pickle it)."""
    return run_chunk(task.experiment, task.index, task.start, task.stop, task.draws)


def run_chunk(
    exp: Experiment, index: int, start: int, stop: int, draws: ParamSet | None = None
) -> ChunkResult:
    """Simulate runs ``[start, stop)`` of ``exp`` under every portfolio and summarise them."""
    t0 = time.perf_counter()
    params = exp.params(start, stop, draws)
    levers = exp.levers.values(exp.runs, exp.seed, start, stop) if exp.levers else {}
    factory = exp.component_factory()
    n, names = stop - start, exp.portfolio_names
    per_pf: list[dict[str, np.ndarray]] = []
    traj: list[dict[str, np.ndarray]] = []
    years = None
    plans = []
    for p in exp.portfolios:
        plan = resolve_plan(p, exp.clock).take(slice(start, stop))
        plans.append(exp.levers.apply(plan, levers, exp.clock) if exp.levers else plan)
    if factory is None:  # the model's own components: portfolios share their history
        results = simulate_portfolios(params, plans, clock=exp.clock, exposure=exp.exposure)
    else:
        results = [
            simulate(params, plan, clock=exp.clock, exposure=exp.exposure, components=factory)
            for plan in plans
        ]
    for res in results:
        per_pf.append(
            summarise(
                res.outcomes,
                res.years,
                {k: v.kind for k, v in res.meta.items()},
                exp.window,
                exp.summary.yearly,
            )
        )
        if exp.trajectories:
            traj.append(res.outcomes)
            years = res.years
    runs = np.arange(start, stop, dtype=np.int64)
    cols: dict[str, pa.Array] = {
        "run": pa.array(np.repeat(runs, len(names))),
        "portfolio": _portfolio_column(names, n, 1),
    }
    for lever, v in levers.items():
        cols[f"lever_{lever}"] = pa.array(np.repeat(v, len(names)))
    for key in per_pf[0]:
        cols[key] = pa.array(_interleave([d[key] for d in per_pf]))
    pcols = {"run": pa.array(runs)}
    for name in exp.varied():
        pcols[name] = pa.array(np.asarray(params[name], dtype=float))
    trajectories = _trajectories(traj, years, runs, names) if exp.trajectories else None
    return ChunkResult(
        index,
        start,
        stop,
        pa.table(cols),
        pa.table(pcols),
        trajectories,
        time.perf_counter() - t0,
        f"{socket.gethostname()}:{os.getpid()}",
    )


def _interleave(parts: list[np.ndarray]) -> np.ndarray:
    """Run-major order: run a under each portfolio, then run a+1 …"""
    return np.stack(parts, axis=1).reshape(-1)


def _portfolio_column(names: tuple[str, ...], n: int, repeat: int) -> pa.Array:
    idx = np.tile(np.repeat(np.arange(len(names), dtype=np.int32), repeat), n)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(list(names))).dictionary_decode()


def _trajectories(
    traj: list[dict[str, np.ndarray]], years: np.ndarray, runs: np.ndarray, names: tuple[str, ...]
) -> pa.Table:
    ny, npf = len(years), len(names)
    cols: dict[str, pa.Array] = {
        "run": pa.array(np.repeat(runs, npf * ny)),
        "portfolio": _portfolio_column(names, len(runs), ny),
        "year": pa.array(np.tile(years.astype(np.int32), len(runs) * npf)),
    }
    for key in traj[0]:
        # (n_runs, n_portfolios, n_years) → rows ordered run, portfolio, year
        cols[key] = pa.array(np.stack([t[key] for t in traj], axis=1).reshape(-1))
    return pa.table(cols)
