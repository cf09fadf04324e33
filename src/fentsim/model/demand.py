"""The US opioid epidemic (people aged 12+): stocks, flows, treatment, overdose and death.

Structure after SOURCE (Lim et al. 2022) and Chen et al. 2019. Stocks (persons, per run):

========  =====================================================
``M``     prescription-opioid misuse without OUD
``R``     prescription OUD, not in treatment
``U``     non-disordered illicit opioid use (heroin and/or fentanyl)
``H``     illicit OUD, not in treatment
``TR``    in MOUD, from prescription OUD
``TH``    in MOUD, from illicit OUD
``QR``    remission after prescription OUD
``QH``    remission after illicit OUD
``S``     stable remission (> ~10 years to reach)
========  =====================================================

Each month every stock loses people through competing hazards (:func:`~fentsim.model.flows.leave_scale`), so stocks
stay non-negative and people are conserved: ``Σ stocks + cumulative exits = initial + cumulative
initiation``. Overdose incidence rises with the fentanyl share of the supply (SOURCE: ×2 at full
penetration), case fatality rises from heroin's ~4.5% to fentanyl's ~30% and scales with potency,
lay naloxone rescues part of the fatal overdoses (:mod:`fentsim.model.naloxone`), MOUD multiplies
the overdose death hazard (~0.3). Deaths are split into the exclusive CDC categories: prescription
only, heroin without synthetic, synthetic with or without heroin.

Demand-side levers (levels in the plan, see docs/architecture.md): ``naloxone`` (million extra
kits/yr), ``moud_access`` (extra capacity, fraction of baseline), ``moud_retention`` (cut in
dropout), ``drug_checking`` (coverage), ``prescribing_limits`` (cut in Rx-misuse initiation),
``prevention`` (coverage), ``recovery_support`` (coverage).
"""

from __future__ import annotations

import numpy as np

from ..params import ParamSet
from ..policy.catalogue import levers as lever_catalogue
from ..policy.plan import PolicyPlan
from .blocks import run_blocks
from .clock import Clock
from .costs import quantity_output
from .demand_drivers import LANES, demand_run, demand_step
from .demand_kernel import (
    ACC,
    COST_SIGNALS,
    INPUTS,
    LEVERS,
    N_ACC,
    PARAMS,
    SIGNALS,
    STATE,
    STOCKS,
)
from .demand_ledger import charged_levers, close_years
from .demand_setup import TRENDS, cost_weights, derived, input_matrix, month_rows, trend_seeds
from .inputs import observed_inputs
from .naloxone import steady_state_kits
from .recorder import Output, Recorder

OUTPUTS: tuple[Output, ...] = (
    Output("opioid_deaths", "flow", "deaths/yr", "opioid overdose deaths, all categories"),
    Output("opioid_deaths_rx", "flow", "deaths/yr", "prescription-opioid-only overdose deaths"),
    Output(
        "opioid_deaths_heroin",
        "flow",
        "deaths/yr",
        "heroin overdose deaths without synthetic opioids",
    ),
    Output(
        "opioid_deaths_synthetic",
        "flow",
        "deaths/yr",
        "synthetic-opioid deaths, with or without heroin",
    ),
    Output("overdoses_nonfatal", "flow", "overdoses/yr", "non-fatal opioid overdoses"),
    Output(
        "overdoses_reversed",
        "flow",
        "overdoses/yr",
        "otherwise fatal overdoses reversed by lay naloxone",
    ),
    Output("other_deaths", "flow", "deaths/yr", "non-overdose deaths of people with OUD"),
    Output(
        "initiations", "flow", "persons/yr", "new Rx misuse plus new illicit use without Rx history"
    ),
    Output("moud_entries", "flow", "persons/yr", "entries into medication for OUD"),
    Output("moud_capacity", "level", "persons", "MOUD treatment slots"),
    Output("naloxone_kits_distributed", "flow", "kits/yr", "naloxone kits distributed"),
    Output(
        "naloxone_p_on_hand", "level", "fraction", "probability a kit is at hand at an overdose"
    ),
    Output(
        "people_with_oud", "level", "persons", "people with OUD (Rx or illicit), in MOUD or not"
    ),
    Output("people_in_moud", "level", "persons", "people in medication for OUD"),
    Output("rx_misuse", "level", "persons", "Rx misuse without OUD"),
    Output("rx_oud", "level", "persons", "Rx OUD (not in MOUD)"),
    Output("illicit_use", "level", "persons", "non-disordered illicit opioid use"),
    Output("illicit_oud", "level", "persons", "illicit OUD (not in MOUD)"),
    Output("remission", "level", "persons", "in remission (early and stable)"),
    Output("people_total", "level", "persons", "everyone in the model's states"),
)
#: the kernel accumulator behind each output (the same name where not listed)
_ACC_OF = {
    "opioid_deaths": "deaths", "opioid_deaths_rx": "deaths_rx",
    "opioid_deaths_heroin": "deaths_heroin", "opioid_deaths_synthetic": "deaths_synth",
    "overdoses_nonfatal": "overdoses", "overdoses_reversed": "reversed",
    "naloxone_kits_distributed": "kits_distributed", "moud_capacity": "capacity",
    "naloxone_p_on_hand": "p_on_hand", "potency_index": "potency",
}  # fmt: skip
_A = {name: i for i, name in enumerate(ACC)}
_X = {name: i for i, name in enumerate(STATE)}


def cost_signal_codes() -> tuple[np.ndarray, np.ndarray]:
    """Each demand lever's cost signal (an index into ``COST_SIGNALS``, 0: none) and units per level.

    The costed quantity the kernel accumulates is the signal itself for a ``quantity_signal``
    (patients added by ``moud_access``) and ``level × per_unit × signal`` for a ``base_signal``.

    Example:
        >>> codes, units = cost_signal_codes()
        >>> [COST_SIGNALS[c] for c in codes][:3]
        ['', 'moud_patients_added', 'people_in_moud']
    """
    catalogue = lever_catalogue()
    codes, units = np.zeros(len(LEVERS), dtype=np.int64), np.ones(len(LEVERS))
    for j, name in enumerate(LEVERS):
        c = catalogue[name].cost
        if c.quantity_signal in COST_SIGNALS[1:]:
            codes[j] = COST_SIGNALS.index(c.quantity_signal)
        elif c.base_signal in COST_SIGNALS[1:]:
            codes[j], units[j] = COST_SIGNALS.index(c.base_signal), c.per_unit
    return codes, units


def lever_arrays(plan: PolicyPlan, n_months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plan's demand levers for :func:`~fentsim.model.demand_drivers.demand_run`.

    Returns ``(shared, per_run, index)``: levels shared by all runs ``(n_months, len(LEVERS))``,
    levels that vary by run ``(k, n_months, n_runs)``, and each lever's row in ``per_run``
    (−1: shared).
    """
    shared = np.zeros((n_months, len(LEVERS)))
    index = np.full(len(LEVERS), -1, dtype=np.int64)
    rows: list[np.ndarray] = []
    for j, name in enumerate(LEVERS):
        arr = plan.levels.get(name)
        if arr is None:
            continue
        arr = np.asarray(arr, dtype=float)[:n_months]
        if arr.ndim == 1:
            shared[: arr.shape[0], j] = arr
            continue
        full = np.zeros((n_months, arr.shape[1]))
        full[: arr.shape[0]] = arr
        index[j] = len(rows)
        rows.append(full)
    per_run = np.ascontiguousarray(np.stack(rows)) if rows else np.zeros((0, n_months, 1))
    return shared, per_run, index


class Demand:
    """Model component: the epidemic engine (see module docstring)."""

    name = "demand"

    def __init__(self) -> None:
        self.cost_codes, self.cost_units = cost_signal_codes()
        self._charged_for: tuple[int, np.ndarray] | None = None  # (id(plan), charged levers)
        self.cost_weights = cost_weights(self.cost_codes, self.cost_units)
        self.outputs: tuple[Output, ...] = OUTPUTS + tuple(
            Output(quantity_output(lv), "flow", "person-years", f"costed quantity of {lv}", True)
            for lv, code in zip(LEVERS, self.cost_codes, strict=True)
            if code
        )
        #: (output, accumulator index, is a level) for everything this component records
        self._recorded = [
            (o.name, _A[_ACC_OF.get(o.name, o.name)], o.kind == "level") for o in self.outputs
        ]

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        self.n = n = p.n
        self.clock = clock
        inp = observed_inputs(clock)
        self.inputs = input_matrix(inp)
        self.P = derived(np.ascontiguousarray(np.stack([p[name] for name in PARAMS], axis=1)))
        X = np.zeros((n, len(STATE)))
        X[:, _X["M"]] = p["init_rx_misuse"]
        X[:, _X["R"]] = p["init_rx_oud"]
        X[:, _X["U"]] = p["init_illicit_use"]
        X[:, _X["QH"]] = p["init_remission"]
        # people in MOUD at the start: the 1999 capacity (methadone; buprenorphine came in 2003)
        cap0 = (
            inp.methadone[0] + p["bup_point_fraction"] * inp.bup_patients[0] + inp.xr_naltrexone[0]
        )
        X[:, _X["TH"]] = np.minimum(cap0, 0.5 * p["init_illicit_oud"])
        X[:, _X["H"]] = p["init_illicit_oud"] - X[:, _X["TH"]]
        X[:, _X["kits"]] = steady_state_kits(
            float(inp.naloxone_kits[0]), p["naloxone_to_at_risk"], p["naloxone_kit_life"]
        )
        X[:, [col for col, _, _ in TRENDS]] = trend_seeds(self.P, self.inputs)
        self.X = X
        self.S = X[:, : len(STOCKS)]  # the people stocks (a view)
        self.initial_total = self.S.sum(axis=1)
        self.A = np.zeros((n, N_ACC))
        self.U: np.ndarray | None = None  # the month rows of every run (step builds them)
        self.SIG = np.zeros((len(SIGNALS), n))
        S = self.S
        self.SIG[0] = S[:, _X["U"]] + S[:, _X["H"]] + S[:, _X["TH"]]
        self.SIG[1] = S[:, _X["H"]]
        self.SIG[2] = S[:, _X["TR"]] + S[:, _X["TH"]]
        self.SIG[4] = S[:, _X["QR"]] + S[:, _X["QH"]] + S[:, _X["S"]]
        self._publish(ctx)
        ctx.setdefault("od_risk_supply", np.ones(n))

    def _publish(self, ctx: dict[str, np.ndarray]) -> None:
        for j, name in enumerate(SIGNALS):
            ctx[name] = self.SIG[j]

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        n = self.n
        if self.U is None:  # levels, inputs, cost weights of every run (see month_rows)
            self.U = month_rows(
                np.zeros((len(LEVERS), n)), np.zeros((len(INPUTS), n)), self.cost_weights
            )
        U = self.U
        for j, lever in enumerate(LEVERS):
            U[j] = plan.level(lever, m)
        U[len(LEVERS) : len(LEVERS) + len(INPUTS)] = self.inputs[m][:, None]
        demand_step(
            self.X, self.P, U,
            np.broadcast_to(np.asarray(ctx["fentanyl_share"], dtype=float), (n,)),
            np.broadcast_to(np.asarray(ctx["potency"], dtype=float), (n,)),
            np.broadcast_to(np.asarray(ctx["od_risk_supply"], dtype=float), (n,)),
            self.A, self.SIG, self._charged(plan),
        )  # fmt: skip
        self._publish(ctx)
        if self.clock.month_of_year(m) == 11:
            y = self.clock.year_index(m)
            close_years(self.A)
            t = np.ascontiguousarray(self.A.T)  # one transpose, then contiguous rows
            for name, k, _ in self._recorded:
                rec.add_year(name, y, t[k])
            self.A[:] = 0.0

    def _charged(self, plan: PolicyPlan) -> np.ndarray:
        """The levers costed under ``plan`` (:func:`charged_levers`), found once per plan."""
        if self._charged_for is None or self._charged_for[0] != id(plan):
            # keyed by id, as in Costs: a fork (deep copy) must not copy the plan
            self._charged_for = (id(plan), charged_levers(plan))
        return self._charged_for[1]

    def run_observed(self, plan: PolicyPlan, Y: np.ndarray) -> None:
        """Every month at once with exposure from the observed series (after :meth:`init`).

        ``Y`` ``(len(recorded(observed=True)), n_years, n_runs)`` receives the annual values of
        the outputs :meth:`recorded` lists, in that order (levels already averaged).
        """
        shared, per_run, index = lever_arrays(plan, self.clock.n_months)
        rows = np.full(N_ACC, -1, dtype=np.int64)
        for i, (_, k) in enumerate(self.recorded(observed=True)):
            rows[k] = i
        run_blocks(
            demand_run, (self.n + LANES - 1) // LANES,
            self.X, self.P, shared, per_run, index, self.inputs, self.cost_weights,
            charged_levers(plan), rows, Y,
        )  # fmt: skip

    def recorded(self, observed: bool = False) -> list[tuple[str, int]]:
        """``(output, accumulator row)`` for every output this component records; with
        ``observed``, also the observed exposure :meth:`run_observed` records."""
        extra = [(o, _A[_ACC_OF.get(o, o)]) for o in ("fentanyl_share", "potency_index")]
        return [(name, k) for name, k, _ in self._recorded] + (extra if observed else [])

    def stocks(self) -> dict[str, np.ndarray]:
        """Current stocks by name (copies), for tests and diagnostics."""
        return {name: self.S[:, i].copy() for i, name in enumerate(STOCKS)}

    def ledger_error(self) -> np.ndarray:
        """Conservation residual: stocks + exits − (initial + entries), per run (should be ~0)."""
        X = self.X
        return self.S.sum(axis=1) + X[:, _X["cum_out"]] - self.initial_total - X[:, _X["cum_in"]]
