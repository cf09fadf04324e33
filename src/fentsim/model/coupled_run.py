"""The coupled model with every month of a run in one compiled call.

:func:`simulate <fentsim.model.engine.simulate>` in ``coupled`` mode with the default components
runs the supply chain, market, epidemic, violence and costs month by month, one compiled kernel
per component per month, with Python in between. :class:`CoupledRun` runs the same components
with the month loop inside one kernel (:func:`coupled_months`): blocks of runs go through their
months with their state in cache, calling the components' own month functions
(:func:`~fentsim.model.supply.supply_month`, :func:`~fentsim.model.market.market_month`,
:func:`~fentsim.model.demand_kernel.demand_month`, :func:`~fentsim.model.violence.violence_month`,
and the policy-cache updates :func:`~fentsim.model.crossing.crossing_policy_run` and
:func:`~fentsim.model.precursors.shipping_policy_run`) in the component order of
:mod:`~fentsim.model.coupling`. Annual accumulators are copied out each September (CBP's fiscal
year) and December and handed to the recorder afterwards as the components' own steps would,
so outputs are the same as the month-by-month loop's (tested to 1e-9; the kernel is compiled with
fast math).

It needs every lever level of the plan to be shared by all runs (designs over lever intensities
run month by month); :func:`fusable` says whether a plan qualifies.

Example:
    >>> from fentsim.params import ParamSet, load_registry
    >>> from fentsim.model.clock import Clock
    >>> from fentsim.model.recorder import Recorder
    >>> from fentsim.policy.plan import STATUS_QUO
    >>> run = CoupledRun(ParamSet.point(load_registry()), Clock(1999, 2001))
    >>> rec = Recorder(run.clock, 1, run.outputs)
    >>> run.advance(STATUS_QUO, 0, run.clock.n_months, rec)
    >>> bool((rec.result()["fentanyl_delivered_kg"] >= 0).all())
    True
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from . import market as mk
from . import violence as vi
from .clock import Clock
from .costs import Costs
from .crossing import crossing_policy_run
from .demand import Demand
from .demand_drivers import _A0, _BLOCK_ROWS, _U0, _X0, LANES, from_columns, to_columns
from .demand_kernel import LEVERS as DEMAND_LEVERS
from .demand_kernel import N_ACC as N_DEMAND_ACC
from .demand_kernel import STATE as DEMAND_STATE
from .demand_kernel import U_ROWS, demand_month, month_rows
from .history import H
from .market import Market
from .precursors import shipping_policy_run
from .recorder import Output, Recorder
from .supply import Supply, supply_month
from .supply_io import ACC as SUPPLY_ACC
from .supply_io import CBP_OUTPUT, flush, military_options
from .supply_io import LEVERS as SUPPLY_LEVERS
from .supply_policy import C_BPCOST, C_DET, C_RT, C_SHIPT, C_SLOSS, CROSSING_LEVERS
from .violence import Violence

_SCAN, _MILES, _IMMIG, _BUILT = (
    H["scanning"],
    H["barrier_miles"],
    H["immigration_on"],
    H["barrier_built"],
)
_U, _H, _TH = (DEMAND_STATE.index(k) for k in ("U", "H", "TH"))
# rows of a block's array in coupled_months: the epidemic's rows of demand_run, then the market's
# exposure and the supply side's removals, war and production of the month (7 rows), then the
# signals read a month late (3 rows)
_E0 = _BLOCK_ROWS
_G0 = _E0 + 7
_ROWS = _G0 + 3
_CBP = SUPPLY_ACC["cbp"]
_SEPTEMBER, _DECEMBER = 8, 11


def fusable(plan: PolicyPlan) -> bool:
    """Whether :class:`CoupledRun` can run ``plan``: every lever level is shared by all runs.

    Example:
        >>> fusable(PolicyPlan("x", {"naloxone": np.ones(12)}))
        True
    """
    return all(np.ndim(v) == 1 for v in plan.levels.values())


def _levels(plan: PolicyPlan, names: tuple[str, ...], n_months: int) -> np.ndarray:
    """``(len(names), n_months)`` shared levels of the plan's levers (0 when absent)."""
    out = np.zeros((len(names), n_months))
    for j, name in enumerate(names):
        arr = plan.levels.get(name)
        if arr is not None:
            arr = np.asarray(arr, dtype=float)[:n_months]
            out[j, : arr.shape[0]] = arr
    return out


def _changed(*rows: np.ndarray) -> np.ndarray:
    """Months whose values differ from the month before, in any row (month 0: False)."""
    out = np.zeros(rows[0].shape[0], dtype=np.bool_)
    for r in rows:
        out[1:] |= r[1:] != r[:-1]
    return out


@njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def coupled_months(
    m0, m1,
    S, PP, PR, PX, cache, lev_s, hist, mil, q_ref, acc_s, cum, supplied, base, audit,
    static, lev_x, x_refresh, ship, ship_refresh,
    SM, PM, acc_m, cum_m,
    X, PD, UD, acc_d,
    SV, PV, acc_v, ops, built,
    sig, Y_s, Y_cbp, Y_m, Y_v, Y_d,
):  # fmt: skip
    """Months ``m0 … m1 − 1`` of every run of the coupled model.

    Supply (``S``, ``PP``, ``PR``, ``PX``, policy ``cache`` …), market (``SM``, ``PM`` …), demand
    (``X``, ``PD`` …) and violence (``SV``, ``PV`` …) arrays are the components' own; ``lev_*``
    the plan's monthly levels (supply, crossing, demand), ``x_refresh`` / ``ship_refresh`` the
    months in which the crossing or shipping policy changes, ``ship`` the maritime inspection
    level, ``ops`` and ``built`` the violence inputs. ``sig`` ``(n, 3)`` carries the signals read
    a month late (illicit users, Mexico's cooperation, street potency) between calls. ``Y_*``
    receive the accumulators of each September (CBP) and December, indexed by year.
    """
    n = S.shape[0]
    n_acc_s = acc_s.shape[1]
    for b in prange((n + LANES - 1) // LANES):
        i0 = b * LANES
        nl = min(LANES, n - i0)
        # the epidemic's part of the block with runs as columns (see demand_run): its month is
        # one SIMD loop over the block; the other components go run by run
        block = np.zeros((_ROWS, LANES))
        pd, x, ad, u = block[:_X0], block[_X0:_A0], block[_A0:_U0], block[_U0:_E0]
        ex, sg = block[_E0:_G0], block[_G0:]
        to_columns(pd, PD, i0, nl)
        to_columns(x, X, i0, nl)
        to_columns(ad, acc_d, i0, nl)
        to_columns(sg, sig, i0, nl)
        for m in range(m0, m1):
            for k in range(U_ROWS):  # the month's shared rows, copied when they change
                if m == m0 or UD[k, m] != UD[k, m - 1]:
                    v = UD[k, m]
                    for j in range(LANES):
                        u[k, j] = v
            h = hist[m]
            for j in range(nl):
                i = i0 + j
                if x_refresh[m]:
                    crossing_policy_run(
                        PX, i, h[_SCAN], h[_MILES], h[_IMMIG], lev_x, m, static, cache,
                        C_DET, C_RT, C_BPCOST,
                    )  # fmt: skip
                if ship_refresh[m]:
                    shipping_policy_run(PP, i, ship[m], cache, C_SLOSS, C_SHIPT)
                delivered, removals, war, produced = supply_month(
                    i, S, PP, PR, PX, cache, lev_s, m, h, mil, sg[0, j], sg[1, j], sg[2, j],
                    q_ref, acc_s, cum, supplied, base, audit,
                )  # fmt: skip
                f, pot, street, risk = mk.market_month(
                    PM[i], SM[i], acc_m[i], cum_m[i], delivered, sg[0, j]
                )
                sg[2, j] = street
                ex[0, j], ex[1, j], ex[3, j] = f, pot, risk
                ex[2, j] = math.log(pot) if pot != 1.0 else 0.0
                ex[4, j], ex[5, j], ex[6, j] = removals, war, produced
            for j in range(LANES):
                demand_month(pd, x, j, u, j, ex[0, j], ex[1, j], ex[2, j], ex[3, j], ad)
            month = m % 12
            for j in range(nl):
                i = i0 + j
                sg[0, j] = x[_U, j] + x[_H, j] + x[_TH, j]
                sg[1, j] = vi.violence_month(
                    PV[i], SV[i], acc_v[i], ex[4, j], ex[5, j], ex[6, j], ops[m], built[m], mil
                )
                if month == _SEPTEMBER:
                    Y_cbp[m // 12, i] = acc_s[i, _CBP]
                    acc_s[i, _CBP] = 0.0
                if month == _DECEMBER:
                    y = m // 12
                    for k in range(n_acc_s):
                        if k != _CBP:
                            Y_s[y, i, k] = acc_s[i, k]
                            acc_s[i, k] = 0.0
                    for k in range(acc_m.shape[1]):
                        Y_m[y, i, k] = acc_m[i, k]
                        acc_m[i, k] = 0.0
                    for k in range(acc_v.shape[1]):
                        Y_v[y, i, k] = acc_v[i, k]
                        acc_v[i, k] = 0.0
                    for k in range(N_DEMAND_ACC):
                        Y_d[y, k, i] = ad[k, j]
            if month == _DECEMBER:
                for k in range(N_DEMAND_ACC):
                    for j in range(LANES):
                        ad[k, j] = 0.0
        from_columns(X, x, i0, nl)
        from_columns(acc_d, ad, i0, nl)
        from_columns(sig, sg, i0, nl)


class CoupledRun:
    """The coupled components of one block of runs, advanced many months per compiled call.

    The state lives in the components (:class:`~fentsim.model.supply.Supply`,
    :class:`~fentsim.model.market.Market`, :class:`~fentsim.model.demand.Demand`,
    :class:`~fentsim.model.violence.Violence`, :class:`~fentsim.model.costs.Costs`), so a deep
    copy of a ``CoupledRun`` is an independent fork of the simulation.
    """

    def __init__(self, p: ParamSet, clock: Clock):
        self.clock, self.n = clock, p.n
        self.supply, self.market, self.demand = Supply(), Market(), Demand()
        self.violence, self.costs = Violence(), Costs()
        comps = (self.supply, self.market, self.demand, self.violence, self.costs)
        self.outputs: list[Output] = [o for c in comps for o in c.outputs]
        ctx: dict[str, np.ndarray] = {}
        for c in comps:
            c.init(p, clock, ctx)
        self.ctx = ctx
        self.sig = np.ascontiguousarray(
            np.column_stack(
                [ctx["illicit_users"], ctx["mexico_cooperation"], ctx["street_potency"]]
            )
        )
        self.acc_d = np.zeros((p.n, N_DEMAND_ACC))
        self.static = None

    def _start(self, plan: PolicyPlan) -> None:
        """Month 0: the policy cache and the supply side's initial state (as in ``Supply.step``)."""
        sup = self.supply
        sup.policy.refresh(sup.hist[0], plan, 0)
        sup._start(self.ctx)
        self.static = sup.policy.static

    def advance(self, plan: PolicyPlan, m0: int, m1: int, rec: Recorder) -> None:
        """Simulate months ``m0 … m1 − 1`` under ``plan`` (shared levels) and record them."""
        if not fusable(plan):
            raise ValueError("CoupledRun needs lever levels shared by all runs (see fusable)")
        clock, n_months = self.clock, self.clock.n_months
        if m0 == 0:
            self._start(plan)
        sup, mkt, dem, vio = self.supply, self.market, self.demand, self.violence
        hist = sup.hist
        lev_s = _levels(plan, SUPPLY_LEVERS, n_months)
        lev_x = _levels(plan, CROSSING_LEVERS, n_months)
        ship = _levels(plan, ("maritime_interdiction",), n_months)[0]
        lev_d = _levels(plan, DEMAND_LEVERS, n_months)
        x_refresh = _changed(hist[:, _SCAN], hist[:, _MILES], hist[:, _IMMIG], *lev_x)
        ship_refresh = _changed(ship)
        ops = _levels(plan, ("military_campaign",), n_months)[0]
        barrier = _levels(plan, ("border_barrier",), n_months)[0]
        built = vi.built_miles(hist[:, _BUILT], barrier)
        n_years = clock.n_years
        Y_s = np.zeros((n_years, self.n, sup.acc.shape[1]))
        Y_cbp = np.zeros((n_years, self.n))
        Y_m = np.zeros((n_years, self.n, mkt.acc.shape[1]))
        Y_v = np.zeros((n_years, self.n, vio.acc.shape[1]))
        Y_d = np.zeros((n_years, N_DEMAND_ACC, self.n))
        coupled_months(
            m0, m1,
            sup.S, sup.PP, sup.PR, sup.PX, sup.cache, lev_s, hist, military_options(plan),
            sup.q_ref, sup.acc, sup.cum, sup.supplied, sup.base, sup.audit,
            self.static, lev_x, x_refresh, ship, ship_refresh,
            mkt.S, mkt.P, mkt.acc, mkt.cum,
            dem.X, dem.P, month_rows(lev_d, dem.inputs.T, dem.cost_weights), self.acc_d,
            vio.S, vio.P, vio.acc, ops, built,
            self.sig, Y_s, Y_cbp, Y_m, Y_v, Y_d,
        )  # fmt: skip
        recorded = dem.recorded()
        for m in range(m0, m1):
            y, month = clock.year_index(m), clock.month_of_year(m)
            if month == _SEPTEMBER:
                rec.flow(CBP_OUTPUT.name, m, Y_cbp[y])
            if month == _DECEMBER:
                flush(rec, m, Y_s[y])
                rec.add_rows(m, Y_m[y], mk.OUTPUTS)
                rec.add_rows(m, Y_v[y], vi.OUTPUTS)
                for name, k in recorded:
                    rec.add_year(name, y, Y_d[y, k])
                self.costs.step(m, plan, self.ctx, rec)
