"""Scalar outcomes of runs, and paired model runs that produce them.

The analyses (sensitivity, scenario discovery, robustness) all ask for one number per run: the
cumulative opioid deaths over a window under a portfolio, the deaths a portfolio averts against a
reference run on the *same* parameter draws, the change in Mexican homicides, and so on. This module
computes those numbers from :class:`~fentsim.model.result.SimResult` objects, and runs every
portfolio once, vectorised over all draws (one ``simulate`` call per portfolio — never one per run).

Outcome kinds (:data:`OUTCOMES`), each over the years ``window`` (both inclusive):

==================  ===================================================================
kind                value per run
==================  ===================================================================
``deaths``          cumulative opioid deaths under the portfolio
``averted``         reference deaths − portfolio deaths (positive = lives saved)
``averted-share``   averted / reference deaths (0.10 = 10% of the reference's deaths)
``homicides``       cumulative Mexican homicides under the portfolio
``extra-homicides`` portfolio homicides − reference homicides
``homicides-change`` extra homicides / reference homicides (0.05 = +5%)
``cost``            cumulative programme cost of the portfolio (USD)
==================  ===================================================================

Example:
    >>> import numpy as np
    >>> from fentsim.model.result import SimResult
    >>> ref = SimResult(np.array([2026, 2027]), {"opioid_deaths": np.array([[10.0, 10.0]])})
    >>> pol = SimResult(np.array([2026, 2027]), {"opioid_deaths": np.array([[9.0, 8.0]])})
    >>> averted(pol, ref, window=(2026, 2027)).tolist(), averted_share(pol, ref, window=(2026, 2027)).tolist()
    ([3.0], [0.15])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UserError
from ..model.result import SimResult

if TYPE_CHECKING:
    from ..model.clock import Clock
    from ..params import ParamSet
    from ..policy.plan import PolicyPlan
DEATHS = "opioid_deaths"  #: the model output counted as deaths
HOMICIDES = "mexico_homicides"  #: the model output counted as homicides in Mexico
COST = "programme_cost_usd"  #: the model output holding total programme cost (USD per year)
REFERENCE = "status-quo"  #: the default reference portfolio
DEFAULT_WINDOW: tuple[int, int] = (2026, 2035)

#: outcome kind → (model output, needs a reference run)
OUTCOMES: dict[str, tuple[str, bool]] = {
    "deaths": (DEATHS, False),
    "averted": (DEATHS, True),
    "averted-share": (DEATHS, True),
    "homicides": (HOMICIDES, False),
    "extra-homicides": (HOMICIDES, True),
    "homicides-change": (HOMICIDES, True),
    "cost": (COST, False),
}

#: ``progress(label, done, total)``: called before and after each model call
Progress = Callable[[str, int, int], None]


def check_window(window: tuple[int, int], years: np.ndarray | None = None) -> tuple[int, int]:
    """Validate a ``(first, last)`` window of years (inside ``years`` when given)."""
    first, last = (int(window[0]), int(window[1]))
    if first > last:
        raise UserError(f"window {first}-{last} is empty; the first year must not follow the last")
    if years is not None and (first < int(years[0]) or last > int(years[-1])):
        raise UserError(
            f"window {first}-{last} is outside the simulated years {int(years[0])}-{int(years[-1])}"
        )
    return first, last


def _output(result: SimResult, name: str) -> np.ndarray:
    try:
        return result.outcomes[name]
    except KeyError:
        have = ", ".join(sorted(result.outcomes)) or "none"
        raise UserError(
            f"outcome {name!r} is not produced by the model; available: {have}"
        ) from None


def cumulative(
    result: SimResult, name: str = DEATHS, window: tuple[int, int] = DEFAULT_WINDOW
) -> np.ndarray:
    """Sum of an annual output over the years of ``window`` (both inclusive), one value per run.

    Example:
        >>> r = SimResult(np.array([2025, 2026]), {"x": np.array([[1.0, 2.0], [3.0, 5.0]])})
        >>> cumulative(r, "x", (2026, 2026)).tolist()
        [2.0, 5.0]
    """
    first, last = check_window(window, result.years)
    sel = (result.years >= first) & (result.years <= last)
    return _output(result, name)[:, sel].sum(axis=1)


def total_cost(result: SimResult, window: tuple[int, int] = DEFAULT_WINDOW) -> np.ndarray:
    """Cumulative programme cost (USD) over ``window``: the :data:`COST` output if the model
    records one, otherwise the sum of its ``cost_*`` outputs.

    Example:
        >>> r = SimResult(np.array([2026]), {"cost_naloxone": np.array([[2.0]]), "cost_moud": np.array([[3.0]])})
        >>> total_cost(r, (2026, 2026)).tolist()
        [5.0]
    """
    if COST in result.outcomes:
        return cumulative(result, COST, window)
    parts = [n for n in result.outcomes if n.startswith("cost_")]
    if not parts:
        raise UserError(
            f"the model records no programme cost (no {COST!r} or cost_* output); "
            "use the deaths-only loss"
        )
    return sum(cumulative(result, n, window) for n in parts)


def averted(
    result: SimResult,
    reference: SimResult,
    name: str = DEATHS,
    window: tuple[int, int] = DEFAULT_WINDOW,
) -> np.ndarray:
    """Reference minus portfolio, cumulated over ``window``, run by run (same draws)."""
    if result.n_runs != reference.n_runs:
        raise ValueError(
            f"paired outcomes need the same draws: {result.n_runs} vs {reference.n_runs} runs"
        )
    return cumulative(reference, name, window) - cumulative(result, name, window)


def averted_share(
    result: SimResult,
    reference: SimResult,
    name: str = DEATHS,
    window: tuple[int, int] = DEFAULT_WINDOW,
) -> np.ndarray:
    """Share of the reference's cumulative outcome that the portfolio removes (run by run)."""
    num, den = averted(result, reference, name, window), cumulative(reference, name, window)
    # a zero reference leaves nothing to avert or to change: the share is 0 there
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den != 0)


def relative_change(
    result: SimResult,
    reference: SimResult,
    name: str = HOMICIDES,
    window: tuple[int, int] = DEFAULT_WINDOW,
) -> np.ndarray:
    """``(portfolio − reference) / reference`` of the cumulative outcome (0.05 = +5%)."""
    return -averted_share(result, reference, name, window)


def outcome(
    kind: str,
    result: SimResult,
    reference: SimResult | None = None,
    window: tuple[int, int] = DEFAULT_WINDOW,
) -> np.ndarray:
    """The value per run of an outcome kind from :data:`OUTCOMES`.

    Example:
        >>> ref = SimResult(np.array([2026]), {"mexico_homicides": np.array([[100.0]])})
        >>> pol = SimResult(np.array([2026]), {"mexico_homicides": np.array([[120.0]])})
        >>> outcome("homicides-change", pol, ref, (2026, 2026)).round(6).tolist()
        [0.2]
    """
    name, paired = check_outcome(kind)
    if kind == "cost":
        return total_cost(result, window)
    if not paired:
        return cumulative(result, name, window)
    if reference is None:
        raise ValueError(f"outcome {kind!r} needs a reference run")
    if kind in ("averted", "extra-homicides"):
        sign = 1.0 if kind == "averted" else -1.0
        return sign * averted(result, reference, name, window)
    if kind == "averted-share":
        return averted_share(result, reference, name, window)
    return relative_change(result, reference, name, window)


def check_outcome(kind: str) -> tuple[str, bool]:
    """``(model output, needs a reference)`` for an outcome kind, or a :class:`UserError`."""
    if kind not in OUTCOMES:
        raise UserError(f"outcome is {kind!r}; allowed: {', '.join(OUTCOMES)}")
    return OUTCOMES[kind]


def check_pair(kind: str, portfolio: Any, against: Any) -> bool:
    """Whether outcome ``kind`` needs the reference run; refuses a portfolio paired with itself."""
    _, paired = check_outcome(kind)
    if paired and portfolio_name(portfolio) == portfolio_name(against):
        raise UserError(
            f"outcome {kind!r} compares two portfolios, but portfolio and against are both "
            f"{portfolio_name(portfolio)!r}"
        )
    return paired


# --- running portfolios on shared draws ------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """How the analyses run the model: the horizon, exposure mode and the simulate function.

    ``simulator`` defaults to :func:`fentsim.model.engine.simulate`; tests pass a stand-in with
    the same signature.
    """

    window: tuple[int, int] = DEFAULT_WINDOW
    start_year: int = 1999
    exposure: str = "coupled"
    simulator: Callable[..., SimResult] | None = None
    chunk: int = 20_000  #: runs per simulate call (bounds memory; results do not depend on it)

    def __post_init__(self) -> None:
        if self.exposure not in ("coupled", "observed"):
            raise UserError(f"exposure is {self.exposure!r}; allowed: coupled, observed")
        if self.chunk < 1:
            raise UserError(f"chunk is {self.chunk}; allowed: at least 1 run")

    def clock(self) -> Clock:
        """The model calendar: from ``start_year`` to the end of the window."""
        from ..model.clock import Clock

        first, last = check_window(self.window)
        if first < self.start_year:
            raise UserError(
                f"window starts in {first}, before the simulation starts ({self.start_year})"
            )
        return Clock(self.start_year, last)


def prepare_portfolio(portfolio: Any, clock: Clock) -> tuple[PolicyPlan, dict[str, float]]:
    """``(PolicyPlan, parameter overrides)`` for a plan, a preset name, a combination or a file.

    ``"status-quo"`` is always available (the empty plan); anything else goes through
    :mod:`fentsim.policy`. A scenario's parameter overrides apply to its own runs only.
    """
    from ..policy.plan import STATUS_QUO, PolicyPlan

    if isinstance(portfolio, PolicyPlan):
        return portfolio, {}
    if portfolio in (None, REFERENCE):
        return STATUS_QUO, {}
    try:
        from ..policy.portfolio import compile_plan, resolve
    except ImportError:  # the policy catalogue is not installed
        raise UserError(f"portfolio {portfolio!r} is unknown; allowed: {REFERENCE}") from None
    pf = resolve(portfolio)
    return compile_plan(pf, clock), dict(getattr(pf, "overrides", {}) or {})


def portfolio_name(portfolio: Any) -> str:
    """A label for a portfolio given as a name, a plan or a portfolio object."""
    if portfolio is None:
        return REFERENCE
    if isinstance(portfolio, str):
        return portfolio
    return str(getattr(portfolio, "name", portfolio))


def run_portfolios(
    params: ParamSet,
    portfolios: Sequence[Any],
    spec: RunSpec | None = None,
    progress: Progress | None = None,
    keep: Collection[str] | None = None,
) -> dict[str, SimResult]:
    """Run each portfolio over every draw in ``params`` (common random numbers).

    Returns ``{portfolio name: SimResult}``; every result has ``params.n`` runs, row ``i`` of
    each using the same parameter draw (except parameters that a scenario file overrides). Each
    portfolio is one vectorised ``simulate`` call per ``spec.chunk`` runs (runs never interact,
    so chunking changes nothing but memory and progress); ``keep`` limits the outputs held
    (``COST`` keeps every ``cost_*`` output too).
    """
    spec = spec or RunSpec()
    clock, simulator = spec.clock(), spec.simulator
    if simulator is None:
        from ..model.engine import simulate as simulator
    plans = {portfolio_name(p): prepare_portfolio(p, clock) for p in portfolios}
    cuts = [*range(0, params.n, spec.chunk), params.n]
    total, done, out = len(plans) * (len(cuts) - 1), 0, {}
    for name, (plan, overrides) in plans.items():
        ps, parts = (params.with_overrides(overrides) if overrides else params), []
        label = f"simulating {name} ({params.n:,} runs)"
        for a, b in itertools.pairwise(cuts):
            if progress:
                progress(label, done, total)
            rows = slice(a, b)
            res = simulator(ps.take(rows), plan.take(rows), clock=clock, exposure=spec.exposure)
            parts.append({k: v for k, v in res.outcomes.items() if _kept(k, keep)})
            done += 1
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        out[name] = SimResult(res.years, merged, res.meta, name)
        if progress:
            progress(label, done, total)
    return out


def _kept(name: str, keep: Collection[str] | None) -> bool:
    return keep is None or name in keep or (COST in keep and name.startswith("cost_"))


def evaluate(
    kind: str,
    params: ParamSet,
    portfolio: Any,
    against: Any = REFERENCE,
    spec: RunSpec | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """One value of outcome ``kind`` per draw in ``params`` (``against`` is run if paired).

    Example:
        >>> from fentsim.params import ParamSet, load_registry
        >>> ps = ParamSet.point(load_registry(), n=2)
        >>> evaluate("averted", ps, "essay", spec=RunSpec(window=(2026, 2030)))  # doctest: +SKIP
    """
    spec = spec or RunSpec()
    paired = check_pair(kind, portfolio, against)
    pf = [portfolio, against] if paired else [portfolio]
    res = run_portfolios(params, pf, spec, progress, keep={check_outcome(kind)[0]})
    ref = res[portfolio_name(against)] if paired else None
    return outcome(kind, res[portfolio_name(portfolio)], ref, spec.window)


def draws(
    n: int, seed: int, names: Sequence[str] | None = None, source: str | None = None
) -> tuple[ParamSet, str]:
    """``n`` Latin-hypercube parameter draws, and the source they came from.

    ``source`` is ``prior`` (every uncertain parameter, or ``names``, over its prior) or
    ``projection`` (calibrated posterior + priors, via :mod:`fentsim.ensemble.sources`). The
    default is the ensemble layer's default (``projection`` once a posterior is available),
    ``prior`` with ``names`` or without the ensemble layer.
    """
    from ..params import load_registry, sample

    if n < 2:
        raise UserError(f"runs is {n}; allowed: at least 2")
    try:
        from ..ensemble.sources import default_source, draw_params
    except ImportError:  # the ensemble layer is not installed
        default_source = draw_params = None
    if source is None:
        source = default_source() if (default_source and names is None) else "prior"
    if source == "prior" or draw_params is None:
        reg = load_registry()
        return sample(reg, n, seed, method="lhs", names=names, base=base_values(reg)), "prior"
    return draw_params(source, n, seed, 0, n), source


def base_values(registry) -> dict[str, float]:
    """Values of the parameters an analysis does not vary: the fitted point where one is shipped
    (:func:`fentsim.params.projection.base_values`), else the registry point value."""
    try:
        from ..params.projection import base_values as fitted
    except ImportError:  # no calibration shipped yet
        return {name: p.value for name, p in registry.items()}
    return fitted(registry)


def uncertain_params(names: Sequence[str] | None = None) -> list[str]:
    """The registry parameters an analysis varies: ``names`` (checked), or every uncertain one."""
    import difflib

    from ..params import load_registry

    reg = load_registry()
    if names is None:
        if not reg.uncertain:
            raise UserError("the registry has no uncertain parameters to vary")
        return list(reg.uncertain)
    names, known = list(names), set(reg)  # (``in`` on a Registry raises for unknown names)
    if not names or len(set(names)) != len(names):
        raise UserError(f"params is {','.join(names)!r}; give distinct parameter names")
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; see the parameter registry"
            raise UserError(f"params: unknown parameter {name!r}{hint}")
        if not reg[name].uncertain:
            raise UserError(f"params: {name!r} has a fixed prior; only uncertain parameters vary")
    return names
