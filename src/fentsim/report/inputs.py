"""What the report and the dashboard read from the rest of fentsim, behind one small adapter each.

Every adapter calls the real module (comparison, calibration data, sensitivity, scenario
discovery, claims audit, registry, data catalogue) and returns its result, or an
:class:`Unavailable` saying why it could not: the module is not part of this build yet, or it
refused the input (:class:`~fentsim.errors.UserError`), or it failed (the exception is named, so
the failure is visible in the report instead of hidden).

Example:
    >>> r = attempt("demo", lambda: 1 / 0)
    >>> isinstance(r, Unavailable), r.reason
    (True, 'demo failed: ZeroDivisionError: division by zero')
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import UserError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: the portfolios compared when none are named (the essay's question, as in ``make demo``)
DEFAULT_PORTFOLIOS: tuple[str, ...] = (
    "status-quo",
    "essay",
    "public-health",
    "essay+public-health",
)
DEFAULT_WINDOW: tuple[int, int] = (2026, 2035)

#: ``progress(label, done, total)``, the same callback as :mod:`fentsim.analysis.outcomes`
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Unavailable:
    """A report input that could not be produced, and why (shown as "not available: <reason>")."""

    reason: str


class NotAvailableError(Exception):
    """An upstream module or function is not part of this build yet."""


def attempt(what: str, fn: Callable[[], T]) -> T | Unavailable:
    """``fn()``, or an :class:`Unavailable` naming what went wrong."""
    try:
        return fn()
    except NotAvailableError as exc:
        return Unavailable(str(exc))
    except UserError as exc:
        return Unavailable(f"{what}: {exc}")
    except Exception as exc:
        log.warning("report input %s failed", what, exc_info=True)
        return Unavailable(f"{what} failed: {type(exc).__name__}: {exc}")


def need(module: str, attr: str | None = None) -> Any:
    """Import ``module`` (and fetch ``attr``) or raise :class:`NotAvailableError` with a readable reason."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise NotAvailableError(f"{module} is not part of this build yet") from None
        raise
    if attr is None:
        return mod
    if not hasattr(mod, attr):
        raise NotAvailableError(f"{module}.{attr} is not part of this build yet")
    return getattr(mod, attr)


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


# --- comparison --------------------------------------------------------------------------------


def run_comparison(
    portfolios: Sequence[Any],
    runs: int,
    seed: int,
    window: tuple[int, int] = DEFAULT_WINDOW,
    exposure: str = "coupled",
    progress: Progress | None = None,
    keep: Collection[str] | None = None,
) -> Any:
    """Run :func:`fentsim.analysis.compare.compare`, keeping yearly trajectories of ``keep``.

    Raises :class:`NotAvailableError` while compare is not part of the build.
    """
    compare = need("fentsim.analysis.compare", "compare")
    kwargs: dict[str, Any] = {
        "runs": runs,
        "seed": seed,
        "window": tuple(window),
        "exposure": exposure,
    }
    if _accepts(compare, "end"):
        kwargs["end"] = max(int(window[1]), 2035)
    if progress is not None and _accepts(compare, "progress"):
        kwargs["progress"] = progress
    if _accepts(compare, "keep"):  # yearly trajectories for fan charts and the data fit
        kwargs["keep"] = list(keep) if keep is not None else ["*"]
    return compare(list(portfolios), **kwargs)


def comparison_json(comparison: Any) -> dict[str, Any]:
    """The comparison's JSON summary (the ``compare --json`` contract)."""
    return comparison.to_json()


def comparison_results(comparison: Any) -> Mapping[str, Any] | Unavailable:
    """Per-portfolio :class:`~fentsim.model.result.SimResult` of a comparison, in order."""
    for attr in ("results", "sims", "runs_by_portfolio"):
        res = getattr(comparison, attr, None)
        if isinstance(res, Mapping) and res:
            return res
    return Unavailable("the comparison does not expose its per-portfolio model runs (.results)")


# --- observed data ---------------------------------------------------------------------------


def observed_series() -> Any:
    """Calibration targets from :func:`fentsim.data.observed_series`."""
    return need("fentsim.data", "observed_series")()


def calibration_targets() -> Any:
    """The mapping of observed series to model outputs (:mod:`fentsim.calibration.targets`)."""
    mod = need("fentsim.calibration.targets")
    for attr in ("targets", "load_targets", "TARGETS"):
        obj = getattr(mod, attr, None)
        if obj is not None:
            return obj() if callable(obj) else obj
    raise NotAvailableError("fentsim.calibration.targets has no targets() yet")


def datasets() -> Any:
    """The shipped data files with their sources (:mod:`fentsim.data`)."""
    data = need("fentsim.data")
    for attr in ("catalogue", "catalog", "datasets", "list_datasets", "names"):
        fn = getattr(data, attr, None)
        if callable(fn):
            return fn()
    raise NotAvailableError("fentsim.data has no catalogue of its files yet")


def load_dataset(name: str) -> Any:
    """One shipped series (:func:`fentsim.data.load`)."""
    return need("fentsim.data", "load")(name)


# --- analyses --------------------------------------------------------------------------------


def sensitivity(
    portfolio: str,
    against: str,
    outcome: str,
    samples: int,
    seed: int,
    window: tuple[int, int],
    method: str = "sobol",
    exposure: str = "coupled",
) -> Any:
    """:func:`fentsim.analysis.sensitivity.sensitivity` of one outcome."""
    fn = need("fentsim.analysis.sensitivity", "sensitivity")
    return fn(
        portfolio,
        against=against,
        outcome=outcome,
        method=method,
        samples=samples,
        seed=seed,
        window=tuple(window),
        exposure=exposure,
    )


def scenario_discovery(
    portfolio: str,
    against: str,
    share: float,
    runs: int,
    seed: int,
    window: tuple[int, int],
    exposure: str = "coupled",
) -> Any:
    """:func:`fentsim.analysis.prim.discover`: when does ``portfolio`` avert at least ``share``?"""
    fn = need("fentsim.analysis.prim", "discover")
    return fn(
        portfolio,
        against=against,
        averted_share_at_least=share,
        runs=runs,
        seed=seed,
        window=tuple(window),
        exposure=exposure,
    )


def claims_audit(runs: int | None = None, seed: int | None = None) -> list[dict[str, Any]]:
    """The claims audit (:func:`fentsim.analysis.claims.evaluate`) as JSON-ready records."""
    evaluate = need("fentsim.analysis.claims", "evaluate")
    kwargs: dict[str, Any] = {}
    if runs is not None and _accepts(evaluate, "runs"):
        kwargs["runs"] = runs
    if seed is not None and _accepts(evaluate, "seed"):
        kwargs["seed"] = seed
    return [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in evaluate(**kwargs)]


def registry() -> Any:
    """The parameter registry (:func:`fentsim.params.load_registry`)."""
    return need("fentsim.params", "load_registry")()
