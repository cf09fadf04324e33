"""Compare portfolios on the same parameter draws: deaths, deaths averted, cost, violence.

:func:`compare` runs every portfolio over one set of parameter draws (common random numbers), so
the per-run difference against the first portfolio named (the reference) is the policy's effect,
not sampling noise. Per portfolio, over the years of ``window`` (both inclusive):

==============================  ================================================================
metric                          value per run
==============================  ================================================================
``deaths``                      cumulative US opioid deaths (``opioid_deaths``)
``averted``                     reference deaths − portfolio deaths
``averted_share``               averted / reference deaths
``cost_usd``                    cumulative programme cost (``programme_cost_usd``)
``cost_per_death_averted_usd``  (cost − reference cost) / averted — see below
``homicides``                   cumulative Mexican homicides (``mexico_homicides``)
``homicides_change``            portfolio homicides − reference homicides
``civilian_harm``               cumulative civilian harm (``civilian_harm``)
``fentanyl_delivered_kg``       cumulative fentanyl delivered (``fentanyl_delivered_kg``)
==============================  ================================================================

Each is reported as mean, p05 and p95 over runs. Outputs that the model does not produce (the
supply side may not be built) are reported as ``null``, never invented. Level outputs are averaged
over the window instead of summed.

Cost per death averted: a run in which the portfolio averts no deaths (averted ≤ 0) has no finite
cost per death averted and counts as +∞; a quantile that falls on such runs is ``null`` (so p95 is
``null`` when more than 5% of runs avert nothing). The mean is the ratio of mean incremental cost
to mean deaths averted, ``null`` when mean deaths averted ≤ 0. The reference has none.

See :func:`compare` for an example.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserError
from ..model.clock import Clock
from ..model.result import SimResult
from ..params import ParamSet

DEFAULT_WINDOW: tuple[int, int] = (2026, 2035)
DEFAULT_RUNS = 200
QUANTILES: tuple[tuple[str, float], ...] = (("p05", 0.05), ("p95", 0.95))
METRICS: tuple[str, ...] = (
    "deaths", "averted", "averted_share", "cost_usd", "cost_per_death_averted_usd",
    "homicides", "homicides_change", "civilian_harm", "fentanyl_delivered_kg",
)  # fmt: skip
#: metric → model output summed over the window
OUTPUTS: dict[str, str] = {
    "deaths": "opioid_deaths",
    "cost_usd": "programme_cost_usd",
    "homicides": "mexico_homicides",
    "civilian_harm": "civilian_harm",
    "fentanyl_delivered_kg": "fentanyl_delivered_kg",
}

Progress = Callable[[str, int, int], None]  #: ``progress(label, done, total)``


def projection_draws(n: int, seed: int) -> ParamSet:
    """``n`` parameter draws for projections from ``seed`` (the one place that chooses them):
    calibrated draws where a posterior ships, the priors elsewhere
    (:func:`fentsim.params.projection.projection_params`).

    Example:
        >>> projection_draws(4, seed=3).n
        4
    """
    from ..params.projection import projection_params

    return projection_params(n, seed)


#: ``compare(..., keep=[KEEP_ALL])`` keeps the trajectories of every output
KEEP_ALL = "*"


def _stats(x: np.ndarray | None) -> dict[str, float | None] | None:
    if x is None:
        return None
    out: dict[str, float | None] = {"mean": _num(np.mean(x)) if np.all(np.isfinite(x)) else None}
    for label, q in QUANTILES:
        # a quantile touching an unbounded (+inf) run is undefined: report null
        upper = np.quantile(x, q, method="higher")
        out[label] = _num(np.quantile(x, q)) if np.isfinite(upper) else None
    return out


def _num(v: Any) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


@dataclass
class Comparison:
    """Per-run metrics of several portfolios over the same draws (see the module docstring).

    Attributes:
        window: the years summed, both inclusive.
        reference: the portfolio the differences are taken against (the first named).
        samples: ``{portfolio: {metric: per-run array, or None when the model lacks the output}}``.
        runs, seed: the design.
        descriptions: ``{portfolio: description}``.
    """

    window: tuple[int, int]
    reference: str
    samples: dict[str, dict[str, np.ndarray | None]]
    runs: int
    seed: int | None = None
    descriptions: dict[str, str] = field(default_factory=dict)
    mean_ratio: dict[str, float | None] = field(default_factory=dict)
    #: yearly trajectories of the outputs compare was asked to ``keep``, by portfolio
    results: dict[str, SimResult] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Portfolio names in the order given."""
        return list(self.samples)

    def stats(self, name: str, metric: str) -> dict[str, float | None] | None:
        """``{"mean", "p05", "p95"}`` of one metric of one portfolio (``None``: not produced)."""
        out = _stats(self.samples[name][metric])
        if out is not None and metric == "cost_per_death_averted_usd":
            out["mean"] = self.mean_ratio.get(name)
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"window", "reference", "portfolios": {NAME: {metric: {"mean","p05","p95"} | null}}}``."""
        return {
            "window": [int(self.window[0]), int(self.window[1])],
            "reference": self.reference,
            "portfolios": {n: {m: self.stats(n, m) for m in METRICS} for n in self.names},
        }

    def to_frame(self):
        """DataFrame: one row per portfolio, columns ``(metric, stat)``."""
        import pandas as pd

        rows = {}
        for n in self.names:
            rows[n] = {
                (m, s): (st or {}).get(s)
                for m in METRICS
                for st in [self.stats(n, m)]
                for s in ("mean", "p05", "p95")
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["metric", "stat"])
        frame.index.name = "portfolio"
        return frame

    def table(self):
        """A rich table, one row per metric and one column per portfolio: mean and 90% interval."""
        from rich.table import Table
        from rich.text import Text

        first, last = self.window
        t = Table(
            title=f"{first}-{last}, against {self.reference} ({self.runs:,} runs, same draws)"
        )
        cols = [
            ("deaths", "opioid deaths", _count), ("averted", "deaths averted", _count),
            ("averted_share", "share averted", _pct), ("cost_usd", "programme cost", _usd),
            ("cost_per_death_averted_usd", "cost / death averted", _usd), ("homicides", "MX homicides", _count),
            ("homicides_change", "Δ homicides", _count), ("civilian_harm", "civilian harm", _count),
            ("fentanyl_delivered_kg", "fentanyl delivered (kg)", _count),
        ]  # fmt: skip
        t.add_column("over the window", style="bold")
        for n in self.names:
            t.add_column(Text(n), justify="right")
        for metric, label, fmt in cols:
            if all(self.samples[n][metric] is None for n in self.names):
                continue
            cells = []
            for n in self.names:
                st = self.stats(n, metric)
                blank = st is None or (n == self.reference and metric in _PAIRED)
                cells.append(Text("—" if blank else _cell(st, fmt)))
            t.add_row(Text(label), *cells)
        missing = [
            o for m, o in OUTPUTS.items() if all(self.samples[n][m] is None for n in self.names)
        ]
        note = f" Not produced by the model (null): {', '.join(missing)}." if missing else ""
        t.caption = Text(f"Cells: mean, then the 90% interval [p05, p95].{note}")
        return t

    def plot(self, axes=None):
        """Deaths averted, cost per death averted and homicide change, with 90% intervals."""
        import matplotlib.pyplot as plt

        panels = [("averted", "deaths averted"), ("cost_per_death_averted_usd", "USD per death averted"),
                  ("homicides_change", "change in Mexican homicides")]  # fmt: skip
        if axes is None:
            _, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.5))
        others = [n for n in self.names if n != self.reference]
        for ax, (metric, label) in zip(axes, panels, strict=True):
            ax.set_title(label)
            for i, n in enumerate(others):
                st = self.stats(n, metric)
                if st is None or st["mean"] is None:
                    continue
                lo = st["p05"] if st["p05"] is not None else st["mean"]
                hi = st["p95"] if st["p95"] is not None else st["mean"]
                ax.errorbar(
                    i, st["mean"], yerr=[[st["mean"] - lo], [hi - st["mean"]]], fmt="o", capsize=4
                )
            ax.set_xticks(range(len(others)), others, rotation=30, ha="right")
            ax.axhline(0.0, color="grey", lw=0.8)
        axes[0].figure.suptitle(
            f"vs {self.reference}, {self.window[0]}-{self.window[1]} (90% intervals)"
        )
        axes[0].figure.tight_layout()
        return axes


_PAIRED = {"averted", "averted_share", "cost_per_death_averted_usd", "homicides_change"}
_SCALES = ((1e12, "T"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))


def _count(v: float) -> str:
    big = (f"{v / d:.3g}{u}" for d, u in _SCALES if abs(v) >= d)
    return next(big, f"{v:,.0f}")


def _usd(v: float) -> str:
    sign, a = ("-" if v < 0 else ""), abs(v)
    return sign + "$" + next((f"{a / d:.3g}{u}" for d, u in _SCALES if a >= d), f"{a:,.0f}")


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _cell(st: dict[str, float | None], fmt: Callable[[float], str]) -> str:
    f = lambda v: "n/a" if v is None else fmt(v)  # noqa: E731
    return f"{f(st['mean'])}\n[{f(st['p05'])}, {f(st['p95'])}]"


def _window_total(res, name: str, sel: np.ndarray) -> np.ndarray | None:
    if name not in res.outcomes:
        return None
    x = res.outcomes[name][:, sel]
    meta = res.meta.get(name)
    return x.mean(axis=1) if meta is not None and meta.kind == "level" else x.sum(axis=1)


def model_components(exposure: str):
    """A factory of the engine's components for ``exposure``, with costs if it lacks them.

    Example:
        >>> [c.name for c in model_components("observed")()][-1]
        'costs'
    """
    from ..model.costs import Costs
    from ..model.engine import default_components

    def factory():
        comps = list(default_components(exposure))
        if not any(getattr(c, "name", "") == Costs.name for c in comps):
            comps.append(Costs())
        return comps

    return factory


def _check(
    window: tuple[int, int], end: int | None, runs: int, start: int
) -> tuple[tuple[int, int], int]:
    first, last = int(window[0]), int(window[1])
    end = last if end is None else int(end)
    if first > last:
        raise UserError(f"window {first}-{last}: the first year must not follow the last")
    if first < start:
        raise UserError(f"window {first}-{last} starts before the simulation ({start})")
    if end < last:
        raise UserError(
            f"end {end} is before the window's last year {last}; allowed: end >= {last}"
        )
    if runs < 1:
        raise UserError(f"runs must be at least 1, got {runs}")
    return (first, last), end


def compare(
    portfolios: Sequence[Any],
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    window: tuple[int, int] = DEFAULT_WINDOW,
    end: int | None = None,
    exposure: str = "coupled",
    params: ParamSet | None = None,
    *,
    progress: Progress | None = None,
    components: Callable[[], Sequence[Any]] | None = None,
    keep: Collection[str] | None = None,
) -> Comparison:
    """Run each portfolio on the same draws and compare it with the first one named.

    Args:
        portfolios: preset names, ``a+b`` combinations, scenario file paths or
            :class:`~fentsim.policy.Portfolio` objects; the first is the reference. All are
            resolved and validated before anything runs.
        runs, seed: the number of parameter draws and their seed (ignored when ``params`` is given).
        window: the years summed (both inclusive).
        end: the last simulated year (default: the window's last year); simulations start in 1999.
        exposure: ``coupled`` or ``observed`` (see :func:`fentsim.model.engine.simulate`).
        params: parameter draws to use instead of :func:`projection_draws` (``runs`` then ignored).
        progress: ``progress(label, done, total)`` in run-months, once a simulated year.
        components: a component factory for the engine (default: the engine's own list, which
            includes costs); with one, each portfolio runs separately from 1999.
        keep: outputs whose yearly trajectories (every run) to keep in ``results`` (for fan
            charts and reports; ``[KEEP_ALL]``: every output); by default only window totals.

    Example:
        >>> cmp = compare(["status-quo", "public-health"], runs=8, seed=1, window=(2026, 2028))  # doctest: +SKIP
        >>> sorted(cmp.to_json())  # doctest: +SKIP
        ['portfolios', 'reference', 'window']
    """
    from ..model.engine import DEFAULT_BLOCK, simulate, simulate_portfolios
    from ..policy import compile_plan, resolve

    if not portfolios:
        raise UserError("compare needs at least one portfolio")
    pfs = [resolve(p) for p in portfolios]
    names = [pf.name for pf in pfs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(
            f"portfolio {dupes[0]!r} is named twice; give each portfolio a distinct name"
        )
    start = Clock().start_year
    n = params.n if params is not None else runs
    (first, last), end = _check(window, end, n, start)
    clock = Clock(start, end)
    draws = params if params is not None else projection_draws(runs, seed)
    plans = [compile_plan(pf, clock) for pf in pfs]
    sel = (clock.years >= first) & (clock.years <= last)
    # blocks bound memory: only window totals are kept, never every run's trajectories
    blocks = [slice(a, min(a + DEFAULT_BLOCK, n)) for a in range(0, n, DEFAULT_BLOCK)]
    parts: dict[str, list[dict[str, np.ndarray | None]]] = {pf.name: [] for pf in pfs}
    kept: dict[str, list[SimResult]] = {pf.name: [] for pf in pfs}

    def collect(name: str, res: SimResult) -> None:
        parts[name].append({m: _window_total(res, o, sel) for m, o in OUTPUTS.items()})
        if keep is not None:
            names = [k for k in res.outcomes if k in keep or KEEP_ALL in keep]
            kept[name].append(
                SimResult(res.years, {k: res.outcomes[k] for k in names}, res.meta, name)
            )

    total = len(pfs) * n * clock.n_months  # run-months
    # portfolios on the same draws share their history and fork when the first lever moves
    # (simulate_portfolios); those that change parameters, or custom components, run alone
    shared = [i for i, pf in enumerate(pfs) if not pf.overrides and components is None]
    alone = [i for i in range(len(pfs)) if i not in shared]
    for sl in blocks:
        done = len(pfs) * sl.start * clock.n_months

        def tick(label: str, base: int, span: int):
            if not progress:
                return None
            progress(label, base, total)
            return lambda d, t: progress(label, base + d * span // max(t, 1), total)

        if shared:
            span = len(shared) * (sl.stop - sl.start) * clock.n_months
            label = ", ".join(pfs[i].name for i in shared)
            results = simulate_portfolios(
                draws.take(sl), [plans[i].take(sl) for i in shared], clock=clock,
                exposure=exposure, progress=tick(label, done, span),
            )  # fmt: skip
            done += span
            for i, res in zip(shared, results, strict=True):
                collect(pfs[i].name, res)
        for i in alone:
            pf, span = pfs[i], (sl.stop - sl.start) * clock.n_months
            p = draws.with_overrides(pf.overrides) if pf.overrides else draws
            res = simulate(
                p.take(sl), plans[i].take(sl), clock=clock, exposure=exposure,
                components=components, progress=tick(pf.name, done, span),
            )  # fmt: skip
            done += span
            collect(pf.name, res)
    totals: dict[str, dict[str, np.ndarray | None]] = {
        name: {
            m: None if ps[0][m] is None else np.concatenate([part[m] for part in ps])
            for m in OUTPUTS
        }
        for name, ps in parts.items()
    }
    if progress:
        progress("done", total, total)
    comparison = _metrics(pfs, totals, (first, last), n, None if params is not None else seed)
    if keep is not None:
        comparison.results = {name: SimResult.concat(rs) for name, rs in kept.items()}
    return comparison


def _metrics(pfs, totals, window, n, seed) -> Comparison:
    ref = pfs[0].name
    r = totals[ref]
    samples: dict[str, dict[str, np.ndarray | None]] = {}
    ratios: dict[str, float | None] = {}
    for pf in pfs:
        t = totals[pf.name]
        s: dict[str, np.ndarray | None] = {m: t[m] for m in OUTPUTS}
        deaths, ref_deaths = t["deaths"], r["deaths"]
        if deaths is None or ref_deaths is None:
            raise UserError(
                "the model produced no opioid_deaths output; compare needs the demand model"
            )
        averted = ref_deaths - deaths
        s["averted"] = averted
        s["averted_share"] = np.divide(averted, ref_deaths, out=np.zeros(n), where=ref_deaths != 0)
        cost, ref_cost = t["cost_usd"], r["cost_usd"]
        s["cost_per_death_averted_usd"] = None
        ratios[pf.name] = None
        if cost is not None and ref_cost is not None and pf.name != ref:
            extra = cost - ref_cost
            safe = np.where(averted > 0, averted, 1.0)
            s["cost_per_death_averted_usd"] = np.where(averted > 0, extra / safe, np.inf)
            mean_averted = float(np.mean(averted))
            ratios[pf.name] = float(np.mean(extra)) / mean_averted if mean_averted > 0 else None
        hom, ref_hom = t["homicides"], r["homicides"]
        s["homicides_change"] = None if hom is None or ref_hom is None else hom - ref_hom
        samples[pf.name] = {m: s[m] for m in METRICS}
    return Comparison(
        window=window,
        reference=ref,
        samples=samples,
        runs=n,
        seed=seed,
        descriptions={pf.name: pf.description for pf in pfs},
        mean_ratio=ratios,
    )
