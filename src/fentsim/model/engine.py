"""The monthly time loop that couples the model components and records outputs.

Components follow one lifecycle (after Starsim): ``init`` → ``step`` each month → outputs via
the :class:`~fentsim.model.recorder.Recorder`. A component holds the state arrays of one block
of runs and calls the pure array functions of its module; it is created afresh for every block,
so nothing survives between runs.

Components exchange signals through ``ctx``, a dict of arrays over runs. The contract:

================================  ======================================  ==========================
signal                            meaning                                 written by
================================  ======================================  ==========================
``fentanyl_share``                fentanyl share of the illicit opioid    market / observed exposure
                                  supply, in [0, 1]
``potency``                       potency of street fentanyl relative to  market / observed exposure
                                  what users are used to (1.0 = 2022-23)
``od_risk_supply``                multiplier on overdose incidence from   market (1.0 otherwise)
                                  supply volatility
``illicit_users``                 people using illicit opioids (persons)  demand
``illicit_oud``                   people with illicit OUD, not in MOUD    demand
``mexico_cooperation``            cooperation index in [0, 1]             violence
``street_potency``                raw street potency index                market
``fentanyl_delivered_kg``         fentanyl reaching US streets this month supply
``leadership_removals``           leadership removals this month          supply
``cartel_war``                    intensity of inter-cartel conflict      supply (history)
``fentanyl_production_kg``        fentanyl produced in Mexico this month  supply
``people_in_remission``           people in remission (persons)           demand
``moud_patients_added``           MOUD patients above baseline capacity   demand
================================  ======================================  ==========================

Components run in list order each month; a signal read before its writer has run in that month
holds last month's value (the writer's ``init`` sets the first value).

Example:
    >>> from fentsim.params import ParamSet, load_registry
    >>> res = simulate(ParamSet.point(load_registry()), clock=Clock(1999, 2001), exposure="observed")
    >>> res.outcomes["opioid_deaths"].shape
    (1, 3)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..params import ParamSet
from ..policy.plan import STATUS_QUO, PolicyPlan
from .clock import Clock
from .recorder import Output, Recorder
from .result import SimResult
from .table_pool import output_table

EXPOSURE_MODES: tuple[str, ...] = ("coupled", "observed")
DEFAULT_BLOCK = 8192


class Component(Protocol):
    """What the engine needs from a model component."""

    name: str
    outputs: tuple[Output, ...]

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None: ...

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None: ...


def default_components(exposure: str) -> list[Component]:
    """The component list for an exposure mode (``coupled`` or ``observed``)."""
    from .demand import Demand
    from .exposure import ObservedExposure

    if exposure == "observed":
        from .costs import Costs

        return [ObservedExposure(), Demand(), Costs()]
    if exposure == "coupled":
        from .coupling import coupled_components

        return coupled_components()
    raise ValueError(f"exposure mode {exposure!r} is not one of {', '.join(EXPOSURE_MODES)}")


def _observed_run(
    params: ParamSet,
    plan: PolicyPlan,
    clock: Clock,
    block: int,
    progress: Callable[[int, int], None] | None,
) -> Recorder:
    """The observed mode's default components, every month of a block in one compiled call.

    The epidemic needs no signal from another component in this mode, so its kernel runs the
    whole horizon (:meth:`~fentsim.model.demand.Demand.run_observed`, which also computes the
    observed exposure) and writes the annual outputs of all blocks into one array; the cost
    component then charges each year from the recorded quantities, for all runs at once.
    """
    from .costs import Costs
    from .demand import Demand

    comps = default_components("observed")
    n = params.n
    rec = Recorder(clock, n, [o for c in comps for o in c.outputs])
    recorded = Demand().recorded(observed=True)
    Y, _ = output_table((len(recorded), clock.n_years, n))  # the kernel stores every value
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        demand = Demand()
        demand.init(params.take(sl), clock, {})
        demand.run_observed(plan.take(sl), Y[:, :, sl])
        if progress is not None:
            progress(sl.stop * clock.n_months, n * clock.n_months)
    for i, (name, _) in enumerate(recorded):
        rec.attach(name, Y[i].T)  # (n_runs, n_years), a view
    ctx: dict[str, np.ndarray] = {}
    for c in comps:
        if isinstance(c, Costs):
            c.init(params, clock, ctx)
            c.charge(slice(0, clock.n_years), plan, rec)
    return rec


def _fusable(*plans: PolicyPlan) -> bool:
    from .coupled_run import fusable

    return all(fusable(p) for p in plans)


def _coupled_run(
    params: ParamSet,
    plan: PolicyPlan,
    clock: Clock,
    block: int,
    progress: Callable[[int, int], None] | None,
) -> Recorder:
    """The coupled mode's default components, every month of a block in one compiled call
    (:class:`~fentsim.model.coupled_run.CoupledRun`)."""
    from .coupled_run import CoupledRun

    n = params.n
    rec: Recorder | None = None
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        run = CoupledRun(params.take(sl), clock)
        rec = rec or Recorder(clock, n, run.outputs)
        run.advance(plan, 0, clock.n_months, rec.block(sl))
        if progress is not None:
            progress(sl.stop * clock.n_months, n * clock.n_months)
    assert rec is not None
    return rec


def simulate(
    params: ParamSet,
    plan: PolicyPlan = STATUS_QUO,
    *,
    clock: Clock | None = None,
    exposure: str = "coupled",
    block: int = DEFAULT_BLOCK,
    components: Callable[[], Sequence[Component]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimResult:
    """Run every parameter set in ``params`` under ``plan`` and return annual outputs.

    Runs are processed in blocks of ``block`` (for cache efficiency); results do not depend on
    the block size because runs never interact.

    Args:
        params: one array per parameter over runs.
        plan: the compiled portfolio (default: the status quo).
        clock: the calendar (default 1999–2035).
        exposure: ``coupled`` (supply and market drive fentanyl exposure) or ``observed``
            (exposure from the NFLIS and DEA series, the epidemic engine on its own).
        block: runs per block.
            In ``observed`` mode with the default components the epidemic runs every month of a
            block in one compiled call (identical results, no Python between months).
        components: a factory for the component list (default: :func:`default_components`).
        progress: called with ``(run_months_done, run_months_total)`` once a simulated year.
    """
    clock = clock or Clock()
    n = params.n
    if n < 1:
        raise ValueError("simulate needs at least one run")
    if components is None and exposure not in EXPOSURE_MODES:
        raise ValueError(f"exposure mode {exposure!r} is not one of {', '.join(EXPOSURE_MODES)}")
    if components is None and exposure == "observed":
        rec = _observed_run(params, plan, clock, block, progress)
        return SimResult(clock.years, rec.result(), rec.meta, plan.name)
    if components is None and exposure == "coupled" and _fusable(plan):
        rec = _coupled_run(params, plan, clock, block, progress)
        return SimResult(clock.years, rec.result(), rec.meta, plan.name)
    factory = components or (lambda: default_components(exposure))
    rec: Recorder | None = None
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        p = params.take(sl)
        pl = plan.take(sl)
        comps = list(factory())
        if rec is None:
            rec = Recorder(clock, n, [o for c in comps for o in c.outputs])
        brec = rec.block(sl)
        ctx: dict[str, np.ndarray] = {}
        for c in comps:
            c.init(p, clock, ctx)
        for m in range(clock.n_months):
            for c in comps:
                c.step(m, pl, ctx, brec)
            if progress is not None and m % 12 == 11:
                progress(a * clock.n_months + (m + 1) * p.n, n * clock.n_months)
    assert rec is not None
    outcomes, meta = rec.result(), rec.meta
    return SimResult(clock.years, outcomes, meta, plan.name)


def first_active_month(plan: PolicyPlan) -> int | None:
    """The first month in which any lever of ``plan`` is above zero (None: never).

    Example:
        >>> first_active_month(PolicyPlan("x", {"naloxone": np.array([0.0, 0.0, 1.0])}))
        2
    """
    first: int | None = None
    for arr in plan.levels.values():
        a = np.asarray(arr)
        on = a != 0 if a.ndim == 1 else np.any(a != 0, axis=tuple(range(1, a.ndim)))
        hits = np.flatnonzero(on)
        if hits.size and (first is None or hits[0] < first):
            first = int(hits[0])
    return first


def simulate_portfolios(
    params: ParamSet,
    plans: Sequence[PolicyPlan],
    *,
    clock: Clock | None = None,
    exposure: str = "coupled",
    block: int = DEFAULT_BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> list[SimResult]:
    """Run several plans on the same parameter draws; identical to one :func:`simulate` each.

    Plans are additions to the status quo, so until the first month in which any of them pulls a
    lever they all run the same history. That shared history is simulated once; the model is then
    forked (a deep copy of the components' state) and each plan runs on from the fork. With
    levers that start in 2026, a 1999-2035 comparison of four portfolios simulates 1,392 months of
    each run instead of 1,776. In ``observed`` mode each plan runs the whole-horizon kernel.

    Args:
        params: the draws shared by every plan.
        plans: compiled portfolios (the same clock).
        clock, exposure, block: as in :func:`simulate`.
        progress: called with ``(run_months_done, run_months_total)`` over all plans.

    Example:
        >>> from fentsim.params import ParamSet, load_registry
        >>> ps = ParamSet.point(load_registry())
        >>> clock = Clock(2018, 2021)
        >>> kits = PolicyPlan("kits", {"naloxone": np.r_[np.zeros(24), np.ones(24)]})
        >>> sq, nal = simulate_portfolios(ps, [STATUS_QUO, kits], clock=clock)
        >>> bool((nal.outcomes["opioid_deaths"][:, 2:] < sq.outcomes["opioid_deaths"][:, 2:]).all())
        True
    """
    clock = clock or Clock()
    n = params.n
    starts = [first_active_month(pl) for pl in plans]
    fork = min((m for m in starts if m is not None), default=clock.n_months)
    if exposure == "observed" or fork == 0 or len(plans) < 2:
        results = []
        for j, plan in enumerate(plans):
            tick = _offset_progress(
                progress, j * n * clock.n_months, len(plans) * n * clock.n_months
            )
            results.append(
                simulate(params, plan, clock=clock, exposure=exposure, block=block, progress=tick)
            )
        return results
    total = n * (fork + len(plans) * (clock.n_months - fork))
    if exposure == "coupled" and _fusable(*plans):
        return _coupled_portfolios(params, plans, clock, block, fork, progress, total)
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in plans]
    meta: dict[str, Output] = {}
    done = 0
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        p, nb = params.take(sl), sl.stop - sl.start
        pls = [pl.take(sl) for pl in plans]
        comps = default_components(exposure)
        rec = Recorder(clock, nb, [o for c in comps for o in c.outputs])
        ctx: dict[str, np.ndarray] = {}
        for c in comps:
            c.init(p, clock, ctx)
        for m in range(fork):  # the shared history: every plan is still at zero
            for c in comps:
                c.step(m, pls[0], ctx, rec)
        done += nb * fork
        for j, pl in enumerate(pls):
            last = j == len(pls) - 1
            fcomps, fctx = (comps, ctx) if last else copy.deepcopy((comps, ctx))
            frec = rec if last else rec.fork(clock.year_index(fork))
            for m in range(fork, clock.n_months):
                for c in fcomps:
                    c.step(m, pl, fctx, frec)
                if progress is not None and m % 12 == 11:
                    progress(done + nb * (m + 1 - fork), total)
            done += nb * (clock.n_months - fork)
            parts[j].append(frec.result())
            meta = frec.meta
    results = []
    for plan, ps in zip(plans, parts, strict=True):
        outcomes = ps[0] if len(ps) == 1 else {k: np.concatenate([q[k] for q in ps]) for k in ps[0]}
        results.append(SimResult(clock.years, outcomes, meta, plan.name))
    return results


def _offset_progress(
    progress: Callable[[int, int], None] | None, offset: int, total: int
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, _total: progress(offset + done, total)


def _coupled_portfolios(
    params: ParamSet,
    plans: Sequence[PolicyPlan],
    clock: Clock,
    block: int,
    fork: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> list[SimResult]:
    """:func:`simulate_portfolios` on :class:`~fentsim.model.coupled_run.CoupledRun`."""
    from .coupled_run import CoupledRun

    n, n_months = params.n, clock.n_months
    recs: list[Recorder] = []
    done = 0
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        nb = sl.stop - sl.start
        run = CoupledRun(params.take(sl), clock)
        if not recs:
            recs = [Recorder(clock, n, run.outputs) for _ in plans]
        shared = Recorder(clock, nb, run.outputs)
        run.advance(plans[0], 0, fork, shared)
        done += nb * fork
        for j, plan in enumerate(plans):
            last = j == len(plans) - 1
            branch = run if last else copy.deepcopy(run)
            brec = shared if last else shared.fork(clock.year_index(fork))
            branch.advance(plan, fork, n_months, brec)
            recs[j].block(sl).take(brec)
            done += nb * (n_months - fork)
            if progress is not None:
                progress(done, total)
    return [
        SimResult(clock.years, r.result(), r.meta, plan.name)
        for r, plan in zip(recs, plans, strict=True)
    ]
