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
from .demand_ledger import charge_block, charge_lever, close_year
from .vmath import store_fence, stream_scaled


@njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def demand_step(X, P, U, f_arr, pot_arr, risk_arr, A, SIG, charged):
    """Advance every run one month (coupled mode).

    ``X`` (n, len(STATE)) run states; ``P`` (n, N_P); ``U`` (U_ROWS, n) the month's rows
    (:func:`~fentsim.model.demand_setup.month_rows`) of each run; ``f_arr``, ``pot_arr``,
    ``risk_arr`` (n,) exposure from the market; ``A`` (n, N_ACC) annual accumulators; ``SIG`` (len(SIGNALS), n) receives the published
    signals; ``charged`` (len(LEVERS),) 1 for the levers whose costed quantity is accumulated.
    """
    n = X.shape[0]
    XT, PT, AT = X.T, P.T, A.T
    for i in prange(n):
        pot = pot_arr[i]
        log_pot = math.log(pot) if pot != 1.0 else 0.0
        entries, added = demand_month(PT, XT, i, U, i, f_arr[i], pot, log_pot, risk_arr[i], AT)
        for k in range(N_LEVERS):
            if charged[k]:
                charge_lever(AT, XT, i, U, i, k)
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
# rows of a block's array in demand_run (and the first rows of coupled_months'): parameters,
# state, accumulators, month rows
_X0 = N_P
_A0 = _X0 + N_STATE
_U0 = _A0 + N_ACC
_BLOCK_ROWS = _U0 + U_ROWS


@njit(cache=True, inline="always")
def to_columns(dst, src, i0, nl) -> None:
    """Runs ``i0 … i0 + nl − 1`` (rows of ``src``) into the columns of a block array ``dst``;
    columns past ``nl`` repeat the last run, so a short last block runs all :data:`LANES`."""
    for j in range(dst.shape[1]):
        i = i0 + min(j, nl - 1)
        for k in range(dst.shape[0]):
            dst[k, j] = src[i, k]


@njit(cache=True, inline="always")
def from_columns(dst, src, i0, nl) -> None:
    """The first ``nl`` columns of a block array ``src`` back into rows ``i0 …`` of ``dst``."""
    for j in range(nl):
        for k in range(src.shape[0]):
            dst[i0 + j, k] = src[k, j]


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def demand_run(b0, b1, X, P, LS, LR, lmap, IN, cw, charged, rows, Y):
    """Run every month for every run with observed exposure (the ``observed`` mode).

    ``LS`` (n_months, len(LEVERS)) lever levels shared by all runs; ``LR`` (k, n_months, n) the
    levels of the ``k`` levers that vary by run, ``lmap[j]`` their row (−1: shared); ``IN``
    (n_months, len(INPUTS)); ``cw`` the :func:`~fentsim.model.demand_setup.cost_weights` and
    ``charged`` the levers costed (:func:`~fentsim.model.demand_ledger.charged_levers`); ``Y`` (k, n_years, n) receives the
    annual values of accumulator ``a`` in row ``rows[a]`` (−1: not recorded): flows summed, levels
    averaged over the year's months. Runs go in blocks of
    :data:`LANES`, held with runs as columns, so that each month is one SIMD loop over the block;
    this call runs blocks ``b0 … b1 − 1`` (:func:`~fentsim.model.blocks.run_blocks` shares the
    blocks among threads).
    """
    n = X.shape[0]
    n_months = IN.shape[0]
    per_run = LR.shape[0] > 0
    for b in range(b0, b1):
        i0 = b * LANES
        nl = min(LANES, n - i0)
        # one array for everything the block's month loop touches: its row slices keep constant
        # strides, so the compiler sees that they cannot overlap and needs no run-time checks
        block = np.zeros((_BLOCK_ROWS, LANES))
        p, x, acc, u = block[:_X0], block[_X0:_A0], block[_A0:_U0], block[_U0:]
        to_columns(p, P, i0, nl)
        to_columns(x, X, i0, nl)
        for j in range(LANES):
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
            charge_block(acc, x, u, charged, LANES)
            if m % 12 == 11:
                y = m // 12
                for j in range(LANES):
                    close_year(acc, j)
                for k in range(N_ACC):
                    scale = (1.0 / 12.0) if _LEVEL0 <= k < _LEVEL1 else 1.0
                    row = rows[k]
                    if row >= 0:
                        stream_scaled(Y, row, y, i0, acc, k, scale, nl)
                    for j in range(LANES):
                        acc[k, j] = 0.0
        from_columns(X, x, i0, nl)
    store_fence()  # the outputs' non-temporal stores are visible when this call returns
