"""Channel outputs of the security levers that summarise the supply state (recorded monthly).

The lever catalogue (``policy/levers.toml``) names the model quantities each lever moves; the
supply component records them under those names. This module computes the ones that compare the
current state with the 1999 pattern or read the policy cache:

* ``flow_displaced_to_other_modes``: the balloon effect, in kg — the flow that has moved, since
  1999, onto the crossing modes whose detection has not risen (``Σ (share_k − share1999_k)`` over
  those modes, times the flow sent this month). Raising detection on one mode pushes flow off it;
  the part that lands on modes nobody has reinforced is counted;
* ``precursor_substitution``: the same for the precursor sources' capacity shares and the shipping
  mode shares (average of the two);
* detection probabilities and the between-port crossing cost from the policy cache.

Example:
    >>> import numpy as np
    >>> round(float(displacement(np.array([0.5, 0.5]), np.array([1.0, 0.0]))), 2)
    0.5
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .crossing import BP, COM, N_MODE, POV
from .precursors import N_SHIP, N_SRC
from .supply_io import ACC, ST

#: columns of the 1999 base matrix: source capacity shares, shipping shares, route shares, detection
B_SRC, B_SHIP, B_ROUTE = 0, N_SRC, N_SRC + N_SHIP
B_DET = B_ROUTE + N_MODE
N_BASE = B_DET + N_MODE
_RISEN = 1e-9  #: relative margin above the 1999 detection that counts as "reinforced"
_CAP, _SHIP, _ROUTE = ST["cap"], ST["ship"], ST["route"]
_DET, _COST, _DISP, _SUBST = (
    ACC["detect"],
    ACC["bp_cost"],
    ACC["displaced"],
    ACC["substitution"],
)


@njit(cache=True, inline="always")
def displacement(shares: np.ndarray, base: np.ndarray) -> float:
    """Half the L1 distance between two share vectors (in [0, 1])."""
    d = 0.0
    for k in range(shares.shape[0]):
        d += abs(shares[k] - base[k])
    return 0.5 * d


@njit(cache=True)
def base_shares(S: np.ndarray, det: np.ndarray) -> np.ndarray:
    """The 1999 shares (sources' capacity, shipping modes, crossing modes) and detection ``det``
    (one compiled pass over the runs; a source share is 0 where no source has capacity)."""
    n = S.shape[0]
    out = np.empty((n, N_BASE))
    for i in range(n):
        tot = 0.0
        for j in range(N_SRC):
            tot += S[i, _CAP + j]
        inv = 1.0 / max(tot, 1e-300)
        for j in range(N_SRC):
            out[i, B_SRC + j] = S[i, _CAP + j] * inv
        for m in range(N_SHIP):
            out[i, B_SHIP + m] = S[i, _SHIP + m]
        for k in range(N_MODE):
            out[i, B_ROUTE + k] = S[i, _ROUTE + k]
            out[i, B_DET + k] = det[i, k]
    return out


@njit(cache=True, inline="always")
def channels_month(S, i, C, det, bp_cost, base, sent, acc):
    """Add run ``i``'s channel values this month to the annual accumulators ``acc``.

    ``C[i, det:det+8]`` are the cached detection probabilities and ``C[i, bp_cost]`` the
    between-port crossing cost; ``base`` holds the 1999 shares (:func:`base_shares`).
    """
    acc[i, _DET] += C[i, det + POV]
    acc[i, _DET + 1] += C[i, det + COM]
    acc[i, _DET + 2] += C[i, det + BP]
    acc[i, _COST] += C[i, bp_cost]
    moved = 0.0
    for k in range(N_MODE):
        gained = S[i, _ROUTE + k] - base[i, B_ROUTE + k]
        moved += gained if C[i, det + k] <= base[i, B_DET + k] * (1.0 + _RISEN) else 0.0
    acc[i, _DISP] += moved * sent
    tot = 0.0
    for j in range(N_SRC):
        tot += S[i, _CAP + j]
    d = 0.0
    inv = 1.0 / tot if tot > 0.0 else 0.0
    for j in range(N_SRC):
        d += abs(S[i, _CAP + j] * inv - base[i, B_SRC + j])
    ship = 0.0
    for m in range(N_SHIP):
        ship += abs(S[i, _SHIP + m] - base[i, B_SHIP + m])
    acc[i, _SUBST] += 0.25 * (d + ship)
