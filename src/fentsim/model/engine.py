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

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..params import ParamSet
from ..policy.plan import STATUS_QUO, PolicyPlan
from .clock import Clock
from .recorder import Output, Recorder
from .result import SimResult

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
        components: a factory for the component list (default: :func:`default_components`).
        progress: called with ``(run_months_done, run_months_total)`` once a simulated year.
    """
    clock = clock or Clock()
    n = params.n
    if n < 1:
        raise ValueError("simulate needs at least one run")
    factory = components or (lambda: default_components(exposure))
    parts: list[dict[str, np.ndarray]] = []
    meta: dict[str, Output] = {}
    for a in range(0, n, block):
        sl = slice(a, min(a + block, n))
        p = params.take(sl)
        pl = plan.take(sl)
        comps = list(factory())
        rec = Recorder(clock, p.n, [o for c in comps for o in c.outputs])
        ctx: dict[str, np.ndarray] = {}
        for c in comps:
            c.init(p, clock, ctx)
        for m in range(clock.n_months):
            for c in comps:
                c.step(m, pl, ctx, rec)
            if progress is not None and m % 12 == 11:
                progress(a * clock.n_months + (m + 1) * p.n, n * clock.n_months)
        parts.append(rec.result())
        meta = rec.meta
    if len(parts) == 1:
        outcomes = parts[0]
    else:
        outcomes = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    return SimResult(clock.years, outcomes, meta, plan.name)
