"""Row helpers for the compiled derivations of parameter matrices (one row per run).

Each component's ``derived`` function copies the sampled parameters of a run into the wider
matrix its kernel reads and appends per-run constants; weight groups (source, mode or
organisation weights) are normalised to sum to 1.

Example:
    >>> import numpy as np
    >>> P, out = np.array([[1.0, 3.0, 5.0]]), np.zeros((1, 4))
    >>> copy_params(P, out, 0, 3); normalise(P, out, 0, 0, 2); out.tolist()
    [[0.25, 0.75, 5.0, 0.0]]
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def copy_params(P, out, i, count) -> None:
    """``out[i, :count] = P[i, :count]``."""
    for c in range(count):
        out[i, c] = P[i, c]


@njit(cache=True, inline="always")
def normalise(P, out, i, first, count) -> None:
    """Columns ``first … first + count − 1`` of run ``i``, divided by their sum, into ``out``."""
    total = 0.0
    for k in range(count):
        total += P[i, first + k]
    for k in range(count):
        out[i, first + k] = P[i, first + k] / total
