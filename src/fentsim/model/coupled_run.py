"""The coupled model with every month of a run in one compiled call.

:func:`simulate <fentsim.model.engine.simulate>` in ``coupled`` mode with the default components
runs the supply chain, market, epidemic, violence and costs month by month, one compiled kernel
per component per month, with Python in between. :class:`CoupledRun` runs the same components
with the month loop inside one kernel (:func:`coupled_months`): blocks of
:data:`~fentsim.model.demand_drivers.LANES` runs, held with runs as columns in one array, go
through their months with their state in cache, each component's month one SIMD loop over the
block, calling the components' own month functions
(:func:`~fentsim.model.supply.supply_month`, :func:`~fentsim.model.market.market_month`,
:func:`~fentsim.model.demand_kernel.demand_month`, :func:`~fentsim.model.violence.violence_month`,
and the policy-cache updates :func:`~fentsim.model.crossing.crossing_policy_run` and
:func:`~fentsim.model.precursors.shipping_policy_run`) in the component order of
:mod:`~fentsim.model.coupling`. Annual accumulators are written each September (CBP's fiscal
year) and December into the recorder's table, as the components' own steps would record them, so
outputs are the same as the month-by-month loop's (tested to 1e-9; the kernel is compiled with
fast math). Threads share the blocks (:func:`~fentsim.model.blocks.run_blocks`).

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

import numpy as np
from numba import njit

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from . import crossing as cx
from . import market as mk
from . import precursors as pc
from . import production as pr
from . import violence as vi
from .blocks import run_blocks
from .clock import Clock
from .costs import Costs
from .crossing import crossing_policy_run
from .demand import Demand
from .demand_drivers import _A0, _BLOCK_ROWS, _U0, _X0, LANES, from_columns, to_columns
from .demand_kernel import LEVERS as DEMAND_LEVERS
from .demand_kernel import N_ACC as N_DEMAND_ACC
from .demand_kernel import STATE as DEMAND_STATE
from .demand_kernel import demand_month
from .demand_ledger import charge_block, charged_levers, close_year
from .demand_setup import month_rows
from .history import DRIVERS, H
from .market import Market
from .precursors import shipping_policy_run
from .recorder import Output, Recorder
from .supply import Supply, supply_month
from .supply_channels import N_BASE
from .supply_io import ACC as SUPPLY_ACC
from .supply_io import CBP_OUTPUT, CUM, MIL_OPTIONS, ST, military_options, output_rows
from .supply_io import LEVERS as SUPPLY_LEVERS
from .supply_io import RECORDED as SUPPLY_RECORDED
from .supply_io import close_year as close_supply_year
from .supply_policy import C_BPCOST, C_DET, C_RT, C_SHIPT, C_SLOSS, CROSSING_LEVERS, N_CACHE
from .violence import Violence
from .vmath import fill_row, store_fence, stream_scaled, vlog

_SCAN, _MILES, _IMMIG, _BUILT = (
    H["scanning"],
    H["barrier_miles"],
    H["immigration_on"],
    H["barrier_built"],
)
_U, _H, _TH = (DEMAND_STATE.index(k) for k in ("U", "H", "TH"))
# rows of a block's array in coupled_months (runs as columns): the epidemic's rows of demand_run,
# then the market's exposure and the supply side's removals, war and production of the month
# (7 rows), the signals read a month late (3 rows), and every other component's per-run arrays
_E0 = _BLOCK_ROWS
_G0 = _E0 + 7
_LAYOUT = (
    ("S", ST["_size"]), ("PP", pc.N_COLS), ("PR", pr.N_COLS), ("PX", cx.N_COLS),
    ("cache", N_CACHE), ("acc_s", SUPPLY_ACC["_size"]), ("cum", len(CUM)), ("supplied", pc.N_SRC),
    ("base", N_BASE), ("q_ref", 1), ("static", cx.N_MODE),
    ("SM", mk.N_STATE), ("PM", mk.N_COLS), ("acc_m", mk.N_ACC), ("cum_m", 3),
    ("SV", vi.N_STATE), ("PV", vi.N_COLS), ("acc_v", vi.N_ACC),
    # shared by the block's runs, every column set, so the lanes' loops read nothing from
    # outside the block and nothing loop-invariant: the month's history drivers and supply
    # levers, and the military options
    ("hist", len(DRIVERS)), ("lev_s", len(SUPPLY_LEVERS)), ("mil", len(MIL_OPTIONS)),
    ("lev_x", len(CROSSING_LEVERS)),
)  # fmt: skip
_R: dict[str, tuple[int, int]] = {}
_r = _G0 + 3
for _name, _w in _LAYOUT:
    _R[_name] = (_r, _r + _w)
    _r += _w
_ROWS = _r
(_S0, _S1), (_PP0, _PP1), (_PR0, _PR1), (_PX0, _PX1), (_C0, _C1), (_AS0, _AS1) = (
    _R[k] for k in ("S", "PP", "PR", "PX", "cache", "acc_s")
)
(_CU0, _CU1), (_SU0, _SU1), (_B0, _B1), (_Q0, _Q1), (_ST0, _ST1) = (
    _R[k] for k in ("cum", "supplied", "base", "q_ref", "static")
)
(_SM0, _SM1), (_PM0, _PM1), (_AM0, _AM1), (_CM0, _CM1) = (
    _R[k] for k in ("SM", "PM", "acc_m", "cum_m")
)
(_SV0, _SV1), (_PV0, _PV1), (_AV0, _AV1) = (_R[k] for k in ("SV", "PV", "acc_v"))
(_HH0, _HH1), (_LV0, _LV1), (_MI0, _MI1), (_LX0, _LX1) = (
    _R[k] for k in ("hist", "lev_s", "mil", "lev_x")
)
assert LANES % 4 == 0, "fill_row stores four runs at a time"
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


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def coupled_months(
    b0, b1, m0, m1,
    S, PP, PR, PX, cache, lev_s, hist, mil, q_ref, acc_s, cum, supplied, base,
    static, lev_x, x_refresh, ship, ship_refresh,
    SM, PM, acc_m, cum_m,
    X, PD, UD, charged, acc_d,
    SV, PV, acc_v, ops, built,
    sig, R, scale, rows_s, row_cbp, rows_m, rows_v, rows_d, vary_u, vary_h, vary_l,
):  # fmt: skip
    """Months ``m0 … m1 − 1`` of the runs of blocks ``b0 … b1 − 1`` of the coupled model
    (:func:`~fentsim.model.blocks.run_blocks` shares the blocks among threads).

    Supply (``S``, ``PP``, ``PR``, ``PX``, policy ``cache`` …), market (``SM``, ``PM`` …), demand
    (``X``, ``PD`` …) and violence (``SV``, ``PV`` …) arrays are the components' own, one row per
    run; ``lev_*`` the plan's monthly levels (supply, crossing, demand), ``x_refresh`` /
    ``ship_refresh`` the months in which the crossing or shipping policy changes, ``ship`` the
    maritime inspection level, ``charged`` the demand levers costed, ``ops`` and ``built`` the
    violence inputs. ``sig`` ``(n, 3)`` carries the signals read a month late (illicit users,
    Mexico's cooperation, street potency) between calls. Each December (CBP's fiscal year: September) the annual accumulators are written
    to ``R``, the recorder's ``(outputs, years, runs)`` table, in the rows ``rows_*`` (−1: not
    recorded; levels as the year's mean, times ``scale`` of the row: :meth:`Recorder.level_scale`),
    and zeroed.

    Runs go in blocks of :data:`LANES` held with runs as columns (one array per block, as in
    :func:`~fentsim.model.demand_drivers.demand_run`); the components' month functions, which
    index ``[run, column]``, see the block through transposed views, so each month of each
    component is one SIMD loop over the block's runs.
    """
    n = S.shape[0]
    for b in range(b0, b1):
        i0 = b * LANES
        nl = min(LANES, n - i0)
        block = np.zeros((_ROWS, LANES))
        pd, x, ad, u = block[:_X0], block[_X0:_A0], block[_A0:_U0], block[_U0:_E0]
        ex, sg = block[_E0:_G0], block[_G0:_S0]
        bS, bPP, bPR, bPX = block[_S0:_S1], block[_PP0:_PP1], block[_PR0:_PR1], block[_PX0:_PX1]
        bC, bAS, bCU, bSU = block[_C0:_C1], block[_AS0:_AS1], block[_CU0:_CU1], block[_SU0:_SU1]
        bB, bQ, bST = block[_B0:_B1], block[_Q0:_Q1], block[_ST0:_ST1]
        bSM, bPM, bAM, bCM = block[_SM0:_SM1], block[_PM0:_PM1], block[_AM0:_AM1], block[_CM0:_CM1]
        bSV, bPV, bAV = block[_SV0:_SV1], block[_PV0:_PV1], block[_AV0:_AV1]
        to_columns(pd, PD, i0, nl)
        to_columns(x, X, i0, nl)
        to_columns(ad, acc_d, i0, nl)
        to_columns(sg, sig, i0, nl)
        to_columns(bS, S, i0, nl)
        to_columns(bPP, PP, i0, nl)
        to_columns(bPR, PR, i0, nl)
        to_columns(bPX, PX, i0, nl)
        to_columns(bC, cache, i0, nl)
        to_columns(bAS, acc_s, i0, nl)
        to_columns(bCU, cum, i0, nl)
        to_columns(bB, base, i0, nl)
        to_columns(bQ, q_ref, i0, nl)
        to_columns(bST, static, i0, nl)
        to_columns(bSM, SM, i0, nl)
        to_columns(bPM, PM, i0, nl)
        to_columns(bAM, acc_m, i0, nl)
        to_columns(bCM, cum_m, i0, nl)
        to_columns(bSV, SV, i0, nl)
        to_columns(bPV, PV, i0, nl)
        to_columns(bAV, acc_v, i0, nl)
        # the month functions index [run, column]: transposed views of the block's rows
        tS, tPP, tPR, tPX, tC = bS.T, bPP.T, bPR.T, bPX.T, bC.T
        tAS, tCU, tSU, tB, tST = bAS.T, bCU.T, bSU.T, bB.T, bST.T
        tSM, tPM, tAM, tCM, tSV, tPV, tAV = bSM.T, bPM.T, bAM.T, bCM.T, bSV.T, bPV.T, bAV.T
        q = bQ[0]
        hh, lv, mi, lx = block[_HH0:_HH1], block[_LV0:_LV1], block[_MI0:_MI1], block[_LX0:_LX1]
        for k in range(_MI1 - _MI0):
            for j in range(LANES):
                mi[k, j] = mil[k]
        for m in range(m0, m1):
            first = m == m0
            _shared_rows(u, UD, m, np.arange(u.shape[0]) if first else vary_u)
            _shared_rows(hh, hist.T, m, np.arange(hh.shape[0]) if first else vary_h)
            _shared_rows(lv, lev_s, m, np.arange(lv.shape[0]) if first else vary_l)
            if x_refresh[m]:
                _shared_rows(lx, lev_x, m, np.arange(lx.shape[0]))
                scan, miles, stop = hist[m, _SCAN], hist[m, _MILES], hist[m, _IMMIG]
                for j in range(LANES):
                    crossing_policy_run(
                        tPX, j, scan, miles, stop, lx, j, tST, tC, C_DET, C_RT, C_BPCOST
                    )
            if ship_refresh[m]:
                inspected = ship[m]
                for j in range(LANES):
                    shipping_policy_run(tPP, j, inspected, tC, C_SLOSS, C_SHIPT)
            for j in range(LANES):
                delivered, removals, war, produced = supply_month(
                    j, tS, tPP, tPR, tPX, tC, lv, j, hh, mi, sg[0, j], sg[1, j], sg[2, j],
                    q, tAS, tCU, tSU, tB,
                )  # fmt: skip
                f, pot, street, risk = mk.market_month(tPM, tSM, tAM, tCM, j, delivered, sg[0, j])
                sg[2, j] = street
                ex[0, j], ex[1, j], ex[3, j] = f, pot, risk
                ex[4, j], ex[5, j], ex[6, j] = removals, war, produced
            for j in range(LANES):
                ex[2, j] = vlog(ex[1, j])
            for j in range(LANES):
                demand_month(pd, x, j, u, j, ex[0, j], ex[1, j], ex[2, j], ex[3, j], ad)
            charge_block(ad, x, u, charged, LANES)
            o, bt = ops[m], built[m]
            for j in range(LANES):
                sg[0, j] = x[_U, j] + x[_H, j] + x[_TH, j]
                sg[1, j] = vi.violence_month(
                    tPV, tSV, tAV, j, ex[4, j], ex[5, j], ex[6, j], o, bt, mi
                )
            month = m % 12
            if month == _SEPTEMBER:
                y = m // 12
                stream_scaled(R, row_cbp, y, i0, bAS, _CBP, 1.0, nl)
                for j in range(LANES):
                    bAS[_CBP, j] = 0.0
            if month == _DECEMBER:
                y = m // 12
                for j in range(LANES):
                    close_supply_year(tAS, j)
                _year_out(R, scale, rows_s, y, i0, nl, bAS, _CBP)
                _year_out(R, scale, rows_m, y, i0, nl, bAM, -1)
                _year_out(R, scale, rows_v, y, i0, nl, bAV, -1)
                for j in range(LANES):
                    close_year(ad, j)
                _year_out(R, scale, rows_d, y, i0, nl, ad, -1)
        from_columns(X, x, i0, nl)
        from_columns(acc_d, ad, i0, nl)
        from_columns(sig, sg, i0, nl)
        from_columns(S, bS, i0, nl)
        from_columns(cache, bC, i0, nl)
        from_columns(acc_s, bAS, i0, nl)
        from_columns(cum, bCU, i0, nl)
        from_columns(SM, bSM, i0, nl)
        from_columns(acc_m, bAM, i0, nl)
        from_columns(cum_m, bCM, i0, nl)
        from_columns(SV, bSV, i0, nl)
        from_columns(acc_v, bAV, i0, nl)
    store_fence()  # the table's non-temporal stores are visible when this call returns


@njit(cache=True, inline="always")
def _shared_rows(dst, src, m, rows):
    """Month ``m`` of the shared rows ``src`` ``(rows, months)`` into every column of the block
    rows ``dst``, for the rows listed in ``rows`` (all of them in a call's first month, then
    those that change in the call's months: :func:`_varying`), with vector stores
    (:func:`~fentsim.model.vmath.fill_row`). A listed row is copied whether or not this
    month's value differs: comparing each row each month and copying it with scalar stores took
    4% of the kernel in a sampled profile, most of it on the compares' branches."""
    for k in rows:
        fill_row(dst, k, src[k, m])


def _varying(rows: np.ndarray, m0: int, m1: int) -> np.ndarray:
    """Indices of the rows of ``rows`` ``(rows, months)`` whose value changes in months
    ``m0 + 1 … m1 − 1``.

    Example:
        >>> _varying(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 2.0]]), 0, 3).tolist()
        [1]
    """
    part = rows[:, m0:m1]
    return np.flatnonzero((part[:, 1:] != part[:, :-1]).any(axis=1))


@njit(cache=True, inline="always")
def _year_out(R, scale, rows, y, i0, nl, acc, keep):
    """Write a block's accumulators ``acc`` (rows) into year ``y`` of the table ``R`` (in rows
    ``rows``, −1: not recorded; times ``scale`` of the row, which makes levels the year's mean)
    and zero them, all but row ``keep``, which another month closes.

    A year is closed once in a simulation (the accumulators carry over between calls), so the
    value is stored, not added, and with non-temporal stores
    (:func:`~fentsim.model.vmath.stream_scaled`, four runs per store) into the table's
    cache-line-aligned rows: the line is not read first. These writes are scattered (16 runs of
    each output and year per block); as plain stores they were a quarter of the kernel's time."""
    for k in range(acc.shape[0]):
        if k != keep:
            r = rows[k]
            if r >= 0:
                stream_scaled(R, r, y, i0, acc, k, scale[r], nl)
            for j in range(acc.shape[1]):
                acc[k, j] = 0.0


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
        n = self.n
        R, row = rec.table()
        recorded = dem.recorded()
        rows_d = np.full(N_DEMAND_ACC, -1, dtype=np.int64)
        for name, k in recorded:
            rows_d[k] = row[name]
        uds = month_rows(lev_d, dem.inputs.T, dem.cost_weights)
        run_blocks(
            coupled_months, (n + LANES - 1) // LANES, m0, m1,
            sup.S, sup.PP, sup.PR, sup.PX, sup.cache, lev_s, hist, military_options(plan),
            sup.q_ref[:, None], sup.acc, sup.cum, sup.supplied, sup.base,
            self.static, lev_x, x_refresh, ship, ship_refresh,
            mkt.S, mkt.P, mkt.acc, mkt.cum,
            dem.X, dem.P, uds,
            charged_levers(plan), self.acc_d,
            vio.S, vio.P, vio.acc, ops, built,
            self.sig, R, rec.level_scale(), output_rows(row), row[CBP_OUTPUT.name],
            np.array([row[o.name] for o in mk.OUTPUTS]), np.array([row[o.name] for o in vi.OUTPUTS]),
            rows_d, _varying(uds, m0, m1), _varying(hist.T, m0, m1), _varying(lev_s, m0, m1),
        )  # fmt: skip
        written = [*SUPPLY_RECORDED, *(o.name for o in (*mk.OUTPUTS, *vi.OUTPUTS))]
        rec.mark_written(written + [name for name, _ in recorded], averaged=True)
        self.costs.charge(_years_ending(clock, m0, m1, _DECEMBER), plan, rec)


def _years_ending(clock: Clock, m0: int, m1: int, month: int) -> slice:
    """The year indices whose month ``month`` (0 = January) lies in months ``m0 … m1 − 1``."""
    first = (m0 - month + 11) // 12
    last = (m1 - 1 - month) // 12
    return slice(first, max(last + 1, first))
