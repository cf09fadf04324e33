"""Prior distributions for registry parameters, evaluated through their quantile function.

Every prior maps uniform variates ``u`` in (0, 1) to parameter values with :meth:`Prior.ppf`,
so any design on the unit hypercube (Latin hypercube, Sobol, plain Monte Carlo) becomes a
parameter sample. Supported families and their arguments:

================  ==========================  ======================================
``dist``          arguments                   notes
================  ==========================  ======================================
``fixed``         —                           always the point value
``uniform``       ``low``, ``high``
``loguniform``    ``low``, ``high``           both > 0
``triangular``    ``low``, ``mode``, ``high``
``normal``        ``mean``, ``sd``            optional ``low``/``high`` truncation
``lognormal``     ``median``, ``gsd``         geometric sd > 1
``beta``          ``a``, ``b``                optional ``low``/``high`` rescaling
================  ==========================  ======================================

Example:
    >>> p = Prior.from_spec({"dist": "uniform", "low": 1.0, "high": 3.0})
    >>> float(p.ppf(0.5))
    2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserError

_ARGS: dict[str, tuple[set[str], set[str]]] = {
    # dist: (required, optional)
    "fixed": (set(), set()),
    "uniform": ({"low", "high"}, set()),
    "loguniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
    "normal": ({"mean", "sd"}, {"low", "high"}),
    "lognormal": ({"median", "gsd"}, set()),
    "beta": ({"a", "b"}, {"low", "high"}),
}

DISTRIBUTIONS: tuple[str, ...] = tuple(_ARGS)


class PriorError(UserError):
    """A prior specification that cannot be evaluated."""


@dataclass(frozen=True)
class Prior:
    """A one-dimensional prior distribution.

    Attributes:
        dist: the family name (one of :data:`DISTRIBUTIONS`).
        args: the family's arguments.
    """

    dist: str
    args: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Prior:
        """Build a prior from a registry table such as ``{"dist": "beta", "a": 2, "b": 5}``."""
        spec = dict(spec)
        dist = spec.pop("dist", None)
        if dist not in _ARGS:
            raise PriorError(f"prior.dist is {dist!r}; allowed: {', '.join(DISTRIBUTIONS)}")
        required, optional = _ARGS[dist]
        missing = required - set(spec)
        unknown = set(spec) - required - optional
        if missing:
            raise PriorError(f"prior '{dist}' needs {', '.join(sorted(missing))}")
        if unknown:
            allowed = ", ".join(sorted(required | optional)) or "no arguments"
            raise PriorError(
                f"prior '{dist}' got unknown {', '.join(sorted(unknown))}; allowed: {allowed}"
            )
        args: dict[str, float] = {}
        for key, value in spec.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PriorError(f"prior argument {key} must be a number, got {value!r}")
            args[key] = float(value)
        prior = cls(dist, args)
        prior._check()
        return prior

    def _check(self) -> None:
        a = self.args
        if self.dist in {"uniform", "loguniform", "triangular"} and not a["low"] < a["high"]:
            raise PriorError(f"prior '{self.dist}' needs low < high")
        if self.dist == "loguniform" and a["low"] <= 0:
            raise PriorError("prior 'loguniform' needs low > 0")
        if self.dist == "triangular" and not a["low"] <= a["mode"] <= a["high"]:
            raise PriorError("prior 'triangular' needs low <= mode <= high")
        if self.dist == "normal" and a["sd"] <= 0:
            raise PriorError("prior 'normal' needs sd > 0")
        if self.dist == "lognormal" and (a["median"] <= 0 or a["gsd"] <= 1):
            raise PriorError("prior 'lognormal' needs median > 0 and gsd > 1")
        if self.dist == "beta" and (a["a"] <= 0 or a["b"] <= 0):
            raise PriorError("prior 'beta' needs a > 0 and b > 0")
        lo, hi = self.support
        if not lo < hi and self.dist != "fixed":
            raise PriorError(f"prior '{self.dist}' has an empty support [{lo}, {hi}]")

    @property
    def support(self) -> tuple[float, float]:
        """The closed interval that holds every value the prior can produce."""
        a = self.args
        if self.dist == "fixed":
            return (-np.inf, np.inf)
        if self.dist in {"uniform", "loguniform", "triangular"}:
            return (a["low"], a["high"])
        if self.dist == "lognormal":
            return (0.0, np.inf)
        if self.dist == "beta":
            return (a.get("low", 0.0), a.get("high", 1.0))
        return (a.get("low", -np.inf), a.get("high", np.inf))  # normal, maybe truncated

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the prior's support."""
        lo, hi = self.support
        return bool(lo <= value <= hi)

    def ppf(self, u: np.ndarray | float, point: float | None = None) -> np.ndarray:
        """Map uniform variates to parameter values (vectorised quantile function).

        Args:
            u: uniform variates in (0, 1), any shape.
            point: the value a ``fixed`` prior returns.
        """
        from scipy import stats  # imported here: scipy.stats is slow to import

        u = np.asarray(u, dtype=float)
        a = self.args
        if self.dist == "fixed":
            if point is None:
                raise PriorError("a fixed prior needs the point value")
            return np.full(u.shape, float(point))
        if self.dist == "uniform":
            return a["low"] + u * (a["high"] - a["low"])
        if self.dist == "loguniform":
            lo, hi = np.log(a["low"]), np.log(a["high"])
            return np.exp(lo + u * (hi - lo))
        if self.dist == "triangular":
            c = (a["mode"] - a["low"]) / (a["high"] - a["low"])
            return stats.triang.ppf(u, c, loc=a["low"], scale=a["high"] - a["low"])
        if self.dist == "normal":
            lo = (a.get("low", -np.inf) - a["mean"]) / a["sd"]
            hi = (a.get("high", np.inf) - a["mean"]) / a["sd"]
            return stats.truncnorm.ppf(u, lo, hi, loc=a["mean"], scale=a["sd"])
        if self.dist == "lognormal":
            return a["median"] * np.exp(np.log(a["gsd"]) * stats.norm.ppf(u))
        # beta
        lo, hi = a.get("low", 0.0), a.get("high", 1.0)
        return lo + (hi - lo) * stats.beta.ppf(u, a["a"], a["b"])

    def logpdf(self, x: np.ndarray | float) -> np.ndarray:
        """Log prior density (up to the fixed prior's point mass, which has density 0)."""
        from scipy import stats

        x = np.asarray(x, dtype=float)
        a = self.args
        if self.dist == "fixed":
            return np.zeros(x.shape)
        if self.dist == "uniform":
            return stats.uniform.logpdf(x, a["low"], a["high"] - a["low"])
        if self.dist == "loguniform":
            return stats.loguniform.logpdf(x, a["low"], a["high"])
        if self.dist == "triangular":
            c = (a["mode"] - a["low"]) / (a["high"] - a["low"])
            return stats.triang.logpdf(x, c, loc=a["low"], scale=a["high"] - a["low"])
        if self.dist == "normal":
            lo = (a.get("low", -np.inf) - a["mean"]) / a["sd"]
            hi = (a.get("high", np.inf) - a["mean"]) / a["sd"]
            return stats.truncnorm.logpdf(x, lo, hi, loc=a["mean"], scale=a["sd"])
        if self.dist == "lognormal":
            return stats.lognorm.logpdf(x, np.log(a["gsd"]), scale=a["median"])
        lo, hi = a.get("low", 0.0), a.get("high", 1.0)
        return stats.beta.logpdf(x, a["a"], a["b"], loc=lo, scale=hi - lo)

    def describe(self) -> str:
        """A short human-readable form, e.g. ``uniform(1, 3)``."""
        if self.dist == "fixed":
            return "fixed"
        inner = ", ".join(f"{k}={v:g}" for k, v in self.args.items())
        return f"{self.dist}({inner})"
