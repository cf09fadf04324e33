"""The epidemic kernel's inputs, built once per simulation with numpy.

:func:`~fentsim.model.demand_kernel.demand_month` reads parameters as a ``(n_runs, N_P)`` matrix
(:func:`derived` appends per-run constants to the sampled parameters), the observed inputs as
:func:`input_matrix`, the month's lever levels, inputs and cost weights as the rows of
:func:`month_rows`, and starts the dated exponential trends from :func:`trend_seeds`.

Example:
    >>> import numpy as np
    >>> from fentsim.model.demand_kernel import N_P, PARAMS
    >>> derived(np.ones((2, len(PARAMS)))).shape == (2, N_P)
    True
"""

from __future__ import annotations

import numpy as np

from .clock import DT
from .demand_kernel import (
    _CAP_GROWTH,
    _DUR,
    _EXIT_REM,
    _F_TAU,
    _I_F_ON,
    _I_FPAST,
    _I_MOUD_ON,
    _I_MOUD_PAST,
    _I_PAN,
    _I_PAN_ON,
    _I_RX_ON,
    _I_RX_PAST,
    _MOUD_NON_OD,
    _NAL_EFF,
    _NAL_LIFE,
    _NAL_RISK,
    _NON_OD,
    _P_TIME,
    _P_WIT,
    _PAN_DECAY,
    _RISK_TAU,
    _RX_REDEF,
    _RX_TREND,
    _STAB_RELAPSE,
    _STAB_T,
    _T_CAP,
    _T_F,
    _T_PAN,
    _T_RX,
    INPUTS,
)
from .inputs import NALOXONE_GROWTH_YEARS, ObservedInputs


def derived(P: np.ndarray) -> np.ndarray:
    """The parameter matrix ``(n, len(PARAMS))`` with the per-run constants of :data:`DERIVED`."""
    decay = np.exp(-DT / P[:, _NAL_LIFE])
    cols = (
        decay,
        P[:, _NAL_RISK] * P[:, _NAL_LIFE] * (1.0 - decay),
        1.0 - np.exp(-DT / P[:, _RISK_TAU]),
        P[:, _EXIT_REM] / P[:, _DUR],
        (1.0 - P[:, _EXIT_REM]) / P[:, _DUR],
        1.0 / P[:, _STAB_T],
        P[:, _NON_OD] * P[:, _MOUD_NON_OD],
        P[:, _P_WIT] * P[:, _P_TIME] * P[:, _NAL_EFF],
        np.exp(-DT / P[:, _PAN_DECAY]),
        np.exp(P[:, _CAP_GROWTH] * DT),
        np.exp(P[:, _RX_TREND] * DT),
        np.exp(-DT / P[:, _F_TAU]),
        -np.expm1(-DT * P[:, _STAB_RELAPSE]),  # the share of stable remission relapsing a month
        1.0 / P[:, _RX_REDEF],  # NSDUH initiates from 2015 on the earlier definition's scale
    )
    return np.ascontiguousarray(np.column_stack([P, *cols]))


def cost_weights(codes: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The kernel's cost weights ``(len(LEVERS), 4)`` from each lever's cost signal code (an index
    into :data:`COST_SIGNALS`) and units per level.

    A month adds ``w[k, 0] × patients added + level_k × (w[k, 1] × people in MOUD + w[k, 2] ×
    illicit users + w[k, 3] × people in remission)`` to lever ``k``'s costed quantity.

    Example:
        >>> cost_weights(np.array([0, 1, 3]), np.array([1.0, 1.0, 0.5]))[1:, :3].tolist()
        [[0.08333333333333333, 0.0, 0.0], [0.0, 0.0, 0.041666666666666664]]
    """
    w = np.zeros((len(codes), 4))
    for k, code in enumerate(codes):
        if code:
            w[k, code - 1] = units[k] * DT
    return w


def month_rows(levels: np.ndarray, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """What :func:`~fentsim.model.demand_kernel.demand_month` reads besides parameters and state, as ``(U_ROWS, cols)`` rows:
    lever levels ``(len(LEVERS), cols)``, observed inputs ``(len(INPUTS), cols)`` and the
    :func:`cost_weights` (the same in every column). Columns are months or runs.

    Example:
        >>> from fentsim.model.demand_kernel import U_ROWS
        >>> u = month_rows(np.zeros((7, 2)), np.ones((len(INPUTS), 2)), np.full((7, 4), 0.5))
        >>> u.shape == (U_ROWS, 2), float(u[7, 1]), float(u[-1, 0])
        (True, 1.0, 0.5)
    """
    cols = levels.shape[1]
    cw = np.broadcast_to(weights.reshape(-1, 1), (weights.size, cols))
    return np.ascontiguousarray(np.vstack([levels, inputs, cw]))


def input_matrix(inp: ObservedInputs) -> np.ndarray:
    """The observed inputs as a ``(n_months, len(INPUTS))`` matrix (one row per month)."""
    n = inp.rx_initiation.shape[0]
    cols = {
        "rx_initiation": inp.rx_initiation,
        "rx_initiation_redefined": inp.rx_initiation_redefined,
        "rx_initiation_base": np.full(n, inp.rx_initiation_base),
        "rx_initiation_past": inp.rx_initiation_past,
        "naloxone_kits": inp.naloxone_kits,
        "naloxone_past_capped": np.minimum(inp.naloxone_past, NALOXONE_GROWTH_YEARS),
        "methadone": inp.methadone,
        "bup_patients": inp.bup_patients,
        "xr_naltrexone": inp.xr_naltrexone,
        "moud_past": inp.moud_past,
        "pandemic_past": inp.pandemic_past,
        "fentanyl_share": inp.fentanyl_share,
        "fentanyl_share_last": np.full(n, inp.fentanyl_share_last),
        "fentanyl_past": inp.fentanyl_past,
        "potency": inp.potency,
        "log_potency": np.log(inp.potency),
        # 1.0 in the months an exponential trend runs (see TRENDS), else 0.0
        "pandemic_on": inp.pandemic_past >= 0.0,
        "moud_growing": inp.moud_past > 0.0,
        "rx_projected": inp.rx_initiation_past > 0.0,
        "share_projected": inp.fentanyl_past > 0.0,
    }
    return np.ascontiguousarray(np.column_stack([cols[k] for k in INPUTS]).astype(float))


#: the exponential trends of :data:`STATE`: (state column, input column of the time since the
#: trend started, input column that is 1.0 in the months it runs)
TRENDS: tuple[tuple[int, int, int], ...] = (
    (_T_PAN, _I_PAN, _I_PAN_ON), (_T_CAP, _I_MOUD_PAST, _I_MOUD_ON), (_T_RX, _I_RX_PAST, _I_RX_ON),
    (_T_F, _I_FPAST, _I_F_ON),
)  # fmt: skip


def trend_seeds(P: np.ndarray, IN: np.ndarray) -> np.ndarray:
    """Initial values ``(n, len(TRENDS))`` of the trend columns of the state for inputs ``IN``.

    A trend is ``exp(rate × past)``; the kernel advances it by ``× exp(rate × DT)`` in each month
    it runs (:func:`_trend`), so it starts one step before its value in the first such month.
    """
    rates = (-1.0 / P[:, _PAN_DECAY], P[:, _CAP_GROWTH], P[:, _RX_TREND], -1.0 / P[:, _F_TAU])
    seeds = np.ones((P.shape[0], len(TRENDS)))
    for j, (_, col, on) in enumerate(TRENDS):
        running = np.flatnonzero(IN[:, on])
        if running.size:
            seeds[:, j] = np.exp(rates[j] * (IN[running[0], col] - DT))
    return seeds
