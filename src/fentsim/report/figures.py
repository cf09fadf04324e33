"""The report's figures, drawn with matplotlib's object API on the Agg canvas (no pyplot state).

Every function takes plain data (``SimResult`` objects, summary dicts ``{"mean","p05","p95"}``,
lists of rows) and returns a :class:`matplotlib.figure.Figure`; :func:`png` renders one to PNG
bytes. Nothing here runs the model or reads files, so figures are cheap to test and thread-safe.

Example:
    >>> import numpy as np
    >>> from fentsim.model.result import SimResult
    >>> r = SimResult(np.arange(2020, 2025), {"opioid_deaths": np.ones((10, 5))}, {}, "demo")
    >>> png(fan_chart({"demo": r}, "opioid_deaths", "Deaths"))[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..model.result import SimResult
from .html import PALETTE

_GREY = "#6b7785"


def png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _human(x: float, _pos: Any = None) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:g}bn"
    if a >= 1e6:
        return f"{x / 1e6:g}M"
    if a >= 1e3:
        return f"{x / 1e3:g}k"
    return f"{x:g}"


def _style(ax: Any, title: str = "", ylabel: str = "", numeric_y: bool = True) -> None:
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3, linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if numeric_y:
        ax.yaxis.set_major_formatter(FuncFormatter(_human))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))


def _layout(
    fig: Figure,
    nrow: int = 1,
    ncol: int = 1,
    left: float = 0.85,
    top: float = 0.45,
    bottom: float = 0.55,
    right: float = 0.25,
    gap_h: float = 0.75,
    gap_w: float = 0.9,
) -> None:
    """Fixed margins in inches (much cheaper than ``tight_layout``, which draws the figure)."""
    w, h = fig.get_size_inches()
    ax_w = max((w - left - right - (ncol - 1) * gap_w) / ncol, 0.5)
    ax_h = max((h - top - bottom - (nrow - 1) * gap_h) / nrow, 0.5)
    fig.subplots_adjust(
        left=left / w,
        right=1 - right / w,
        bottom=bottom / h,
        top=1 - top / h,
        wspace=gap_w / ax_w,
        hspace=gap_h / ax_h,
    )


def _label_room(labels: Sequence[str], size: float = 8.5) -> float:
    """Inches needed left of the axes for tick labels of this many characters."""
    return 0.25 + 0.0075 * size * max((len(str(x)) for x in labels), default=4)


def colour(i: int) -> str:
    """The i-th portfolio colour (shared with the dashboard)."""
    return PALETTE[i % len(PALETTE)]


def _band(ax: Any, years: np.ndarray, x: np.ndarray, c: str, label: str) -> None:
    lo, q25, med, q75, hi = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(years, lo, hi, color=c, alpha=0.15, linewidth=0)
    ax.fill_between(years, q25, q75, color=c, alpha=0.3, linewidth=0)
    ax.plot(years, med, color=c, linewidth=1.8, label=label)


def fan_chart(
    results: Mapping[str, SimResult],
    outcome: str,
    title: str,
    ylabel: str = "",
    first_year: int | None = None,
    observed: tuple[Sequence[int], Sequence[float]] | None = None,
) -> Figure:
    """One panel per portfolio: median, 50% and 90% bands of ``outcome`` per year.

    The first portfolio's median is repeated, dashed, in every other panel for comparison;
    ``observed`` (years, values) is overlaid as points.
    """
    names = list(results)
    ncol = min(len(names), 2)
    nrow = math.ceil(len(names) / ncol)
    fig = Figure(figsize=(10, 3.2 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    ref_name = names[0]
    for i, name in enumerate(names):
        ax = axes[i // ncol][i % ncol]
        res = results[name]
        years = res.years
        sel = years >= first_year if first_year is not None else np.ones(len(years), bool)
        _band(ax, years[sel], res.outcomes[outcome][:, sel], colour(i), f"{name} (median)")
        if i:
            ref = results[ref_name]
            rsel = ref.years >= first_year if first_year is not None else slice(None)
            med = np.median(ref.outcomes[outcome][:, rsel], axis=0)
            ax.plot(
                ref.years[rsel], med, "--", color=_GREY, linewidth=1.2, label=f"{ref_name} (median)"
            )
        if observed is not None:
            ax.plot(observed[0], observed[1], "o", color="#111", markersize=3, label="observed")
        _style(ax, name, ylabel)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    for j in range(len(names), nrow * ncol):
        axes[j // ncol][j % ncol].set_visible(False)
    fig.suptitle(title + " — bands: 50% and 90% of runs", fontsize=11, x=0.01, ha="left")
    _layout(fig, nrow, ncol, top=0.75)
    return fig


def interval_bars(
    stats: Mapping[str, Mapping[str, Any] | None],
    title: str,
    xlabel: str,
    share: bool = False,
    order: Sequence[str] | None = None,
) -> Figure:
    """Horizontal bars of the mean with whiskers from p05 to p95, one row per portfolio.

    ``order`` is the full list of portfolios, so each keeps its colour across figures.
    """
    order = list(order or stats)
    names = [n for n, s in stats.items() if s and s.get("mean") is not None]
    fig = Figure(figsize=(8, 0.55 * max(len(names), 1) + 1.2))
    ax = fig.subplots()
    scale = 100.0 if share else 1.0
    for i, name in enumerate(names):
        s = stats[name]
        mean = float(s["mean"]) * scale
        c = colour(order.index(name)) if name in order else colour(i)
        ax.barh(i, mean, color=c, alpha=0.8, height=0.6)
        if s.get("p05") is not None and s.get("p95") is not None:
            lo, hi = float(s["p05"]) * scale, float(s["p95"]) * scale
            ax.errorbar(
                mean, i, xerr=[[max(mean - lo, 0)], [max(hi - mean, 0)]], color="#222", capsize=4
            )
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.invert_yaxis()
    ax.axvline(0, color="#444", linewidth=0.8)
    _style(ax, title, numeric_y=False)
    ax.xaxis.set_major_formatter(FuncFormatter(_human))
    ax.set_xlabel(xlabel + (" (%)" if share else ""), fontsize=9)
    _layout(fig, left=_label_room(names, 9))
    return fig


def overlay(
    results: Mapping[str, SimResult],
    outcomes: Sequence[tuple[str, str, str]],
    first_year: int | None = None,
) -> Figure:
    """Portfolios overlaid (median and 50% band), one panel per ``(outcome, title, unit)``.

    A portfolio's band starts the year before it departs from the first portfolio's runs, so
    shared history is drawn once (in the first portfolio's colour).
    """
    n = len(outcomes)
    ncol = min(n, 2)
    nrow = math.ceil(n / ncol)
    fig = Figure(figsize=(10, 3.2 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, (name, title, unit) in enumerate(outcomes):
        ax = axes[k // ncol][k % ncol]
        ref = next(iter(results.values())).outcomes[name]
        for i, (pname, res) in enumerate(results.items()):
            sel = (
                res.years >= first_year if first_year is not None else np.ones(len(res.years), bool)
            )
            x = res.outcomes[name][:, sel]
            lo, med, hi = np.quantile(x, [0.25, 0.5, 0.75], axis=0)
            years = res.years[sel]
            own = np.ones(len(years), bool)
            if i and x.shape == ref[:, sel].shape:
                differs = np.flatnonzero(np.any(x != ref[:, sel], axis=0))
                own = np.arange(len(years)) >= (differs[0] - 1 if len(differs) else len(years))
            ax.fill_between(years[own], lo[own], hi[own], color=colour(i), alpha=0.12, linewidth=0)
            ax.plot(years, med, color=colour(i), linewidth=1.6, label=pname)
        _style(ax, title, unit)
        ax.legend(fontsize=7, frameon=False)
    for j in range(n, nrow * ncol):
        axes[j // ncol][j % ncol].set_visible(False)
    _layout(fig, nrow, ncol)
    return fig


def fit_panels(series: Sequence[Mapping[str, Any]]) -> Figure:
    """Model (median, 90% band) against observed points, one panel per series.

    Each item: ``name, unit, obs_years, obs_values, years, p05, p50, p95`` and optionally
    ``obs_low, obs_high`` (the observed interval, drawn as error bars).
    """
    n = len(series)
    ncol = min(n, 3)
    nrow = math.ceil(n / ncol)
    fig = Figure(figsize=(11, 2.8 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, s in enumerate(series):
        ax = axes[k // ncol][k % ncol]
        ax.fill_between(s["years"], s["p05"], s["p95"], color=PALETTE[0], alpha=0.2, linewidth=0)
        ax.plot(s["years"], s["p50"], color=PALETTE[0], linewidth=1.5, label="model")
        yerr = None
        if s.get("obs_low") is not None and s.get("obs_high") is not None:
            v = np.asarray(s["obs_values"], float)
            yerr = [v - np.asarray(s["obs_low"], float), np.asarray(s["obs_high"], float) - v]
        ax.errorbar(
            s["obs_years"],
            s["obs_values"],
            yerr=yerr,
            fmt="o",
            color="#111",
            markersize=3,
            elinewidth=0.8,
            label="observed",
        )
        _style(ax, s["name"], s.get("unit", ""))
        ax.legend(fontsize=7, frameon=False)
    for j in range(n, nrow * ncol):
        axes[j // ncol][j % ncol].set_visible(False)
    _layout(fig, nrow, ncol, gap_w=1.0)
    return fig


def tornado(
    names: Sequence[str],
    bars: Sequence[tuple[str, Sequence[float], Sequence[float] | None]],
    title: str,
    xlabel: str,
) -> Figure:
    """Tornado: parameters (most influential first, at the top) against one or two indices.

    ``bars`` are ``(label, values, half-widths of the confidence interval or None)``, each
    aligned with ``names``.
    """
    n = len(names)
    fig = Figure(figsize=(8, 0.34 * max(n, 1) + 1.4))
    ax = fig.subplots()
    y = np.arange(n)
    h = 0.8 / max(len(bars), 1)
    for k, (label, values, conf) in enumerate(bars):
        off = (k - (len(bars) - 1) / 2) * h
        xerr = None if conf is None else np.nan_to_num(np.asarray(conf, float))
        ax.barh(
            y + off,
            np.nan_to_num(np.asarray(values, float)),
            h,
            xerr=xerr,
            color=colour(k),
            alpha=0.85,
            label=label,
            error_kw={"elinewidth": 0.8, "capsize": 2},
        )
    ax.set_yticks(y, list(names), fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.8)
    _style(ax, title, numeric_y=False)
    ax.xaxis.set_major_formatter(FuncFormatter(_human))
    ax.set_xlabel(xlabel, fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _layout(fig, left=_label_room(names, 8))
    return fig


def prim_boxes(boxes: Sequence[Mapping[str, Any]]) -> Figure:
    """Scenario-discovery boxes: each restricted parameter's range within its prior range.

    Each box: ``name`` and ``limits`` — a list of ``(parameter, low, high, prior_low, prior_high)``
    — and optionally ``weak``: parameters whose restriction is drawn pale (poorly supported).
    """
    n = len(boxes)
    nlim = max((len(b["limits"]) for b in boxes), default=1)
    fig = Figure(figsize=(9, (0.4 * nlim + 1.0) * max(n, 1)))
    axes = fig.subplots(max(n, 1), 1, squeeze=False)
    all_labels: list[str] = []
    for k, box in enumerate(boxes):
        ax = axes[k][0]
        labels = []
        for i, (param, lo, hi, plo, phi) in enumerate(box["limits"]):
            span = (float(phi) - float(plo)) or 1.0
            a, b = (float(lo) - float(plo)) / span, (float(hi) - float(plo)) / span
            ax.barh(i, 1.0, color="#e3e7ec", height=0.6)
            weak = param in box.get("weak", ())
            ax.barh(i, b - a, left=a, color=colour(k), alpha=0.35 if weak else 1.0, height=0.6)
            labels.append(f"{param}  [{lo:.3g}, {hi:.3g}]")
        all_labels.extend(labels)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("position within the range sampled", fontsize=8)
        ax.set_title(str(box["name"]), fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
    _layout(fig, max(n, 1), 1, left=_label_room(all_labels, 8), gap_h=0.7)
    return fig
