"""Violence in Mexico: criminal groups, contested territory, homicides, civilian harm, cooperation.

* **Groups** ``G``: each leadership removal splinters the organisation (``groups_per_removal`` new
  groups; Phillips 2015; Calderón et al. 2015), and the group count follows a logistic law of
  growth and slow consolidation toward the number the criminal economy sustains
  (``dG/dt = r · G · (1 − G/K)``): 4–7 major organisations in 2006, about 150 groups by 2019–22.
* **Contested territory** ``C`` moves (time constant ``contest_adjust_time``) toward
  ``G / (G + G½)``: more groups, more contested turf.
* **Enforcement shocks** ``E``: each removal raises homicides where it happens by
  ``removal_local_effect`` (+36.5% in 6 months, Calderón et al. 2015; +80% for ≥ 12 months,
  Lindo & Padilla-Romo 2018) in municipalities holding ``removal_homicide_share`` of national
  homicides (capture municipality plus same-organisation spillover); the shock decays with
  ``removal_effect_time``. Military operations add ``op_violence`` each (Merino 2011; Osorio 2015).
* **Stakes**: the value of what is fought over — fentanyl production ``X`` (kg/month) — scales
  conflict homicides by ``1 + ρ · X / (X + X½)`` (Castillo, Mejía & Restrepo 2020: changes in
  the value of the drug trade drive violence in Mexico; Dell 2015: violence follows routes).
* **Homicides** per year: ``base + conflict_max · C · (1 + E + war_effect · W) · stakes`` plus barrier
  displacement: each new mile of barrier adds ``barrier_homicides_per_mile`` deaths, realised at
  the enforcement-shock rate (Laughlin 2017: ≥ 3,000 deaths for the 649-mile Secure Fence Act).
  ``W`` is the intensity of an internal war of the largest organisation (supply component).
* **Civilian harm** (persons) from military operations, by target type; **cooperation** (index,
  1 = the status quo) moves toward ``1 / (1 + a_u · unilateral ops + a_h · harm)``; it scales the
  Mexican enforcement that needs Mexican partners (supply component, next month).

Reads ``ctx["leadership_removals"]``, ``ctx["cartel_war"]`` and ``ctx["fentanyl_production_kg"]``
(supply); writes
``ctx["mexico_cooperation"]``.

Example:
    >>> round(logistic_groups(100.0, 0.2, 200.0, 1.0 / 12.0), 4)
    100.8333
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from .clock import DT, Clock
from .history import H, history_drivers
from .recorder import Output, Recorder
from .supply_io import MONTH_DECEMBER, by_run, military_options
from .vmath import vmax

PARAMS: tuple[str, ...] = (
    "groups_init", "groups_per_removal", "groups_growth_rate", "groups_capacity",
    "homicides_base", "homicides_conflict_max", "contest_half_groups", "contest_adjust_time",
    "removal_local_effect", "removal_homicide_share", "removal_effect_time", "op_violence",
    "war_homicide_effect", "barrier_homicides_per_mile",
    "harm_per_op_leadership", "harm_per_op_labs", "harm_per_op_nodes",
    "coop_unilateral_effect", "coop_harm_effect", "coop_adjust_time", "stakes_effect", "stakes_half_kg",
)  # fmt: skip
(G0, NU, RG, KG, HBASE, HMAX, GHALF, _CTAU, LOCAL, SHARE, _ETAU, OPV, WAR_EFF, PER_MILE,
 HARM_L, HARM_LAB, HARM_N, COOP_U, COOP_H, _COOP_TAU, STAKES, STAKES_HALF) = range(len(PARAMS))  # fmt: skip
K_CONTEST, E_DECAY, K_COOP = range(len(PARAMS), len(PARAMS) + 3)
N_COLS = K_COOP + 1

#: state columns
GROUPS, SHOCK, CONTEST, EXCESS, COOP = range(5)
N_STATE = 5

_SPEC: tuple[tuple[str, str, str, str], ...] = (
    ("mexico_homicides", "flow", "homicides/yr", "intentional homicides in Mexico"),
    ("criminal_groups", "level", "count", "criminal groups in Mexico"),
    ("civilian_harm", "flow", "persons", "civilians killed or injured in military operations"),
    ("mexico_cooperation", "level", "index", "Mexico's cooperation, 1 = status quo"),
    ("contested_territory", "level", "fraction", "share of criminal territory that is contested"),
    (
        "enforcement_shock",
        "level",
        "multiplier",
        "excess conflict homicides from enforcement shocks",
    ),
)
OUTPUTS: tuple[Output, ...] = tuple(Output(*s) for s in _SPEC)
N_ACC = len(OUTPUTS)


def derived(P: np.ndarray) -> np.ndarray:
    """Append monthly adjustment fractions and the shock decay (time constants in months)."""
    out = np.empty((P.shape[0], N_COLS))
    out[:, : len(PARAMS)] = P
    out[:, K_CONTEST] = -np.expm1(-1.0 / P[:, _CTAU])
    out[:, E_DECAY] = np.exp(-1.0 / P[:, _ETAU])
    out[:, K_COOP] = -np.expm1(-1.0 / P[:, _COOP_TAU])
    return out


@njit(cache=True, inline="always")
def logistic_groups(g: float, rate: float, capacity: float, dt: float) -> float:
    """One step of logistic growth (or, above ``capacity``, consolidation) of the group count."""
    return g + rate * dt * g * (1.0 - g / capacity)


@njit(cache=True, parallel=True)
def violence_kernel(S, P, removals, war, production, ops, built, mil, coop, acc):
    """Advance the violence state ``S`` (n, 5) one month; write cooperation (n,) and outputs."""
    n = S.shape[0]
    for i in prange(n):
        coop[i] = violence_month(
            P, S, acc, i, removals[i], war[i], production[i], ops[i], built[i], mil
        )


@njit(cache=True, inline="always")
def violence_month(P, S, A, i, removals, war, production, ops, built, mil):
    """One month of run ``i``'s violence (parameters ``P``, state ``S``, accumulators ``A``, each
    indexed ``[run, column]``; military options in column ``i`` of ``mil``); returns Mexico's cooperation index."""
    harm = ops * (P[i, HARM_L] * mil[0, i] + P[i, HARM_LAB] * mil[1, i] + P[i, HARM_N] * mil[2, i])
    target = 1.0 / (1.0 + P[i, COOP_U] * ops * mil[3, i] + P[i, COOP_H] * harm)
    S[i, COOP] += (target - S[i, COOP]) * P[i, K_COOP]
    g = logistic_groups(S[i, GROUPS], P[i, RG], P[i, KG], DT) + P[i, NU] * removals
    S[i, GROUPS] = vmax(g, 0.0)
    S[i, SHOCK] = (
        S[i, SHOCK] * P[i, E_DECAY] + P[i, LOCAL] * P[i, SHARE] * removals + P[i, OPV] * ops
    )
    S[i, CONTEST] += (S[i, GROUPS] / (S[i, GROUPS] + P[i, GHALF]) - S[i, CONTEST]) * P[i, K_CONTEST]
    S[i, EXCESS] += P[i, PER_MILE] * built
    realised = S[i, EXCESS] * (1.0 - P[i, E_DECAY])
    S[i, EXCESS] -= realised
    x = production
    stakes = 1.0 + P[i, STAKES] * x / (x + P[i, STAKES_HALF])
    hom = (
        P[i, HBASE]
        + P[i, HMAX] * S[i, CONTEST] * (1.0 + S[i, SHOCK] + P[i, WAR_EFF] * war) * stakes
    ) * DT + realised
    A[i, 0] += hom
    A[i, 1] += S[i, GROUPS]
    A[i, 2] += harm
    A[i, 3] += S[i, COOP]
    A[i, 4] += S[i, CONTEST]
    A[i, 5] += S[i, SHOCK]
    return S[i, COOP]


def built_miles(hist_built: np.ndarray, barrier: np.ndarray) -> np.ndarray:
    """Barrier miles completed each month: the historical ones plus the plan's monthly rise in
    ``barrier`` (the ``border_barrier`` level; a fall builds nothing).

    Example:
        >>> built_miles(np.zeros(4), np.array([0.0, 10.0, 30.0, 20.0])).tolist()
        [0.0, 10.0, 20.0, 0.0]
    """
    return hist_built + np.maximum(np.diff(barrier, prepend=0.0), 0.0)


class Violence:
    """Model component: violence in Mexico (see the module docstring)."""

    name = "violence"
    outputs = OUTPUTS

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        n = p.n
        cols = np.column_stack([np.asarray(p[k], dtype=float) for k in PARAMS])
        self.P = derived(np.ascontiguousarray(cols))
        self.S = np.zeros((n, N_STATE))
        self.S[:, GROUPS] = self.P[:, G0]
        g = self.S[:, GROUPS]
        self.S[:, CONTEST] = g / (g + self.P[:, GHALF])
        self.S[:, COOP] = 1.0
        self.coop = np.ones(n)
        self.acc = np.zeros((n, N_ACC))
        self.ops = np.zeros(n)
        self.built = np.zeros(n)
        self.zeros = np.zeros(n)
        self.hist_built = np.array(history_drivers(clock)[:, H["barrier_built"]])
        self._mil: tuple[int, np.ndarray] | None = None
        ctx["mexico_cooperation"] = self.coop

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        self.ops[:] = plan.level("military_campaign", m)
        prev = plan.level("border_barrier", m - 1) if m > 0 else 0.0
        self.built[:] = self.hist_built[m] + np.maximum(
            np.subtract(plan.level("border_barrier", m), prev), 0.0
        )
        if self._mil is None or self._mil[0] != id(plan):
            self._mil = (id(plan), by_run(military_options(plan), self.S.shape[0]))
        violence_kernel(
            self.S, self.P, ctx.get("leadership_removals", self.zeros), ctx.get("cartel_war", self.zeros),
            ctx.get("fentanyl_production_kg", self.zeros), self.ops, self.built, self._mil[1], self.coop, self.acc,
        )  # fmt: skip
        if m % 12 == MONTH_DECEMBER:
            rec.add_rows(m, self.acc, OUTPUTS)
            self.acc[:] = 0.0
