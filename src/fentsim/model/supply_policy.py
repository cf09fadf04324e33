"""Policy-derived inputs of the supply kernel, recomputed only when a policy changes.

Detection probabilities and target route shares of the crossing modes, the between-port crossing
cost, and the loss rates and target shares of precursor shipping depend on the parameters and on
the policies in force (history plus plan) but not on the state, so they live in a cache (one row
per run) refreshed when the month's policy inputs differ from the last refresh. A plan level that
varies across runs (a design over intensities) disables the cache for its lever.

Example:
    >>> C_DET, C_RT
    (0, 8)
"""

from __future__ import annotations

import numpy as np

from . import crossing as cx
from . import precursors as pc
from .history import H

#: cache columns: detection and target shares of the crossing modes, shipping loss and target
#: shares, between-port crossing cost
C_DET, C_RT, C_SLOSS, C_SHIPT = 0, cx.N_MODE, 2 * cx.N_MODE, 2 * cx.N_MODE + pc.N_SHIP
C_BPCOST = C_SHIPT + pc.N_SHIP
N_CACHE = C_BPCOST + 1
CROSSING_LEVERS = ("poe_scanning_passenger", "poe_scanning_commercial", "border_barrier", "immigration_suspension")  # fmt: skip
_SCAN, _MILES, _IMMIG = H["scanning"], H["barrier_miles"], H["immigration_on"]


def _scalar(v) -> bool:
    return np.ndim(v) == 0


class PolicyCache:
    """The cache of one block of runs (``cache`` is ``(n, N_CACHE)``)."""

    def __init__(self, PP: np.ndarray, PX: np.ndarray):
        self.PP, self.PX = PP, PX
        self.n = PX.shape[0]
        self.cache = np.zeros((self.n, N_CACHE))
        self.static = cx.static_attraction(PX)
        self.lev = np.zeros((len(CROSSING_LEVERS), self.n))
        self.inspected = np.zeros(self.n)
        self._cross_key: object = None
        self._ship_key: object = None

    def refresh(self, h: np.ndarray, plan, m: int) -> None:
        """Bring the cache up to date for month ``m`` (history row ``h`` and the plan)."""
        lv = [plan.level(k, m) for k in CROSSING_LEVERS]
        key = (h[_SCAN], h[_MILES], h[_IMMIG], *lv) if all(map(_scalar, lv)) else None
        if key is None or key != self._cross_key:
            for j, v in enumerate(lv):
                self.lev[j] = v
            cx.crossing_policy(
                self.PX, h[_SCAN], h[_MILES], h[_IMMIG], self.lev, self.static, self.cache,
                C_DET, C_RT, C_BPCOST,
            )  # fmt: skip
            self._cross_key = key
        mi = plan.level("maritime_interdiction", m)
        key = mi if _scalar(mi) else None
        if key is None or key != self._ship_key:
            self.inspected[:] = mi
            pc.shipping_policy(self.PP, self.inspected, self.cache, C_SLOSS, C_SHIPT)
            self._ship_key = key
