"""The US illicit opioid market: delivered fentanyl meets demand → share, potency, price, risk.

Fentanyl delivered across the border enters a US distribution stock; each month a share of it is
sold (turnover time ``retail_turnover_time``) and a share is seized (``us_seizure_rate``).

Demand at reference potency (1.0 = the 2021–23 street level) is ``D = users × consumption``
(pure kg of fentanyl per month if every dose were fentanyl), reduced when the retail price index
``P`` is high: ``D · g(P)`` with ``g = 1 / (1 + |ε| (P − 1))``, a rational demand curve whose
elasticity at the reference price is the registry's ``price_elasticity`` (prior −0.9 to −0.3).

With coverage ``R = sold / (D · g)``, dealers split the fentanyl they have between *reach* (the
share of the opioid supply that contains fentanyl) and *strength* (potency): a saturating share
``s = s_max · R / (R + K)`` and potency ``π = R / s = (R + K) / s_max``, so ``s · π = R`` (mass
balance). Far from saturation a supply change moves share and potency; near it (2020s) it moves
potency — supply shortfalls are absorbed mostly through purity (DEA: pills with ≥ 2 mg fell from
about 76% to 50% in 2024), and partly through price: the unit price moves, with a lag, toward
``1 + θ (1/π − 1)`` (θ = the price share of the adjustment). Fentanyl costs a few thousand dollars
per pure kg at source and is ≥ 100× cheaper per dose than heroin (RAND; Caulkins 2021), so
producers have little reason to let price carry the adjustment.

**Tolerance.** Overdose case fatality depends on the dose relative to what users are used to.
Users' reference potency ``T`` (1.0 at the start) adapts toward street potency at
``tolerance_adaptation_rate`` per year, and the epidemic engine receives ``π / T`` as its potency
signal. A rate of 0 passes raw street potency (normalised to 2021–23 by calibration); a fast rate
makes only sudden potency changes matter (gradual rises 2017–23 are absorbed, the 2024 fall is not
at first). The rate is fitted; its prior spans both ends.

Supply volatility ``v`` (an exponential average of the relative monthly change in potency)
multiplies overdose incidence by ``max(floor, 1 + β_v · v)``; the prior of ``β_v`` spans both
signs (unpredictable potency raises risk; caution in a volatile market lowers it).

Writes ``ctx["fentanyl_share"]``, ``ctx["potency"]`` (``π / T``), ``ctx["od_risk_supply"]`` and,
for the supply side's gross weight of seizures, ``ctx["street_potency"]`` (``π``).

Example:
    >>> share_potency(0.0, 0.9, 0.3)
    (0.0, 0.3333333333333333)
    >>> s, pot = share_potency(0.6, 0.9, 0.3)
    >>> round(s * pot, 12)
    0.6
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from .clock import Clock
from .recorder import Output, Recorder
from .supply_io import MONTH_DECEMBER, q_ref_kg
from .vmath import vmax

PARAMS: tuple[str, ...] = (
    "consumption_per_user", "share_ceiling", "share_half_saturation", "price_elasticity",
    "price_adjust_share", "price_adjust_time", "retail_turnover_time", "us_seizure_rate",
    "volatility_od_effect", "volatility_window", "od_risk_floor", "tolerance_adaptation_rate",
)  # fmt: skip
(_CONS, SMAX, KHALF, ELAST, THETA, _PTAU, _RTAU, _USZ, VOL_EFF, _VTAU, FLOOR, _TOL_RATE) = range(
    len(PARAMS)
)
Q_REF, K_SELL, K_USZ, K_PRICE, VOL_DECAY, K_TOL = range(len(PARAMS), len(PARAMS) + 6)
N_COLS = K_TOL + 1
MONTHS_PER_YEAR = 12.0

#: state columns: US stock (kg), unit price index, last potency, volatility, users' reference potency
STOCK, PRICE, POT_PREV, VOL, TOL = range(5)
N_STATE = 5
#: cumulative ledger: delivered in, sold, seized in the US
CU_IN, CU_SOLD, CU_SEIZED = range(3)

_SPEC: tuple[tuple[str, str, str, str], ...] = (
    ("fentanyl_consumed_kg", "flow", "kg", "pure fentanyl sold to US users"),
    ("fentanyl_seized_us_kg", "flow", "kg", "pure fentanyl seized inside the US"),
    ("fentanyl_share", "level", "fraction", "fentanyl share of the illicit opioid supply"),
    ("potency_index", "level", "index", "street fentanyl potency, 1.0 = 2021-23"),
    ("price_index", "level", "index", "retail price per pure mg of fentanyl, 1.0 = 2021-23"),
    ("retail_price_index", "level", "index", "retail price per dose unit, 1.0 = 2021-23"),
    (
        "od_risk_supply",
        "level",
        "multiplier",
        "overdose-incidence multiplier from supply volatility",
    ),
    ("supply_volatility", "level", "1/month", "mean relative monthly change in potency"),
    ("us_stock_kg", "level", "kg", "pure fentanyl held in US distribution"),
    (
        "potency_vs_tolerance",
        "level",
        "index",
        "street potency relative to users' reference potency",
    ),
)
OUTPUTS: tuple[Output, ...] = tuple(Output(*s) for s in _SPEC)
N_ACC = len(_SPEC)


def derived(P: np.ndarray) -> np.ndarray:
    """Append monthly rates: consumption (kg/user/month), sale and seizure fractions, adjustments.

    Sale and US seizure compete for the stock: together they take ``1 − exp(−(1/τ + h/12))`` of it
    each month, split in proportion to their hazards (so the stock never goes negative).
    """
    n = P.shape[0]
    out = np.empty((n, N_COLS))
    out[:, : len(PARAMS)] = P
    out[:, Q_REF] = q_ref_kg(P[:, _CONS])
    sell, sz = 1.0 / P[:, _RTAU], P[:, _USZ] / MONTHS_PER_YEAR
    leave = -np.expm1(-(sell + sz))
    out[:, K_SELL] = leave * sell / (sell + sz)
    out[:, K_USZ] = leave * sz / (sell + sz)
    out[:, K_PRICE] = -np.expm1(-1.0 / P[:, _PTAU])
    out[:, VOL_DECAY] = np.exp(-1.0 / P[:, _VTAU])
    out[:, K_TOL] = -np.expm1(-P[:, _TOL_RATE] / MONTHS_PER_YEAR)
    return out


@njit(cache=True, inline="always")
def share_potency(coverage: float, ceiling: float, half: float) -> tuple[float, float]:
    """Fentanyl share and potency index for supply ``coverage`` of reference-potency demand."""
    return ceiling * coverage / (coverage + half), (coverage + half) / ceiling


@njit(cache=True, inline="always")
def demand_factor(price: float, elasticity: float) -> float:
    """Quantity demanded relative to the reference price (elasticity ``elasticity`` < 0 at P = 1)."""
    return 1.0 / vmax(1.0 - elasticity * (price - 1.0), 1e-9)


@njit(cache=True, parallel=True)
def market_kernel(S, P, delivered, users, share, potency, street, risk, acc, cum):
    """Advance the market state ``S`` (n, 5) one month; write share, potency (relative to users'
    reference), street potency and risk (n,)."""
    n = S.shape[0]
    for i in prange(n):
        share[i], potency[i], street[i], risk[i] = market_month(
            P, S, acc, cum, i, delivered[i], users[i]
        )


@njit(cache=True, inline="always")
def market_month(P, S, A, C, i, delivered, users):
    """One month of run ``i``'s market (parameters ``P``, state ``S``, accumulators ``A``, ledger
    ``C``, each indexed ``[run, column]``); returns ``(fentanyl share, potency relative to users' reference, street
    potency, overdose-risk multiplier)``."""
    stock = S[i, STOCK] + delivered
    sold = stock * P[i, K_SELL]
    seized = stock * P[i, K_USZ]
    S[i, STOCK] = stock - sold - seized
    demand = users * P[i, Q_REF] * demand_factor(S[i, PRICE], P[i, ELAST])
    cov = sold / demand if demand > 0.0 else 0.0
    f, pot = share_potency(cov, P[i, SMAX], P[i, KHALF])
    S[i, PRICE] += (1.0 + P[i, THETA] * (1.0 / pot - 1.0) - S[i, PRICE]) * P[i, K_PRICE]
    S[i, VOL] = (
        S[i, VOL] * P[i, VOL_DECAY]
        + (1.0 - P[i, VOL_DECAY]) * abs(pot - S[i, POT_PREV]) / S[i, POT_PREV]
    )
    S[i, POT_PREV] = pot
    S[i, TOL] += (pot - S[i, TOL]) * P[i, K_TOL]
    r = vmax(P[i, FLOOR], 1.0 + P[i, VOL_EFF] * S[i, VOL])
    A[i, 0] += sold
    A[i, 1] += seized
    A[i, 2] += f
    A[i, 3] += pot
    A[i, 4] += S[i, PRICE] / pot
    A[i, 5] += S[i, PRICE]
    A[i, 6] += r
    A[i, 7] += S[i, VOL]
    A[i, 8] += S[i, STOCK]
    A[i, 9] += pot / S[i, TOL]
    C[i, CU_IN] += delivered
    C[i, CU_SOLD] += sold
    C[i, CU_SEIZED] += seized
    return f, pot / S[i, TOL], pot, r


class Market:
    """Model component: the US illicit opioid market (see the module docstring)."""

    name = "market"
    outputs = OUTPUTS

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        n = p.n
        cols = np.column_stack([np.asarray(p[k], dtype=float) for k in PARAMS])
        self.P = derived(np.ascontiguousarray(cols))
        P = self.P
        pot0 = P[:, KHALF] / P[:, SMAX]  # potency at coverage 0 (no fentanyl yet)
        self.S = np.zeros((n, N_STATE))
        self.S[:, TOL] = 1.0
        self.S[:, PRICE] = 1.0 + P[:, THETA] * (1.0 / pot0 - 1.0)
        self.S[:, POT_PREV] = pot0
        self.acc = np.zeros((n, N_ACC))
        self.cum = np.zeros((n, 3))
        self.share = np.zeros(n)
        self.potency = pot0.copy()  # relative to users' reference potency (1.0 at the start)
        self.street = pot0.copy()
        self.risk = np.ones(n)
        self.zeros = np.zeros(n)
        ctx["fentanyl_share"] = self.share
        ctx["potency"] = self.potency
        ctx["od_risk_supply"] = self.risk
        ctx["street_potency"] = self.street

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        market_kernel(
            self.S, self.P, ctx.get("fentanyl_delivered_kg", self.zeros), ctx["illicit_users"],
            self.share, self.potency, self.street, self.risk, self.acc, self.cum,
        )  # fmt: skip
        if m % 12 == MONTH_DECEMBER:
            rec.add_rows(m, self.acc, OUTPUTS)
            self.acc[:] = 0.0

    def balance(self) -> np.ndarray:
        """Mass-balance residual per run: delivered − sold − seized − stock (kg, ~0)."""
        c = self.cum
        return c[:, CU_IN] - c[:, CU_SOLD] - c[:, CU_SEIZED] - self.S[:, STOCK]
