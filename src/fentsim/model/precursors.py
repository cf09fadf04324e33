"""Precursor chemicals: sources, controls, substitution and shipping to Mexican labs (kg/month).

Four sources supply the key precursors (NPP, 4-ANPP, 4-AP, 1-boc-4-AP and their pre-precursors):
China direct, China via third countries, India, and Mexican domestic synthesis of pre-precursors.
Imported precursors travel by maritime container, air cargo or parcel.

* **Controls** shut down a share of each source's operating supply network. Control stringency ``c``
  (in [0, 1]) is the sum of (i) a listing pressure that jumps when chemicals are listed and decays
  as suppliers switch to unlisted analogues (RAND's Pardo: suppliers "acting like water"), (ii)
  enforcement-cooperation steps, and (iii) the ``precursor_controls`` lever. Availability of source
  ``j`` is ``a_j = 1 − e_j · min(c, 1)`` with exposure ``e_j`` (China direct 1; India low; domestic 0).
* **Substitution** is lagged: each source keeps an operating capacity that moves, with its own
  time constant, toward its share of the producers' need; tighter controls first shut down the
  share ``1 − a_now / a_before`` of a controlled source's capacity. Shares follow a Luce (multinomial-logit with
  log-utility) choice: attraction ``b_j · a_j · ok_j / cost_j`` where ``ok_j`` is the shipping
  success rate of imported sources. A control cuts supply at once; the other sources grow into the
  gap over months to years.
* **Shipping**: mode shares move with inertia toward a logit target ``w_m · exp(−β · loss_m)``;
  ``maritime_interdiction`` raises the maritime loss rate; shipments shift to air and parcel.

Quantities are kg of precursor; ``precursor_yield`` converts them to kg of pure fentanyl.

Example:
    >>> round(availability(0.5, 0.4), 3)
    0.8
    >>> fill_fraction(orders=50.0, offered=200.0)
    0.25
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .param_rows import copy_params, normalise
from .vmath import vmax, vmin

SOURCES: tuple[str, ...] = ("china_direct", "china_via_third", "india", "mexico_domestic")
SHIP_MODES: tuple[str, ...] = ("maritime", "air", "parcel")
N_SRC = len(SOURCES)
N_SHIP = len(SHIP_MODES)
N_IMPORTED = 3  #: the first three sources ship across the sea or by air; domestic does not

#: registry parameters of this module, in the column order of the precursor parameter matrix
PARAMS: tuple[str, ...] = (
    "src_weight_china_direct", "src_weight_china_third", "src_weight_india", "src_weight_domestic",
    "src_cost_china_direct", "src_cost_china_third", "src_cost_india", "src_cost_domestic",
    "src_control_china_direct", "src_control_china_third", "src_control_india",
    "src_adjust_time_china_direct", "src_adjust_time_china_third", "src_adjust_time_india",
    "src_adjust_time_domestic",
    "ship_weight_maritime", "ship_weight_air", "ship_weight_parcel",
    "ship_loss_maritime", "ship_loss_air", "ship_loss_parcel",
    "ship_risk_sensitivity", "ship_adjust_time", "maritime_inspection_detect",
    "precursor_yield", "src_headroom", "precursor_cover",
    "listing_effect", "listing_decay_time", "ctrl_cooperation_step", "precursor_controls_effect",
)  # fmt: skip

# derived columns appended after PARAMS (see :func:`derived`)
(_W0, _W1, _W2, _W3, _C0, _C1, _C2, _C3, _E0, _E1, _E2, _T0, _T1, _T2, _T3,
 _SW0, _SW1, _SW2, _SL0, _SL1, _SL2, _SBETA, _STAU, _MDET,
 YIELD, HEADROOM, COVER, LIST_EFF, LIST_TAU, COOP_STEP, PC_EFF) = range(len(PARAMS))  # fmt: skip
_N_PARAMS = len(PARAMS)
K_SRC = _N_PARAMS  #: first of 4 columns: monthly adjustment fraction of each source's capacity
K_SHIP = K_SRC + N_SRC  #: monthly adjustment fraction of shipping shares
LIST_DECAY = K_SHIP + 1  #: monthly survival of the listing pressure
INCLUSIVE_REF = LIST_DECAY + 1  #: Σ b_j / cost_j, the Luce inclusive value with no controls
WC = INCLUSIVE_REF + 1  #: first of 4 columns: b_j / cost_j (attraction before controls)
INV_YIELD = WC + N_SRC  #: 1 / precursor_yield
N_COLS = INV_YIELD + 1


@njit(cache=True)
def derived(P: np.ndarray) -> np.ndarray:
    """Append derived columns (monthly adjustment fractions, normalised weights) to ``P``.

    ``P`` is ``(n, len(PARAMS))`` in registry units; source and shipping weights are normalised
    to sum to 1 per run. Time constants are in months. One compiled pass over the runs.
    """
    n = P.shape[0]
    out = np.empty((n, N_COLS))
    for i in range(n):
        copy_params(P, out, i, _N_PARAMS)
        normalise(P, out, i, _W0, N_SRC)
        normalise(P, out, i, _SW0, N_SHIP)
        inclusive = 0.0
        for j in range(N_SRC):
            wj = out[i, _W0 + j]
            out[i, K_SRC + j] = -math.expm1(-1.0 / P[i, _T0 + j])
            out[i, WC + j] = wj / P[i, _C0 + j]
            inclusive += out[i, WC + j]
        out[i, K_SHIP] = -math.expm1(-1.0 / P[i, _STAU])
        out[i, LIST_DECAY] = math.exp(-1.0 / P[i, LIST_TAU])
        out[i, INCLUSIVE_REF] = inclusive
        out[i, INV_YIELD] = 1.0 / P[i, YIELD]
    return out


@njit(cache=True, inline="always")
def availability(stringency: float, exposure: float) -> float:
    """Share of a source's supply network still operating under control ``stringency``."""
    return 1.0 - exposure * vmin(stringency, 1.0)


@njit(cache=True, inline="always")
def fill_fraction(orders: float, offered: float) -> float:
    """Share of the offered supply that the producers' orders take (at most 1)."""
    if offered <= 0.0:
        return 0.0
    return vmin(orders / offered, 1.0)


@njit(cache=True, parallel=True)
def shipping_policy(
    P: np.ndarray, inspect: np.ndarray, C: np.ndarray, c_loss: int, c_target: int
) -> None:
    """Shipping loss rates and target mode shares for a maritime inspection level (per run).

    Writes ``C[i, c_loss:+3]`` and ``C[i, c_target:+3]``. Maritime loss:
    ``1 − (1 − base) · (1 − inspected · p_detect)``; targets: ``w_m · exp(−β · loss_m)``, normalised.
    """
    n = P.shape[0]
    for i in prange(n):
        shipping_policy_run(P, i, inspect[i], C, c_loss, c_target)


@njit(cache=True, inline="always")
def shipping_policy_run(P, i, inspected, C, c_loss, c_target):
    """:func:`shipping_policy` for run ``i`` at inspection level ``inspected``."""
    p = P[i]
    C[i, c_loss] = 1.0 - (1.0 - p[_SL0]) * (1.0 - vmin(inspected, 1.0) * p[_MDET])
    C[i, c_loss + 1] = p[_SL1]
    C[i, c_loss + 2] = p[_SL2]
    tot = 0.0
    for m in range(N_SHIP):
        t = p[_SW0 + m] * math.exp(-p[_SBETA] * C[i, c_loss + m])
        C[i, c_target + m] = t
        tot += t
    for m in range(N_SHIP):
        C[i, c_target + m] /= tot


@njit(cache=True, inline="always")
def precursor_month(
    P, i, S, cap, ship, C, ship_target, loss, stringency, previous, need, inventory, supplied
):
    """One month of the precursor chain for run ``i``; returns ``(arrived, lost, shipped, cost_index)``.

    Args:
        P: precursor parameter matrix (row ``i`` is the run's).
        S: supply state; ``S[i, cap:cap+4]`` operating capacity of each source (kg/month) and
            ``S[i, ship:ship+3]`` shipping mode shares, both updated in place.
        C: policy cache; ``C[i, ship_target:+3]`` target shares and ``C[i, loss:+3]`` loss rates.
        stringency, previous: control stringency this month and last month.
        need: precursor the labs need this month at full capacity (kg).
        inventory: precursor held at the labs (kg).
        supplied: output ``(n, 4)``: kg shipped from each source this month (row ``i``).

    Tighter controls shut down the share ``1 − a_now / a_before`` of a source's operating capacity
    at once; capacity then regrows (or shrinks) toward the source's share of the need with the
    source's time constant. Looser controls act only through that regrowth.
    """
    ok = 0.0
    k_ship = P[i, K_SHIP]
    for m in range(N_SHIP):
        v = S[i, ship + m]
        v += (C[i, ship_target + m] - v) * k_ship
        S[i, ship + m] = v
        ok += v * (1.0 - C[i, loss + m])
    inclusive = 0.0
    for j in range(N_SRC):
        if j < N_IMPORTED:
            a = availability(stringency, P[i, _E0 + j])
            before = availability(previous, P[i, _E0 + j])
            # written without a branch on run values, so the loop over runs vectorises
            shut = stringency > previous and before > 0.0
            S[i, cap + j] *= a / before if shut else 1.0
        else:
            a = 1.0
        att = P[i, WC + j] * a * (ok if j < N_IMPORTED else 1.0)
        supplied[i, j] = att  # hold the attraction until the capacities are updated
        inclusive += att
    orders = vmax(need * (1.0 + P[i, COVER]) - inventory, 0.0)
    offered = 0.0
    inv_inclusive = 1.0 / inclusive if inclusive > 0.0 else 0.0
    scale = need * P[i, HEADROOM] * inv_inclusive
    for j in range(N_SRC):
        c = S[i, cap + j]
        c += (supplied[i, j] * scale - c) * P[i, K_SRC + j]
        S[i, cap + j] = c
        supplied[i, j] = c
        offered += c
    fill = fill_fraction(orders, offered)
    imported = 0.0
    shipped = 0.0
    for j in range(N_SRC):
        x = supplied[i, j] * fill
        supplied[i, j] = x
        shipped += x
        if j < N_IMPORTED:
            imported += x
    lost = imported * (1.0 - ok)
    reference = P[i, INCLUSIVE_REF]
    cost_index = reference * inv_inclusive if inclusive > 0.0 else np.inf
    return shipped - lost, lost, shipped, cost_index
