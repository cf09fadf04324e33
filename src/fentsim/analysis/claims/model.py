"""Model computations for claims: projections from ``fentsim.api`` with their uncertainty.

They call the one-line API (looked up when the claim is evaluated, so the audit works before
the model exists):

* ``fentsim.api.run(portfolio=NAME, runs=N, seed=S)`` → an object with ``.years`` and
  ``.outcomes[outcome]`` as an ``(n_runs, n_years)`` array;
* ``fentsim.api.compare([NAMES], runs=N, seed=S, window=(first, last))`` → an object whose
  ``.to_json()`` gives ``{"window": [first, last], "reference": NAME, "portfolios": {NAME:
  {"deaths": {"mean", "p05", "p95"}, "averted": {"mean", "p05", "p95"}, ...}}}``.

When the model is switched off (``--no-model``), or the API is missing or refuses the request,
:class:`ModelUnavailable` is raised and the claim is reported as "not evaluated" with the reason.
Intervals are the 5th-95th percentiles across runs.

Example:
    >>> ctx = ModelContext(runs=10, seed=1, enabled=False)
    >>> try:
    ...     model_total(ctx, outcome="opioid_deaths", portfolio="status-quo", window=[2024, 2033])
    ... except ModelUnavailable as exc:
    ...     print(exc)
    model runs switched off (--no-model)
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import UserError
from .computations import Computed, register

#: Percentiles reported as the interval of a model quantity (5th-95th).
INTERVAL = (5.0, 95.0)


class ModelUnavailable(Exception):  # noqa: N818 - reported as verdict "not evaluated"
    """The model cannot be run for this audit (switched off, not installed, or refused)."""


@dataclass
class ModelContext:
    """How model claims are run: ensemble size, seed, on/off, and a cache of API calls."""

    runs: int
    seed: int
    enabled: bool = True
    cache: dict[Any, Any] = field(default_factory=dict)

    def api(self, name: str) -> Any:
        """The function ``fentsim.api.<name>``, or :class:`ModelUnavailable` saying why not."""
        if not self.enabled:
            raise ModelUnavailable("model runs switched off (--no-model)")
        try:
            module = importlib.import_module("fentsim.api")
            return getattr(module, name)
        except (ImportError, AttributeError) as exc:
            raise ModelUnavailable(f"fentsim.api.{name} is not available ({exc})") from None

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``fentsim.api.<name>`` once per distinct request; refusals become ModelUnavailable."""
        key = (name, repr(args), repr(sorted(kwargs.items())))
        if key not in self.cache:
            fn = self.api(name)
            try:
                self.cache[key] = fn(*args, runs=self.runs, seed=self.seed, **kwargs)
            except (ImportError, AttributeError, NotImplementedError, UserError) as exc:
                raise ModelUnavailable(f"fentsim.api.{name} failed: {exc}") from None
        return self.cache[key]


def _stats(samples: np.ndarray) -> tuple[float, float, float]:
    lo, hi = np.percentile(samples, INTERVAL)
    return float(np.mean(samples)), float(lo), float(hi)


@register("model_total", kind="model")
def model_total(ctx: ModelContext, outcome: str, portfolio: str, window: Sequence[int]) -> Computed:
    """Projected total of a model outcome over the inclusive years ``window`` (mean, 5-95% interval)."""
    first, last = (int(y) for y in window)
    result = ctx.call("run", portfolio=portfolio)
    years = np.asarray(result.years).astype(int)
    if outcome not in result.outcomes:
        raise ModelUnavailable(f"the model has no outcome {outcome!r}")
    sel = (years >= first) & (years <= last)
    if sel.sum() != last - first + 1:
        return Computed(
            missing=f"the model run covers {years.min()}-{years.max()}, not {first}-{last}"
        )
    per_run = np.asarray(result.outcomes[outcome])[:, sel].sum(axis=1)
    mean, lo, hi = _stats(per_run)
    detail = (
        f"{portfolio}: {outcome} {first}-{last} = {mean:,.0f} (90% interval {lo:,.0f}-{hi:,.0f}; "
        f"{ctx.runs} runs, seed {ctx.seed})"
    )
    return Computed(mean, lo, hi, "estimate", detail=detail)


def _comparison(
    ctx: ModelContext,
    portfolios: Sequence[str],
    window: Sequence[int],
    requires: Sequence[str] = (),
) -> tuple[dict[str, Any], Any]:
    """The comparison as a dict (and the raw object); ModelUnavailable if a portfolio or a
    ``requires`` metric is absent.

    ``requires`` names comparison metrics the claim depends on (e.g. ``fentanyl_delivered_kg``
    for portfolios that act on the supply side): a model that reports them as null does not
    simulate the channel the policy works through, so it cannot judge the claim.
    """
    res = ctx.call("compare", list(portfolios), window=tuple(int(y) for y in window))
    out = res.to_json() if hasattr(res, "to_json") else res
    data = json.loads(out) if isinstance(out, str | bytes) else out
    missing = [p for p in portfolios if p not in data.get("portfolios", {})]
    if missing:
        raise ModelUnavailable(f"the comparison lacks portfolio(s) {missing}")
    for metric in requires:
        absent = [p for p in portfolios if data["portfolios"][p].get(metric) is None]
        if absent:
            raise ModelUnavailable(
                f"the model reports no {metric} for {', '.join(absent)}: it does not yet simulate "
                "the channel these policies act through"
            )
    return data, res


def _paired(res: Any, name: str, metric: str) -> np.ndarray | None:
    """Per-run values of a metric when the comparison exposes them (``.samples[name][metric]``)."""
    samples = getattr(res, "samples", None)
    try:
        values = samples[name][metric]  # type: ignore[index]
    except (TypeError, KeyError):
        return None
    return None if values is None else np.asarray(values, dtype=float)


@register("model_best", kind="model")
def model_best(
    ctx: ModelContext,
    portfolio: str,
    portfolios: Sequence[str],
    window: Sequence[int],
    requires: Sequence[str] = (),
) -> Computed:
    """Deaths averted by ``portfolio`` relative to the best other compared portfolio: the ratio of
    their means (>= 1: the most effective of those compared); the interval is 1 + the paired
    per-run difference / the best other's mean, when the comparison exposes per-run samples."""
    data, res = _comparison(ctx, portfolios, window, requires)
    ref = data.get("reference")
    averted = {p: float(v["averted"]["mean"]) for p, v in data["portfolios"].items() if p != ref}
    if portfolio not in averted:
        raise UserError(
            f"portfolio {portfolio!r} must be one of the compared non-reference portfolios {sorted(averted)}"
        )
    others = {p: a for p, a in averted.items() if p != portfolio}
    if not others:
        raise UserError("model_best needs another non-reference portfolio to compare against")
    best_name = max(others, key=lambda p: others[p])
    best, mine = others[best_name], averted[portfolio]
    table = ", ".join(
        f"{p} {v['averted']['mean']:,.0f} [{v['averted']['p05']:,.0f}, {v['averted']['p95']:,.0f}]"
        for p, v in data["portfolios"].items()
        if p != ref
    )
    detail = (
        f"deaths averted vs {ref}, {window[0]}-{window[1]} (mean [5%, 95%]; {ctx.runs} runs, "
        f"seed {ctx.seed}): {table}; best other: {best_name}"
    )
    if best <= 0:
        return Computed(float("inf") if mine > 0 else 0.0, detail=detail)
    a, b = _paired(res, portfolio, "averted"), _paired(res, best_name, "averted")
    if a is None or b is None or a.shape != b.shape:
        return Computed(mine / best, detail=detail)
    _, lo, hi = _stats(1.0 + (a - b) / best)
    share = float(np.mean(a > b))
    detail += f"; {portfolio} averts more than {best_name} in {share:.0%} of paired runs"
    return Computed(mine / best, lo, hi, "estimate", detail=detail)


@register("model_averted_share", kind="model")
def model_averted_share(
    ctx: ModelContext,
    portfolio: str,
    portfolios: Sequence[str],
    window: Sequence[int],
    requires: Sequence[str] = (),
) -> Computed:
    """Deaths averted by ``portfolio`` as a share of the reference portfolio's deaths over ``window``
    (the comparison's per-run ``averted_share`` when it reports one)."""
    data, _ = _comparison(ctx, portfolios, window, requires)
    ref = data.get("reference")
    if ref not in data["portfolios"]:
        raise ModelUnavailable(f"the comparison's reference {ref!r} is not among its portfolios")
    base = float(data["portfolios"][ref]["deaths"]["mean"])
    if base <= 0:
        return Computed(missing=f"reference {ref} has no deaths in {window[0]}-{window[1]}")
    mine = data["portfolios"][portfolio]
    av = mine["averted"]
    share = mine.get("averted_share")
    if share is not None:
        mean, lo, hi = (float(share[k]) for k in ("mean", "p05", "p95"))
    else:
        mean, lo, hi = (float(av[k]) / base for k in ("mean", "p05", "p95"))
    detail = (
        f"{portfolio} averts {av['mean']:,.0f} [{av['p05']:,.0f}, {av['p95']:,.0f}] of {base:,.0f} deaths "
        f"under {ref}, {window[0]}-{window[1]}: {mean:.1%} [{lo:.1%}, {hi:.1%}] ({ctx.runs} runs, "
        f"seed {ctx.seed})"
    )
    return Computed(mean, lo, hi, "estimate", detail=detail)
