"""Fentanyl synthesis in Mexico by organisation: adoption, lab capacity, leadership integrity.

Organisations: the Sinaloa factions, CJNG, and a pool of other (fragmenting) groups.

* **Adoption.** The capability to synthesise fentanyl and sell it as (or in) heroin spread like a
  technology: a Bass (1969) diffusion ``dA/dt = (p + q·A)(1 − A)`` (innovation ``p``, imitation
  ``q``), the mechanism behind 2013–2021's emergence of illicit fentanyl (RAND RR-3117: simplified
  synthesis, e-commerce precursor sales; fentanyl replacing heroin market by market). ``p``, ``q``
  and the 1999 level are fitted to the NFLIS share; no year enters the equations.
* **Capacity.** Producers build lab capacity toward ``A · κ · D · (1 − drag) · (1 + ω·r/(1 − r))``:
  ``D`` is US demand (users × consumption at reference potency), ``κ`` the capacity-to-demand
  ratio, ``drag`` the financial cost of sanctions and terrorist designation, ``r`` the border
  seizure rate and ``ω`` the share of seizures producers replace by producing more. Capacity
  approaches the target with a rebuild time constant scaled by leadership integrity; lab strikes
  and seizures destroy a fraction ``h/(1 + h)`` per month for a hit intensity ``h``.
* **Leadership integrity** ``I`` in [0, 1] falls with each leadership removal and with an internal
  war, and recovers with a time constant (MADTOR, Manzi & Calderoni 2024: survivors need 1–2+
  years). Output per unit of capacity is ``I`` (× an efficiency below 1 for the fragmented pool).
* **Fragmentation.** Each removal moves a share of the organisation's capacity to the pool of
  other groups (splinters take labs with them), which also absorbs dispersed production.
* **Direct sales from China.** Until China's class-wide scheduling of fentanyl-related substances
  (May 2019) a share of US supply was finished fentanyl bought from Chinese sellers and mailed to
  the US (RAND RR-3117; DEA NDTA 2018-19: China the main source of mail and express shipments,
  Mexico of fentanyl smuggled through ports). The direct sellers hold ``direct_share`` of the
  capacity target times the availability left by controls; Mexican producers build the rest.

Example:
    >>> round(bass_step(0.01, 0.002, 0.8, 1.0 / 12.0), 5)
    0.01082
    >>> hit_fraction(0.0), round(hit_fraction(1.0), 2)
    (0.0, 0.5)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .param_rows import copy_params, normalise
from .vmath import vmin

ORGS: tuple[str, ...] = ("sinaloa", "cjng", "others")
N_ORG = len(ORGS)

PARAMS: tuple[str, ...] = (
    "adoption_innovation", "adoption_imitation", "adoption_init", "capacity_demand_ratio",
    "org_weight_sinaloa", "org_weight_cjng", "org_weight_others",
    "removal_weight_sinaloa", "removal_weight_cjng", "removal_weight_others",
    "lab_rebuild_time", "others_efficiency", "integrity_loss_per_removal", "integrity_recovery_time",
    "fragmentation_per_removal", "war_integrity_loss", "war_decay_time",
    "lab_seizure_rate_base", "node_seizure_rate_base", "staging_time", "removals_base",
    "seizure_replacement", "hist_kingpin_removals", "hist_security_aid",
    "aid_removals", "aid_lab_seizure", "mil_removals_per_op", "mil_lab_fraction_per_op",
    "mil_node_fraction_per_op", "sanction_drag_per_designation", "fto_drag", "fto_sanction_boost",
    "financial_drag_max", "hist_sanctions_rate",
    "direct_share", "direct_control_effect", "direct_adjust_time", "direct_detect", "direct_purity",
)  # fmt: skip
(BASS_P, BASS_Q, A0, KAPPA, OW0, OW1, OW2, RW0, RW1, RW2, _REBUILD, OTHERS_EFF, INT_LOSS, _INT_TAU,
 FRAG, WAR_LOSS, _WAR_TAU, LAB0, NODE0, _STAGE_T, REM0, OMEGA, KINGPIN, HIST_AID,
 AID_REM, AID_LAB, MIL_REM, MIL_LAB, MIL_NODE, SANC_DRAG, FTO_DRAG, FTO_BOOST, DRAG_MAX,
 HIST_SANCT, DIRECT_SHARE, DIRECT_CTRL, _DIRECT_TAU, DIRECT_DETECT, DIRECT_PURITY) = range(len(PARAMS))  # fmt: skip
_N_PARAMS = len(PARAMS)
K_BUILD = _N_PARAMS  #: monthly fraction of the gap to target capacity closed at full integrity
K_INT = K_BUILD + 1  #: monthly recovery fraction of integrity
WAR_DECAY = K_INT + 1  #: monthly survival of internal-war intensity
K_CROSS = WAR_DECAY + 1  #: monthly fraction of staged product sent across the border
K_DIRECT = K_CROSS + 1  #: monthly adjustment fraction of direct sales from China
INV_DIRECT_PURITY = K_DIRECT + 1  #: 1 / direct_purity
N_COLS = INV_DIRECT_PURITY + 1

#: the Bass and war time constants are per year; the model steps months
MONTHS_PER_YEAR = 12.0
PER_MONTH = 1.0 / MONTHS_PER_YEAR


@njit(cache=True)
def derived(P: np.ndarray) -> np.ndarray:
    """Append monthly adjustment fractions to ``P`` and normalise the organisation weights (one
    compiled pass over the runs)."""
    n = P.shape[0]
    out = np.empty((n, N_COLS))
    for i in range(n):
        copy_params(P, out, i, _N_PARAMS)
        normalise(P, out, i, OW0, N_ORG)
        normalise(P, out, i, RW0, N_ORG)
        out[i, K_BUILD] = -math.expm1(-1.0 / P[i, _REBUILD])
        out[i, K_INT] = -math.expm1(-1.0 / P[i, _INT_TAU])
        out[i, WAR_DECAY] = math.exp(-1.0 / (P[i, _WAR_TAU] * MONTHS_PER_YEAR))
        out[i, K_CROSS] = -math.expm1(-1.0 / P[i, _STAGE_T])
        out[i, K_DIRECT] = -math.expm1(-1.0 / P[i, _DIRECT_TAU])
        out[i, INV_DIRECT_PURITY] = 1.0 / P[i, DIRECT_PURITY]
    return out


@njit(cache=True, inline="always")
def bass_step(a: float, p: float, q: float, dt: float) -> float:
    """One step of Bass diffusion ``dA/dt = (p + qA)(1 − A)`` (explicit Euler, stays in [0, 1])."""
    return vmin(a + dt * (p + q * a) * (1.0 - a), 1.0)


@njit(cache=True, inline="always")
def hit_fraction(h: float) -> float:
    """Share of a stock destroyed in a month by hit intensity ``h`` ≥ 0 (saturating, below 1)."""
    return h / (1.0 + h)


@njit(cache=True, inline="always")
def financial_drag(sanctions: float, fto: float, P, i) -> float:
    """Share of run ``i``'s capacity target lost to sanctions and terrorist designation (capped)."""
    d = P[i, SANC_DRAG] * sanctions * (1.0 + P[i, FTO_BOOST] * fto) + P[i, FTO_DRAG] * fto
    return vmin(d, P[i, DRAG_MAX])


@njit(cache=True, inline="always")
def org_month(P, i, S, lab, integrity, target, removals, lab_hit, war):
    """Advance lab capacity ``S[i, lab:lab+3]`` and integrity ``S[i, integrity:+3]`` one month.

    Args:
        P: production parameter matrix (row ``i`` is the run's).
        target: total capacity target (kg/month).
        removals: leadership removals this month (count, all organisations).
        lab_hit: share of lab capacity destroyed this month.
        war: internal-war intensity of the largest organisation (0 = none).

    Returns the production capacity this month (kg pure fentanyl/month).
    """
    moved = 0.0
    k_int, k_build = P[i, K_INT], P[i, K_BUILD]
    for o in range(N_ORG):
        rem = removals * P[i, RW0 + o]
        shock = P[i, INT_LOSS] * rem
        if o == 0:
            shock += P[i, WAR_LOSS] * war * PER_MONTH
        g = S[i, integrity + o]
        g += (1.0 - g) * k_int - g * vmin(shock, 1.0)
        S[i, integrity + o] = g
        c = S[i, lab + o] * (1.0 - lab_hit)
        c += (P[i, OW0 + o] * target - c) * k_build * g
        if o < N_ORG - 1:
            t = c * vmin(P[i, FRAG] * rem, 1.0)
            c -= t
            moved += t
        S[i, lab + o] = c
    S[i, lab + N_ORG - 1] += moved
    q_cap = 0.0
    for o in range(N_ORG):
        q_cap += S[i, lab + o] * S[i, integrity + o] * (P[i, OTHERS_EFF] if o == N_ORG - 1 else 1.0)
    return q_cap
