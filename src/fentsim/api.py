"""The one-line Python API.

Example:
    >>> import fentsim
    >>> res = fentsim.run("status-quo", runs=4, seed=1, end=2026, exposure="observed")
    >>> res.outcomes["opioid_deaths"].shape
    (4, 28)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import UserError
from .model.clock import Clock
from .model.engine import EXPOSURE_MODES, simulate
from .model.result import SimResult

#: bounds on user-chosen sizes (memory: outcomes are runs × years × ~40 series of float64)
MAX_RUNS = 1_000_000
FIRST_END_YEAR, LAST_END_YEAR = 2024, 2100


def check_run_args(runs: int, seed: int, end: int, exposure: str) -> None:
    """Validate the common run arguments, raising :class:`UserError` with the allowed values."""
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise UserError(f"runs must be an integer in [1, {MAX_RUNS:,}], got {runs!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed!r}")
    if (
        isinstance(end, bool)
        or not isinstance(end, int)
        or not FIRST_END_YEAR <= end <= LAST_END_YEAR
    ):
        raise UserError(f"end must be a year in [{FIRST_END_YEAR}, {LAST_END_YEAR}], got {end!r}")
    if exposure not in EXPOSURE_MODES:
        raise UserError(f"exposure must be one of {', '.join(EXPOSURE_MODES)}, got {exposure!r}")


def run(
    portfolio: Any = "status-quo",
    *,
    runs: int = 200,
    seed: int = 0,
    end: int = 2035,
    exposure: str = "coupled",
    overrides: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimResult:
    """Simulate one portfolio over calibrated parameter draws.

    Args:
        portfolio: a preset name (``"status-quo"``, ``"essay"``, ``"public-health"`` …), a
            ``"a+b"`` combination, a scenario file path, or a :class:`~fentsim.policy.Portfolio`.
        runs: number of parameter draws.
        seed: the design's seed (run ``i`` depends only on ``(seed, runs, i)``).
        end: last simulated year (the simulation starts in 1999).
        exposure: ``"coupled"`` (supply side drives fentanyl exposure) or ``"observed"``.
        overrides: parameter values fixed for every run (checked against the registry).
        progress: callback ``(done, total)`` in run-months.

    Returns:
        A :class:`~fentsim.model.result.SimResult` with ``(runs, years)`` arrays per outcome.
    """
    from .params.projection import projection_params
    from .policy import compile_plan, resolve

    check_run_args(runs, seed, end, exposure)
    pf = resolve(Path(portfolio) if isinstance(portfolio, Path) else portfolio)
    clock = Clock(Clock().start_year, end)
    merged = {**dict(pf.overrides), **dict(overrides or {})}
    params = projection_params(runs, seed, overrides=merged or None)
    plan = compile_plan(pf, clock)
    return simulate(params, plan, clock=clock, exposure=exposure, progress=progress)


def compare(portfolios, **kwargs):
    """Run portfolios on common parameter draws and compare them (see :mod:`fentsim.analysis.compare`)."""
    from .analysis.compare import compare as _compare

    return _compare(portfolios, **kwargs)
