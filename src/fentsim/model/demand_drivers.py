"""The compiled loops that drive the epidemic month (:func:`~fentsim.model.demand_kernel.demand_month`).

* :func:`demand_step` — one month for every run (``prange``), used when other components
  (supply, market, violence) exchange signals with the epidemic every month;
* :func:`demand_run` — every month for every run in one call, with fentanyl exposure from the
  observed series (the ``observed`` mode): no Python between months. Runs go in blocks of
  :data:`LANES` held with runs as columns, so each month is one SIMD loop over the block.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .demand_kernel import (
    _A_FSHARE,
    _A_POT,
    _H,
    _I_LOGPOT,
    _I_POT,
    _LEVEL0,
    _LEVEL1,
    _QH,
    _QR,
    _SS,
    _TH,
    _TR,
    _U,
    _U_CW,
    _U_IN,
    _U_LV,
    N_ACC,
    N_INPUTS,
    N_LEVERS,
    N_P,
    STATE,
    U_ROWS,
    demand_month,
    observed_share,
)


@njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def demand_step(X, P, U, f_arr, pot_arr, risk_arr, A, SIG):
    """Advance every run one month (coupled mode).

    ``X`` (n, len(STATE)) run states; ``P`` (n, N_P); ``U`` (U_ROWS, n) the month's rows
    (:func:`month_rows`) of each run; ``f_arr``, ``pot_arr``, ``risk_arr`` (n,) exposure from the
    market; ``A`` (n, N_ACC) annual accumulators; ``SIG`` (len(SIGNALS), n) receives the published
    signals.
    """
    n = X.shape[0]
    XT, PT, AT = X.T, P.T, A.T
    for i in prange(n):
        pot = pot_arr[i]
        log_pot = math.log(pot) if pot != 1.0 else 0.0
        entries, added = demand_month(PT, XT, i, U, i, f_arr[i], pot, log_pot, risk_arr[i], AT)
        SIG[0, i] = X[i, _U] + X[i, _H] + X[i, _TH]
        SIG[1, i] = X[i, _H]
        SIG[2, i] = X[i, _TR] + X[i, _TH]
        SIG[3, i] = entries
        SIG[4, i] = X[i, _QR] + X[i, _QH] + X[i, _SS]
        SIG[5, i] = added


#: runs advanced together by :func:`demand_run`: a multiple of the SIMD width, small enough for
#: the lanes' parameters, states and accumulators to stay in the L1 cache
LANES = 16
N_STATE = len(STATE)
# rows of a block's array in demand_run: parameters, state, accumulators, month rows
_X0 = N_P
_A0 = _X0 + N_STATE
_U0 = _A0 + N_ACC
_BLOCK_ROWS = _U0 + U_ROWS


@njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def demand_run(X, P, LS, LR, lmap, IN, cw, rows, Y):
    """Run every month for every run with observed exposure (the ``observed`` mode).

    ``LS`` (n_months, len(LEVERS)) lever levels shared by all runs; ``LR`` (k, n_months, n) the
    levels of the ``k`` levers that vary by run, ``lmap[j]`` their row (−1: shared); ``IN``
    (n_months, len(INPUTS)); ``cw`` the :func:`cost_weights`; ``Y`` (k, n_years, n) receives the
    annual values of accumulator ``a`` in row ``rows[a]`` (−1: not recorded): flows summed, levels
    averaged over the year's months. Runs go in blocks of
    :data:`LANES`, held with runs as columns, so that each month is one SIMD loop over the block.
    """
    n = X.shape[0]
    n_months = IN.shape[0]
    per_run = LR.shape[0] > 0
    for b in prange((n + LANES - 1) // LANES):
        i0 = b * LANES
        nl = min(LANES, n - i0)
        # one array for everything the block's month loop touches: its row slices keep constant
        # strides, so the compiler sees that they cannot overlap and needs no run-time checks
        block = np.zeros((_BLOCK_ROWS, LANES))
        p, x, acc, u = block[:_X0], block[_X0:_A0], block[_A0:_U0], block[_U0:]
        # a short last block repeats its last run: every block runs all LANES columns
        for j in range(LANES):
            i = i0 + min(j, nl - 1)
            for k in range(N_P):
                p[k, j] = P[i, k]
            for k in range(N_STATE):
                x[k, j] = X[i, k]
            for k in range(4 * N_LEVERS):
                u[_U_CW + k, j] = cw[k // 4, k % 4]
        for m in range(n_months):
            # the month's rows: shared values are copied to every column when they change
            for k in range(N_LEVERS):
                r = lmap[k]
                if per_run and r >= 0:
                    for j in range(LANES):
                        u[_U_LV + k, j] = LR[r, m, i0 + min(j, nl - 1)]
                elif m == 0 or LS[m, k] != LS[m - 1, k]:
                    level = LS[m, k]
                    for j in range(LANES):
                        u[_U_LV + k, j] = level
            for k in range(N_INPUTS):
                if m == 0 or IN[m, k] != IN[m - 1, k]:
                    v = IN[m, k]
                    for j in range(LANES):
                        u[_U_IN + k, j] = v
            pot, log_pot = IN[m, _I_POT], IN[m, _I_LOGPOT]
            for j in range(LANES):
                f = observed_share(p, x, j, u, j)
                demand_month(p, x, j, u, j, f, pot, log_pot, 1.0, acc)
                acc[_A_FSHARE, j] += f
                acc[_A_POT, j] += pot
            if m % 12 == 11:
                y = m // 12
                for k in range(N_ACC):
                    scale = (1.0 / 12.0) if _LEVEL0 <= k < _LEVEL1 else 1.0
                    row = rows[k]
                    if row >= 0:
                        for j in range(nl):
                            Y[row, y, i0 + j] = acc[k, j] * scale
                    for j in range(LANES):
                        acc[k, j] = 0.0
        for j in range(nl):
            for k in range(N_STATE):
                X[i0 + j, k] = x[k, j]
