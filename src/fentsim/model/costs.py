"""Programme cost: what each lever of a plan costs, month by month, in USD.

Every lever's pricing rule is data in the lever catalogue (``fentsim/policy/levers.toml``,
:class:`~fentsim.policy.catalogue.LeverCost`); the prices are registry parameters
(``params/registry/levers.toml``) with priors and sources. For a lever at level ``x`` in month
``m`` (``x_prev`` in the month before; 0 before the clock starts):

* costed quantity ``q``: the ``quantity_signal`` when a component tracks it; otherwise
  ``x × per_unit × (base_signal or p[base])`` for coverage-type levers; otherwise
  ``x × per_unit``. A component that tracks a lever's signal (the epidemic engine, for the
  demand levers) accumulates ``q × DT`` month by month in the internal output
  :func:`quantity_output`, which this component reads in December;
* recurring cost this month = ``q × Σ p[recurring] × DT`` (annual prices, monthly step);
* capital cost this month = ``max(x − x_prev, 0) × per_unit × Σ p[capital]`` (building the
  barrier, buying scanners: paid as the level rises).

State-dependent signals (optional; without a component that tracks them the fallback is the
registry base):

==========================  ================================================  ===============
signal                      used for                                          fallback
==========================  ================================================  ===============
``moud_patients_added``     patients treated thanks to ``moud_access``        ``x × moud_reference_patients``
``people_in_moud``          patients whose retention ``moud_retention`` buys  ``moud_reference_patients``
``illicit_users``           people covered by ``drug_checking``               ``drug_checking_reference_users``
``at_risk_population``      people covered by ``prevention``                  ``prevention_reference_population``
``people_in_remission``     people covered by ``recovery_support``            ``recovery_reference_persons``
==========================  ================================================  ===============

MOUD attribution: ``moud_access`` pays treatment for patients above the capacity without the lever
(``moud_patients_added``); ``moud_retention`` pays treatment and support for ``people_in_moud × x``
patient-years, the extra census a fractional cut ``x`` in dropout holds at steady state when
capacity is slack. When capacity binds (retained patients displace entrants), or when both levers
run and retained patients fill added slots, this overstates the retention cost; a demand-side
``moud_patients_retained`` signal would remove the overlap.

Outputs: ``programme_cost_usd`` (all levers) and ``cost_<lever>_usd`` per lever (flows, USD/yr).
Monthly costs are summed and recorded once a year (in December): the annual totals are the same,
and levers priced from the plan alone need no work in the other months.
A lever at level 0 costs nothing, so a zero-intensity lever is identical to its absence.

Example:
    >>> import numpy as np
    >>> from fentsim.params import ParamSet, load_registry
    >>> from fentsim.policy import PolicyPlan
    >>> from .engine import simulate
    >>> from .clock import Clock
    >>> plan = PolicyPlan("kits", {"naloxone": np.ones(24)})  # one million extra kits a year
    >>> res = simulate(ParamSet.point(load_registry()), plan, clock=Clock(2026, 2027), components=lambda: [Costs()])
    >>> res.outcomes["cost_naloxone_usd"].round().tolist()  # at the point price of $75 a kit
    [[75000000.0, 75000000.0]]
"""

from __future__ import annotations

import numpy as np

from ..params import ParamSet
from ..policy.catalogue import Lever, levers
from ..policy.plan import PolicyPlan
from .clock import DT, Clock
from .recorder import Output, Recorder

TOTAL = "programme_cost_usd"


def quantity_output(lever: str) -> str:
    """The name of the internal output in which a component accumulates a lever's costed quantity
    (``q × DT`` summed over the year's months) when the quantity depends on the model's state.

    Example:
        >>> quantity_output("moud_retention")
        'cost_quantity_moud_retention'
    """
    return f"cost_quantity_{lever}"


def cost_output(lever: str) -> str:
    """The name of a lever's cost output.

    Example:
        >>> cost_output("naloxone")
        'cost_naloxone_usd'
    """
    return f"cost_{lever}_usd"


class Costs:
    """Model component: programme cost per lever and in total (see the module docstring).

    Place it last in the component list so state signals hold this month's values. Levers priced
    without state signals are costed once a year from the plan's levels (their cost is known in
    advance); levers with signals accumulate month by month.
    """

    name = "costs"

    def __init__(self) -> None:
        self._levers: dict[str, Lever] = levers()
        self.outputs: tuple[Output, ...] = (
            Output(TOTAL, "flow", "USD", "programme cost of the levers added to the status quo"),
            *(
                Output(cost_output(n), "flow", "USD", f"programme cost of {lv.title.lower()}")
                for n, lv in self._levers.items()
            ),
        )
        self._plan_id: int | None = None

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        self.n = p.n
        self.clock = clock
        # the cost parameters of every lever; unit costs are summed only for the levers a plan
        # uses (most simulations charge few levers, or none)
        self._p: dict[str, np.ndarray] = {}
        for lv in self._levers.values():
            c = lv.cost
            for k in (*c.recurring, *c.capital, *([c.base] if c.base else [])):
                self._p[k] = p[k]
        self._recurring: dict[str, np.ndarray] = {}
        self._capital: dict[str, np.ndarray] = {}
        self._base: dict[str, np.ndarray] = {}

    def _unit_costs(self, name: str) -> None:
        """Recurring and capital unit costs of lever ``name``, per run (summed once)."""
        if name in self._recurring:
            return
        c = self._levers[name].cost
        self._recurring[name] = sum((self._p[k] for k in c.recurring), np.zeros(self.n))
        self._capital[name] = sum((self._p[k] for k in c.capital), np.zeros(self.n))
        if c.base:
            self._base[name] = self._p[c.base]

    def _prepare(self, plan: PolicyPlan) -> None:
        """Annual weights of every active lever from the plan alone: level-years and rises."""
        months, years = self.clock.n_months, self.clock.n_years
        self._plan_id = id(plan)
        self._annual: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in (n for n in self._levers if plan.active(n)):
            self._unit_costs(name)
            c = self._levers[name].cost
            lvl = np.zeros((months, *np.shape(plan.levels[name])[1:]))
            src = np.asarray(plan.levels[name], dtype=float)[:months]
            lvl[: len(src)] = src
            rise = np.maximum(np.diff(lvl, axis=0, prepend=np.zeros_like(lvl[:1])), 0.0)
            by_year = (years, months // years, *lvl.shape[1:])
            used = (lvl * (c.per_unit * DT)).reshape(by_year).sum(axis=1)
            self._annual[name] = (used, (rise * c.per_unit).reshape(by_year).sum(axis=1))

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        if self.clock.month_of_year(m) == 11:  # December: charge the year
            y = self.clock.year_index(m)
            self.charge(slice(y, y + 1), plan, rec)

    def charge(self, years: slice, plan: PolicyPlan, rec: Recorder) -> None:
        """Charge the complete years ``years`` at once (their costed quantities are recorded).

        With no lever added to the status quo nothing is charged and the cost outputs stay zero.
        """
        if self._plan_id != id(plan):
            self._prepare(plan)
        if not self._annual or years.stop <= years.start:
            return
        total = np.zeros((years.stop - years.start, self.n))
        for name, (used, rise) in self._annual.items():
            quantity = quantity_output(name)
            if rec.has(quantity):  # a component accumulated the costed quantity month by month
                recurring = rec.years_total(quantity, years) * self._recurring[name]
            else:
                recurring = (
                    _by_year(used, years) * self._base.get(name, 1.0) * self._recurring[name]
                )
            cost = recurring + _by_year(rise, years) * self._capital[name]
            rec.add_years(cost_output(name), years, cost)
            total += cost
        rec.add_years(TOTAL, years, total)


def _by_year(a: np.ndarray, years: slice) -> np.ndarray:
    """Rows ``years`` of an annual array, ``(years, runs)`` or shared ``(years,)`` as a column."""
    rows = a[years]
    return rows[:, None] if rows.ndim == 1 else rows
