"""Goodness-of-fit measures reported the way SOURCE reports them (R², MAPE).

Example:
    >>> import numpy as np
    >>> round(r_squared(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.9, 3.0])), 3)
    0.99
    >>> round(mape(np.array([100.0, 200.0]), np.array([110.0, 180.0])), 1)
    10.0
"""

from __future__ import annotations

import numpy as np


def r_squared(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination ``1 − SS_res / SS_tot``."""
    obs = np.asarray(observed, dtype=float)
    pred = np.asarray(predicted, dtype=float)
    ss_tot = float(((obs - obs.mean()) ** 2).sum())
    if ss_tot == 0:
        return float("nan")
    return 1.0 - float(((obs - pred) ** 2).sum()) / ss_tot


def mape(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error, in percent."""
    obs = np.asarray(observed, dtype=float)
    pred = np.asarray(predicted, dtype=float)
    return float(np.mean(np.abs(pred - obs) / np.abs(obs)) * 100.0)
