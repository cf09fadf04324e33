"""Vectorised log-likelihood of observed series given model predictions, for every run at once.

Each family compares a prediction matrix ``pred`` of shape ``(n_runs, T)`` with ``T`` observed
points ``obs`` and returns one log-likelihood per run (the sum over points). A per-point ``scale``
(already widened for the figure's provenance, see :mod:`~fentsim.calibration.targets`) sets the
width. The families and the meaning of ``scale``:

===============  =====================================  ============================================
family           observation model                      ``scale``
===============  =====================================  ============================================
``lognormal``    ``log y ~ N(log mu, s^2)``             ``s``: sd of the log (≈ relative error)
``negbin``       ``y ~ NegBin(mean mu, size r)``        ``cv``: extra-Poisson coefficient of
                                                        variation; ``r = 1 / cv^2``
``logitnormal``  ``logit y ~ N(logit mu, s^2)``         ``s``: sd of the logit
``beta``         ``y ~ Beta(mu phi, (1 - mu) phi)``     ``phi``: precision (larger = tighter)
===============  =====================================  ============================================

Every density is complete (normalising constants and the Jacobian of the log or logit included),
so likelihoods of different series add up and the values can be checked by hand.

Example:
    >>> import numpy as np
    >>> pred = np.array([[100.0, 200.0], [110.0, 190.0]])
    >>> ll = loglik("lognormal", pred, np.array([100.0, 200.0]), np.array([0.1, 0.1]))
    >>> bool(ll[0] > ll[1])
    True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit, gammaln, logit

FAMILIES: tuple[str, ...] = ("lognormal", "negbin", "logitnormal", "beta")

#: Floor for predicted levels before taking logs: a zero prediction against a positive
#: observation gets a very low but finite likelihood, so tempering can still rank such runs.
LEVEL_FLOOR: float = 1e-12

#: Shares are clipped to [SHARE_EPS, 1 - SHARE_EPS] before the logit. Shares are published to a
#: tenth of a percent at best (NFLIS reports fentanyl as 0.6% of heroin+fentanyl in 2013), so a
#: recorded 0 means "below about half a percent": 0.005 keeps the logit finite without claiming
#: more precision than the data have.
SHARE_EPS: float = 0.005

_LOG_2PI = float(np.log(2.0 * np.pi))


def _normal_logpdf(x: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * _LOG_2PI


def lognormal(pred: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Log-normal log-likelihood per run; ``scale`` is the sd of ``log y``.

    Example:
        >>> import numpy as np
        >>> round(float(lognormal(np.array([[1.0]]), np.array([1.0]), np.array([1.0]))[0]), 4)
        -0.9189
    """
    ly = np.log(obs)
    lm = np.log(np.maximum(pred, LEVEL_FLOOR))
    return (_normal_logpdf(ly, lm, scale) - ly).sum(axis=-1)


def negbin(pred: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Negative-binomial log-likelihood per run (mean ``pred``, size ``1 / scale**2``).

    The variance is ``mu + (cv mu)^2``: Poisson counting noise plus a relative structural error
    ``cv``. Non-integer observations (deaths reallocated across categories) are allowed; the
    density is continued through the gamma function.

    Example:
        >>> import numpy as np
        >>> from scipy import stats
        >>> ll = negbin(np.array([[50.0]]), np.array([40.0]), np.array([0.5]))
        >>> bool(np.isclose(ll[0], stats.nbinom.logpmf(40, 4.0, 4.0 / 54.0)))
        True
    """
    r = 1.0 / scale**2
    mu = np.maximum(pred, LEVEL_FLOOR)
    out = (
        gammaln(obs + r)
        - gammaln(r)
        - gammaln(obs + 1.0)
        + r * (np.log(r) - np.log(r + mu))
        + obs * (np.log(mu) - np.log(r + mu))
    )
    return out.sum(axis=-1)


def _clip_share(x: np.ndarray) -> np.ndarray:
    return np.clip(x, SHARE_EPS, 1.0 - SHARE_EPS)


def logitnormal(pred: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Logit-normal log-likelihood per run for shares; ``scale`` is the sd of ``logit y``.

    Example:
        >>> import numpy as np
        >>> round(float(logitnormal(np.array([[0.5]]), np.array([0.5]), np.array([1.0]))[0]), 4)
        0.4674
    """
    y = _clip_share(obs)
    ly = logit(y)
    return (_normal_logpdf(ly, logit(_clip_share(pred)), scale) - np.log(y * (1.0 - y))).sum(
        axis=-1
    )


def beta(pred: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Beta log-likelihood per run for shares (mean ``pred``, precision ``scale``).

    Example:
        >>> import numpy as np
        >>> from scipy import stats
        >>> ll = beta(np.array([[0.3]]), np.array([0.4]), np.array([10.0]))
        >>> bool(np.isclose(ll[0], stats.beta.logpdf(0.4, 3.0, 7.0)))
        True
    """
    y = _clip_share(obs)
    mu = _clip_share(pred)
    a, b = mu * scale, (1.0 - mu) * scale
    out = (
        gammaln(scale) - gammaln(a) - gammaln(b) + (a - 1.0) * np.log(y) + (b - 1.0) * np.log1p(-y)
    )
    return out.sum(axis=-1)


_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "lognormal": lognormal,
    "negbin": negbin,
    "logitnormal": logitnormal,
    "beta": beta,
}


def loglik(family: str, pred: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Log-likelihood per run of ``obs`` (``T``) under predictions ``pred`` (``n × T``).

    Non-finite predictions (a run that blew up) give ``-inf`` for that run.
    """
    try:
        fn = _FUNCS[family]
    except KeyError:
        raise ValueError(
            f"likelihood family {family!r} is not one of {', '.join(FAMILIES)}"
        ) from None
    pred = np.asarray(pred, dtype=float)
    obs = np.asarray(obs, dtype=float)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), obs.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ll = fn(pred, obs, scale)
    return np.where(np.isfinite(ll), ll, -np.inf)


def sample_obs(
    family: str, pred: np.ndarray, scale: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw observations from the family around ``pred`` (posterior predictive noise).

    Example:
        >>> import numpy as np
        >>> y = sample_obs("lognormal", np.full((4000, 1), 100.0), np.array([0.1]), np.random.default_rng(1))
        >>> bool(abs(np.median(y) - 100.0) < 1.0)
        True
    """
    pred = np.asarray(pred, dtype=float)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), pred.shape)
    eps = rng.standard_normal(pred.shape)
    if family == "lognormal":
        return np.maximum(pred, LEVEL_FLOOR) * np.exp(scale * eps)
    if family == "logitnormal":
        return expit(logit(_clip_share(pred)) + scale * eps)
    if family == "negbin":
        r = 1.0 / scale**2
        mu = np.maximum(pred, LEVEL_FLOOR)
        return rng.negative_binomial(r, r / (r + mu)).astype(float)
    if family == "beta":
        mu = _clip_share(pred)
        return rng.beta(mu * scale, (1.0 - mu) * scale)
    raise ValueError(f"likelihood family {family!r} is not one of {', '.join(FAMILIES)}")


class Likelihood:
    """The joint log-likelihood of several series: the sum of per-series terms, per run.

    ``parts`` are bound targets (:class:`~fentsim.calibration.targets.TargetData`): anything with
    a ``name`` and a ``loglik(result) -> (n_runs,)`` method. Series are treated as independent
    given the parameters.

    Example:
        >>> import numpy as np, pandas as pd
        >>> from fentsim.model.result import SimResult
        >>> from fentsim.calibration.targets import Target, bind
        >>> obs = pd.DataFrame({"series": "d", "year": [2000], "value": [10.0]})
        >>> lik = Likelihood(bind([Target("d", "d", ("d",), "lognormal", 0.1)], obs))
        >>> res = SimResult(np.array([2000]), {"d": np.array([[10.0], [20.0]])})
        >>> ll = lik(res)
        >>> ll.shape, bool(ll[0] > ll[1])
        ((2,), True)
    """

    def __init__(self, parts):
        self.parts = tuple(parts)
        if not self.parts:
            raise ValueError("a likelihood needs at least one observed series")
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"calibration targets have duplicate names: {names}")

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parts]

    @property
    def last_year(self) -> int:
        """The latest observed year across series."""
        return int(max(p.years.max() for p in self.parts))

    @property
    def first_year(self) -> int:
        return int(min(p.years.min() for p in self.parts))

    def per_series(self, result) -> dict[str, np.ndarray]:
        """Log-likelihood per run for each series."""
        return {p.name: p.loglik(result) for p in self.parts}

    def __call__(self, result) -> np.ndarray:
        """Joint log-likelihood per run (``-inf`` for runs with non-finite output)."""
        total = np.zeros(result.n_runs)
        for p in self.parts:
            total += p.loglik(result)
        return np.where(np.isnan(total), -np.inf, total)
