"""Competing-risk outflows for a monthly step of a compartment model.

With per-year hazards ``r_1 … r_k`` acting on a stock ``S`` for one step ``dt``, the amount
leaving is ``S · (1 − exp(−Σr · dt))``, split in proportion to the hazards: flow ``j`` is
``leave_scale(S, Σr, dt) · r_j``. This keeps every stock non-negative for any rates and conserves
people exactly. The functions are compiled with numba so that model kernels can call them per run.

Example:
    >>> a = leave_scale(100.0, 4.0, 1.0) * 1.0
    >>> b = leave_scale(100.0, 4.0, 1.0) * 3.0
    >>> round(a + b, 4), round(b / a, 4)
    (98.1684, 3.0)
"""

from __future__ import annotations

import math

from numba import njit

#: below this exponent the Taylor series of 1 - exp(-x) (to x^9) is used: relative error < 3e-10
TAYLOR_LIMIT = 0.5


@njit(cache=True, inline="always")
def leave_fraction(x: float) -> float:
    """``1 − exp(−x)`` for ``x ≥ 0``: a nested Taylor series for small ``x`` (cheaper than libm)."""
    if x < TAYLOR_LIMIT:
        return x * (
            1
            - x
            / 2
            * (
                1
                - x
                / 3
                * (1 - x / 4 * (1 - x / 5 * (1 - x / 6 * (1 - x / 7 * (1 - x / 8 * (1 - x / 9))))))
            )
        )
    return -math.expm1(-x)


@njit(cache=True, inline="always")
def leave_scale(stock: float, total_rate: float, dt: float) -> float:
    """Amount leaving per unit hazard: multiply by each hazard to get its outflow."""
    if total_rate <= 0.0:
        return stock * dt
    return stock * leave_fraction(total_rate * dt) / total_rate
