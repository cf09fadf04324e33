"""Crossing into the United States: eight modes, detection, adaptive routing, seizures.

Modes: port-of-entry passenger vehicles, commercial vehicles and pedestrians; between ports;
tunnels; maritime; drones; mail and express. Each mode ``k`` has a detection probability

* ports: ``1 − (1 − d0_k)(1 − e_scan · coverage)`` — non-intrusive scanning of a share of vehicles
  (coverage: base + the 2022–26 rollout + the ``poe_scanning_*`` levers);
* between ports: ``1 − (1 − d0)(1 − e_wall · b)(1 − e_staff · s)`` with barrier saturation
  ``b = miles / (miles + half)`` and ``s`` the share of between-port crossings stopped (Border
  Patrol agents freed from migrant processing);
* other modes: ``d0_k``.

**Adaptive routing (the balloon effect).** Traffickers move the share of flow on each mode, with
inertia (time constant ``route_adjust_time``), toward a quantal-response target
``w_k · exp(−β · d_k)``; the between-port attraction is further multiplied by ``1 − s`` and by
``exp(−penalty · b)`` (the barrier's cost). Raising detection on one mode shifts flow to the others,
as NarcoLogic (Magliocca et al. 2019, PNAS) and Dell (2015, AER) document for cocaine.

Seizures are pure kg; CBP reports gross weight, so ``cbp_seizures_lb`` divides by the purity of
seized material, ``seized_purity · (1 − ω + ω · potency)``, a wide uncertain parameter.

Example:
    >>> round(saturation(700.0, 700.0), 2)
    0.5
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .param_rows import copy_params, normalise
from .vmath import vexp, vmax, vmin

MODES: tuple[str, ...] = (
    "poe_passenger", "poe_commercial", "poe_pedestrian", "between_ports",
    "tunnel", "maritime", "drone", "mail",
)  # fmt: skip
N_MODE = len(MODES)
POE_MODES = 3  #: the first three modes are at ports of entry
POV, COM, PED, BP = 0, 1, 2, 3

PARAMS: tuple[str, ...] = (
    *(f"route_weight_{m}" for m in MODES),
    *(f"detect_base_{m}" for m in MODES),
    "route_risk_sensitivity", "route_adjust_time", "scan_detect_passenger", "scan_detect_commercial",
    "scan_passenger_base", "scan_commercial_base", "hist_scan_passenger_target",
    "hist_scan_commercial_target", "barrier_detect_max", "barrier_half_miles", "barrier_route_penalty",
    "immigration_detect_gain", "hist_immigration_suspension", "seized_purity",
    "seized_purity_potency_weight",
)  # fmt: skip
W0 = 0
D0 = N_MODE
(BETA, _TAU, E_SCAN_P, E_SCAN_C, SCAN_P0, SCAN_C0, SCAN_P1, SCAN_C1, E_WALL, WALL_HALF, WALL_PEN,
 E_STAFF, HIST_IMMIG, SEIZED_PURITY, PURITY_POT) = range(2 * N_MODE, len(PARAMS))  # fmt: skip
_N_PARAMS = len(PARAMS)
K_ROUTE = _N_PARAMS  #: monthly fraction of the gap to target route shares closed
N_COLS = K_ROUTE + 1

LB_PER_KG = 2.20462  #: pounds per kilogram (CBP reports pounds)


@njit(cache=True)
def derived(P: np.ndarray) -> np.ndarray:
    """Append the monthly routing adjustment fraction and normalise the mode weights (one
    compiled pass over the runs)."""
    n = P.shape[0]
    out = np.empty((n, N_COLS))
    for i in range(n):
        copy_params(P, out, i, _N_PARAMS)
        normalise(P, out, i, W0, N_MODE)
        out[i, K_ROUTE] = -math.expm1(-1.0 / P[i, _TAU])
    return out


@njit(cache=True, inline="always")
def saturation(x: float, half: float) -> float:
    """``x / (x + half)``: the share of the maximum effect reached at level ``x`` (0 for x ≤ 0)."""
    if x <= 0.0:
        return 0.0
    return x / (x + half)


#: modes whose detection the policies in force can change (the others keep ``d0``)
POLICY_MODES = (POV, COM, BP)


@njit(cache=True)
def static_attraction(P: np.ndarray) -> np.ndarray:
    """``w_k · exp(−β · d0_k)`` for every run and mode (the attraction without policy effects)."""
    n = P.shape[0]
    out = np.empty((n, N_MODE))
    for i in range(n):
        for k in range(N_MODE):
            out[i, k] = P[i, W0 + k] * math.exp(-P[i, BETA] * P[i, D0 + k])
    return out


@njit(cache=True, parallel=True)
def crossing_policy(P, scan, miles_hist, stop_hist, lev, static, C, c_det, c_target, c_cost):
    """Detection, target route shares and between-port cost for the policies in force.

    Writes ``C[i, c_det:+8]`` (detection), ``C[i, c_target:+8]`` (target shares) and
    ``C[i, c_cost]`` (between-port crossing cost, 1 = no barrier) for every run ``i``.

    Args:
        P: crossing parameter matrix (with derived columns).
        scan: progress of the historical scanner rollout (0 → 1).
        miles_hist, stop_hist: historical new barrier miles and immigration suspension (0/1).
        lev: ``(4, n)`` plan levels: added passenger and commercial coverage, new barrier miles,
            share of between-port crossings stopped.
        static: :func:`static_attraction` (only the policy modes are recomputed).
    """
    n = P.shape[0]
    for i in prange(n):
        crossing_policy_run(
            P, i, scan, miles_hist, stop_hist, lev, i, static, C, c_det, c_target, c_cost
        )


@njit(cache=True, inline="always")
def crossing_policy_run(
    P, i, scan, miles_hist, stop_hist, lev, li, static, C, c_det, c_target, c_cost
):
    """:func:`crossing_policy` for run ``i``, with the plan levels in column ``li`` of ``lev``."""
    cov_p = P[i, SCAN_P0] + (P[i, SCAN_P1] - P[i, SCAN_P0]) * scan + lev[0, li]
    cov_c = P[i, SCAN_C0] + (P[i, SCAN_C1] - P[i, SCAN_C0]) * scan + lev[1, li]
    b = saturation(miles_hist + lev[2, li], P[i, WALL_HALF])
    s = vmin(vmax(P[i, HIST_IMMIG] * stop_hist + lev[3, li], 0.0), 1.0)
    d_p = 1.0 - (1.0 - P[i, D0 + POV]) * (1.0 - P[i, E_SCAN_P] * vmin(vmax(cov_p, 0.0), 1.0))
    d_c = 1.0 - (1.0 - P[i, D0 + COM]) * (1.0 - P[i, E_SCAN_C] * vmin(vmax(cov_c, 0.0), 1.0))
    d_b = 1.0 - (1.0 - P[i, D0 + BP]) * (1.0 - P[i, E_WALL] * b) * (1.0 - P[i, E_STAFF] * s)
    wall = vexp(-P[i, WALL_PEN] * b)
    t_p = P[i, W0 + POV] * vexp(-P[i, BETA] * d_p)
    t_c = P[i, W0 + COM] * vexp(-P[i, BETA] * d_c)
    t_b = P[i, W0 + BP] * vexp(-P[i, BETA] * d_b) * (1.0 - s) * wall
    # everything is read before anything is written, and nothing written is read back: loops
    # over runs that inline this need no run-time alias checks between the cache and the inputs
    tot = t_p + t_c + t_b
    for k in range(N_MODE):
        if k != POV and k != COM and k != BP:
            tot += static[i, k]
    inv = 1.0 / tot
    for k in range(N_MODE):
        if k == POV:
            C[i, c_det + k], C[i, c_target + k] = d_p, t_p * inv
        elif k == COM:
            C[i, c_det + k], C[i, c_target + k] = d_c, t_c * inv
        elif k == BP:
            C[i, c_det + k], C[i, c_target + k] = d_b, t_b * inv
        else:
            C[i, c_det + k], C[i, c_target + k] = P[i, D0 + k], static[i, k] * inv
    C[i, c_cost] = 1.0 / wall


@njit(cache=True, inline="always")
def route_month(P, i, S, route, C, target, det, sent, acc, off):
    """Update route shares ``S[i, route:+8]`` and return ``(seized, seized at ports)`` for ``sent`` kg.

    ``C[i, target:+8]`` and ``C[i, det:+8]`` are the cached target shares and detection
    probabilities; ``acc[i, off:off + 8]`` accumulates the kg seized on each mode.
    """
    seized = 0.0
    poe = 0.0
    k_route = P[i, K_ROUTE]
    for k in range(N_MODE):
        sh = S[i, route + k]
        sh += (C[i, target + k] - sh) * k_route
        S[i, route + k] = sh
        x = sent * sh * C[i, det + k]
        acc[i, off + k] += x
        seized += x
        if k < POE_MODES:
            poe += x
    return seized, poe
