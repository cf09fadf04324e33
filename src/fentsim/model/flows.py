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
def leave_fraction_per_hazard(x: float) -> float:
    """``(1 − exp(−x)) / x`` for ``x ≥ 0`` (1 at 0): a nested Taylor series for small ``x``
    (no division, cheaper than libm), ``−expm1(−x) / x`` above :data:`TAYLOR_LIMIT`."""
    if x < TAYLOR_LIMIT:
        return 1.0 - x * (1.0 / 2.0) * (
            1.0 - x * (1.0 / 3.0) * (
                1.0 - x * (1.0 / 4.0) * (
                    1.0 - x * (1.0 / 5.0) * (
                        1.0 - x * (1.0 / 6.0) * (
                            1.0 - x * (1.0 / 7.0) * (1.0 - x * (1.0 / 8.0) * (1.0 - x * (1.0 / 9.0)))
                        )
                    )
                )
            )
        )  # fmt: skip
    return -math.expm1(-x) / x


@njit(cache=True, inline="always")
def leave_fraction(x: float) -> float:
    """``1 − exp(−x)`` for ``x ≥ 0``."""
    return x * leave_fraction_per_hazard(x)


@njit(cache=True, inline="always")
def leave_scale(stock: float, total_rate: float, dt: float) -> float:
    """Amount leaving per unit hazard: multiply by each hazard to get its outflow."""
    return stock * dt * leave_fraction_per_hazard(total_rate * dt)
