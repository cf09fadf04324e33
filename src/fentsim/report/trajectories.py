"""Yearly trajectories of a comparison's runs, for fan charts and the data fit.

:func:`fentsim.analysis.compare.compare` keeps only window totals per run. The report and the
dashboard also need each portfolio's yearly outputs, so :func:`compare_with_trajectories` passes
compare an extra engine component, :class:`Tap`, through compare's public ``components`` argument:
it computes nothing and, at each block's last month, hands over that block's
:class:`~fentsim.model.recorder.Recorder`. compare runs portfolios in order and blocks in order, so
the recorders split evenly by portfolio. The comparison's own numbers are untouched (the tap
writes no output and no signal). When a comparison exposes ``results`` itself, that is used.

Example:
    >>> import numpy as np
    >>> from fentsim.model.clock import Clock
    >>> from fentsim.model.recorder import Output, Recorder
    >>> sink = []
    >>> tap = Tap(sink)
    >>> tap.init({}, Clock(2030, 2030), {})
    >>> rec = Recorder(Clock(2030, 2030), 2, [Output("x", "flow", "kg", "demo")])
    >>> for m in range(12):
    ...     tap.step(m, None, {}, rec)
    >>> len(sink)
    1
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from ..model.result import SimResult


class Tap:
    """An engine component that records nothing and hands over its block's recorder at the end."""

    name = "report_tap"
    outputs: tuple = ()

    def __init__(self, sink: list[Any]):
        self.sink = sink
        self.last = -1

    def init(self, p: Any, clock: Any, ctx: dict[str, np.ndarray]) -> None:
        self.last = clock.n_months - 1

    def step(self, m: int, plan: Any, ctx: dict[str, np.ndarray], rec: Any) -> None:
        if m == self.last:
            self.sink.append(rec)


class WithTrajectories:
    """A comparison plus ``results[name]`` (:class:`SimResult`); everything else is delegated."""

    def __init__(self, comparison: Any, results: dict[str, SimResult]):
        self.comparison = comparison
        self.results = results

    def to_json(self) -> dict[str, Any]:
        return self.comparison.to_json()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.comparison, name)


def _results(
    names: Sequence[str], sink: list[Any], keep: Collection[str] | None
) -> dict[str, SimResult]:
    per = len(sink) // len(names)
    out: dict[str, SimResult] = {}
    for i, name in enumerate(names):
        recs = sink[i * per : (i + 1) * per]
        parts = [r.result() for r in recs]
        keys = [k for k in parts[0] if keep is None or k in keep]
        outcomes = {k: np.concatenate([p[k] for p in parts]) for k in keys}
        meta = {k: recs[0].meta[k] for k in keys}
        out[name] = SimResult(recs[0].clock.years, outcomes, meta, name)
    return out


def compare_with_trajectories(
    compare: Callable[..., Any],
    default_components: Callable[[str], Callable[[], Sequence[Any]]],
    portfolios: Sequence[Any],
    keep: Collection[str] | None = None,
    **kwargs: Any,
) -> Any:
    """``compare(portfolios, **kwargs)`` with per-portfolio trajectories of the outputs in ``keep``.

    Returns the comparison itself when it already has ``results``, or when its recorders cannot
    be attributed to portfolios (then the report says the trajectories are not available).
    """
    sink: list[Any] = []
    base = default_components(kwargs.get("exposure", "coupled"))
    comp = compare(list(portfolios), components=lambda: [*base(), Tap(sink)], **kwargs)
    if getattr(comp, "results", None):
        return comp
    names = list(getattr(comp, "names", None) or comp.to_json()["portfolios"])
    if not sink or len(sink) % len(names):
        return comp
    return WithTrajectories(comp, _results(names, sink, keep))
