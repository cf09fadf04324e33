"""What the epidemic month leaves for the books: lever cost quantities and the year's totals.

Both are kept out of :func:`~fentsim.model.demand_kernel.demand_month`, whose SIMD loop over
runs is already long:

* :func:`charge_lever` adds a month of one lever's costed quantity. The drivers call it only for
  the levers the plan uses (``charged``, from :func:`charged_levers`): a lever never above zero
  costs nothing, so the month does not compute its quantity.
* :func:`close_year` sums the accumulators that are totals of others (all deaths, people with
  OUD, everyone in the model) once a year instead of every month.

Example:
    >>> import numpy as np
    >>> from fentsim.model.demand_kernel import ACC
    >>> acc = np.zeros((len(ACC), 1))
    >>> acc[ACC.index("deaths_rx"), 0], acc[ACC.index("deaths_synth"), 0] = 2.0, 3.0
    >>> close_year(acc, 0)
    >>> float(acc[ACC.index("deaths"), 0])
    5.0
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..policy.plan import PolicyPlan
from .demand_kernel import (
    _A_COST,
    _A_D,
    _A_DH,
    _A_DRX,
    _A_DS,
    _A_H,
    _A_M,
    _A_MOUD,
    _A_OUD,
    _A_R,
    _A_REM,
    _A_TOTAL,
    _A_U,
    _ADDED,
    _H,
    _QH,
    _QR,
    _SS,
    _TH,
    _TR,
    _U,
    _U_CW,
    _U_LV,
    LEVERS,
)


def charged_levers(plan: PolicyPlan) -> np.ndarray:
    """1 for each lever of :data:`~fentsim.model.demand_kernel.LEVERS` that the plan ever sets
    above zero (the levers :class:`~fentsim.model.costs.Costs` charges), else 0.

    Example:
        >>> charged_levers(PolicyPlan("x", {"naloxone": np.ones(3)})).tolist()
        [1, 0, 0, 0, 0, 0, 0]
    """
    return np.array([int(plan.active(name)) for name in LEVERS], dtype=np.int64)


@njit(cache=True, inline="always")
def charge_lever(acc, x, j, u, col, k) -> None:
    """Add a month of lever ``k``'s costed quantity to run ``j``'s accumulator, from the run's
    state after the month (``x[:, j]``) and its month rows (``u[:, col]``, see
    :func:`~fentsim.model.demand_setup.cost_weights`)."""
    in_moud = x[_TR, j] + x[_TH, j]
    acc[_A_COST + k, j] += u[_U_CW + 4 * k + 0, col] * x[_ADDED, j] + u[_U_LV + k, col] * (
        u[_U_CW + 4 * k + 1, col] * in_moud
        + u[_U_CW + 4 * k + 2, col] * (x[_U, j] + x[_H, j] + x[_TH, j])
        + u[_U_CW + 4 * k + 3, col] * (x[_QR, j] + x[_QH, j] + x[_SS, j])
    )


@njit(cache=True, inline="always")
def charge_block(acc, x, u, charged, lanes) -> None:
    """:func:`charge_lever` for every charged lever and every run of a block (runs as columns)."""
    for k in range(charged.shape[0]):
        if charged[k]:
            for j in range(lanes):
                charge_lever(acc, x, j, u, j, k)


@njit(cache=True, inline="always")
def close_year(acc, j) -> None:
    """Set run ``j``'s accumulators that are sums of others (before they are recorded)."""
    acc[_A_D, j] = acc[_A_DRX, j] + acc[_A_DH, j] + acc[_A_DS, j]
    acc[_A_OUD, j] = acc[_A_R, j] + acc[_A_H, j] + acc[_A_MOUD, j]
    acc[_A_TOTAL, j] = (
        acc[_A_M, j] + acc[_A_R, j] + acc[_A_U, j] + acc[_A_H, j] + acc[_A_MOUD, j]
        + acc[_A_REM, j]
    )  # fmt: skip


@njit(cache=True)
def close_years(A) -> None:
    """:func:`close_year` for every run of ``A`` ``(runs, accumulators)``."""
    AT = A.T
    for j in range(A.shape[0]):
        close_year(AT, j)
