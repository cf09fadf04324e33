"""Registered computations a claim can name in its ``method``: each reads the shipped data.

A computation returns a :class:`Computed`: a point value, a range (``low``/``high``, no point),
or an estimate (a point with an interval), the figures it used (each with its provenance tag),
and a one-line ``detail``. When the data cannot give the quantity it returns ``missing`` with the
reason, and the claim's verdict is "not supported by the data".

A *selector* (used by ``ratio``, ``doses`` …) is a table naming one figure:
``{ dataset = NAME, column = COL, year = Y, where = { COL = VALUE }, agg = "only"|"min"|"max"|"sum",
scale = 1.0 }``; ``year`` picks whole-year rows only.

Example:
    >>> c = REGISTRY["growth"].fn(dataset="deaths_annual", column="deaths", start=2016, end=2020,
    ...                          where={"series": "any_opioid"})
    >>> round(c.value, 3)
    1.624
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from ...data import load
from ...errors import UserError

#: Milligrams per kilogram (unit conversion).
MG_PER_KG = 1_000_000.0
_AGGS = ("only", "min", "max", "sum")
_SELECTOR_KEYS = {"dataset", "column", "year", "period", "where", "agg", "scale"}


@dataclass(frozen=True)
class Figure:
    """One figure read from a dataset, with its provenance."""

    label: str
    value: float
    provenance: str
    source: str


@dataclass(frozen=True)
class Computed:
    """What a computation found (see module docstring)."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    kind: Literal["point", "range", "estimate"] = "point"
    detail: str = ""
    figures: tuple[Figure, ...] = ()
    missing: str | None = None


class Missing(Exception):  # noqa: N818 - a signal, not an error: the data lack the figure
    """The data do not contain a figure the computation needs."""


@dataclass(frozen=True)
class Computation:
    """A registered computation: ``kind`` is "data" or "model" (model ones take a context)."""

    name: str
    fn: Callable[..., Computed]
    kind: str = "data"
    doc: str = field(default="", repr=False)


REGISTRY: dict[str, Computation] = {}


def register(
    name: str, kind: str = "data"
) -> Callable[[Callable[..., Computed]], Callable[..., Computed]]:
    """Add a computation to :data:`REGISTRY` under ``name``."""

    def deco(fn: Callable[..., Computed]) -> Callable[..., Computed]:
        REGISTRY[name] = Computation(name, fn, kind, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return deco


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def select(spec: Mapping[str, Any]) -> tuple[float, tuple[Figure, ...]]:
    """Read one figure (or an aggregate of several rows) named by a selector; see module doc."""
    unknown = set(spec) - _SELECTOR_KEYS
    if unknown or not {"dataset", "column"} <= set(spec):
        raise UserError(
            f"selector {dict(spec)} needs dataset and column; allowed keys: {', '.join(sorted(_SELECTOR_KEYS))}"
        )
    df = load(spec["dataset"])
    col = spec["column"]
    if col not in df.columns:
        raise UserError(
            f"column {col!r} is not in dataset {spec['dataset']!r}; allowed: {', '.join(df.columns)}"
        )
    label = f"{spec['dataset']}.{col}"
    for k, v in dict(spec.get("where", {})).items():
        if k not in df.columns:
            raise UserError(f"where-column {k!r} is not in dataset {spec['dataset']!r}")
        df = df[df[k].astype(str) == str(v)]
        label += f"[{k}={v}]"
    if "year" in spec:
        df = df[(df["year"] == int(spec["year"])) & df["annual"]]
        label += f"@{spec['year']}"
    if "period" in spec:
        df = df[df["period"] == str(spec["period"])]
        label += f"@{spec['period']}"
    df = df[df[col].notna()]
    agg = spec.get("agg", "only")
    if agg not in _AGGS:
        raise UserError(f"agg {agg!r} is not allowed; allowed: {', '.join(_AGGS)}")
    if df.empty:
        raise Missing(f"no figure for {label} in the shipped data")
    if agg == "only" and len(df) > 1:
        raise UserError(
            f"{label} matches {len(df)} rows; add where/year or set agg to min, max or sum"
        )
    values = df[col].astype(float)
    scale = float(spec.get("scale", 1.0))
    figures = tuple(
        Figure(label, float(v), str(p), str(s))
        for v, p, s in zip(values, df["provenance"], df["source"], strict=True)
    )
    total = {"only": values.iloc[0], "min": values.min(), "max": values.max(), "sum": values.sum()}[
        agg
    ]
    return float(total) * scale, figures


def _missing(fn: Callable[..., Computed]) -> Callable[..., Computed]:
    """Turn a :class:`Missing` signal into ``Computed(missing=reason)``."""

    def wrapper(*args: Any, **kwargs: Any) -> Computed:
        try:
            return fn(*args, **kwargs)
        except Missing as exc:
            return Computed(missing=str(exc))

    wrapper.__doc__, wrapper.__name__, wrapper.__wrapped__ = fn.__doc__, fn.__name__, fn  # type: ignore[attr-defined]
    return wrapper


@register("value")
@_missing
def value(**selector: Any) -> Computed:
    """One figure of a dataset (a selector: dataset, column, year, where, agg, scale)."""
    v, figs = select(selector)
    return Computed(v, detail=f"{figs[0].label} = {_fmt(v)}", figures=figs)


@register("ratio")
@_missing
def ratio(numerator: Mapping[str, Any], denominator: Mapping[str, Any]) -> Computed:
    """Ratio of two selected figures."""
    n, fn_ = select(numerator)
    d, fd = select(denominator)
    if d == 0:
        raise Missing(f"denominator {fd[0].label} is zero")
    return Computed(n / d, detail=f"{_fmt(n)} / {_fmt(d)} = {n / d:.4g}", figures=fn_ + fd)


@register("growth")
@_missing
def growth(
    dataset: str, column: str, start: int, end: int, where: Mapping[str, Any] | None = None
) -> Computed:
    """Multi-year change: the figure in ``end`` divided by the figure in ``start``."""
    base = {"dataset": dataset, "column": column, "where": dict(where or {})}
    return ratio({**base, "year": end}, {**base, "year": start})


@register("total")
@_missing
def total(
    dataset: str, column: str, years: Sequence[int], where: Mapping[str, Any] | None = None
) -> Computed:
    """Sum of a series over the inclusive year range ``years = [first, last]``; every year must exist."""
    first, last = years
    parts = [
        select({"dataset": dataset, "column": column, "year": y, "where": dict(where or {})})
        for y in range(first, last + 1)
    ]
    s = sum(v for v, _ in parts)
    figs = tuple(f for _, fs in parts for f in fs)
    return Computed(s, detail=f"sum {first}-{last} of {dataset}.{column} = {_fmt(s)}", figures=figs)


@register("fact")
@_missing
def fact(key: str) -> Computed:
    """A reference fact (dataset ``reference_facts``): a point value, or a range when only low/high exist."""
    df = load("reference_facts")
    row = df[df["key"] == key]
    if row.empty:
        raise UserError(f"unknown reference fact {key!r}; allowed: {', '.join(df['key'])}")
    r = row.iloc[0]
    fig = (
        Figure(
            f"reference_facts.{key}",
            float(r["value"]) if pd.notna(r["value"]) else float("nan"),
            str(r["provenance"]),
            str(r["source"]),
        ),
    )
    unit = str(r["unit"])
    if pd.notna(r["value"]):
        return Computed(float(r["value"]), detail=f"{key} = {_fmt(r['value'])} {unit}", figures=fig)
    lo, hi = float(r["low"]), float(r["high"])
    return Computed(
        None, lo, hi, "range", detail=f"{key} in [{_fmt(lo)}, {_fmt(hi)}] {unit}", figures=fig
    )


@register("doses")
@_missing
def doses(mass_kg: float, dose_fact: str, purity: Mapping[str, Any] | None = None) -> Computed:
    """Number of doses (reference fact ``dose_fact``, in mg) in ``mass_kg`` of drug at ``purity`` (a selector; pure if absent)."""
    dose = fact.__wrapped__(dose_fact)  # type: ignore[attr-defined]
    if dose.value is None or dose.value <= 0:
        raise Missing(f"reference fact {dose_fact!r} has no positive point value")
    pure, figs = (1.0, ()) if purity is None else select(purity)
    n = mass_kg * MG_PER_KG * pure / dose.value
    detail = f"{mass_kg:g} kg x {pure:.4g} purity x {MG_PER_KG:,.0f} mg/kg / {dose.value:g} mg = {_fmt(n)}"
    return Computed(n, detail=detail, figures=dose.figures + figs)


def _half_unit(x: float) -> float:
    """Half a unit in the last decimal place a figure is given to (8 → 0.5, 25.9 → 0.05)."""
    text = repr(float(x)).rstrip("0").rstrip(".")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals


@register("rate_ratio")
@_missing
def rate_ratio(dataset: str, count: str, rate: str, start: int, end: int, per: float) -> Computed:
    """Change in a rate from ``start`` to ``end``; a missing rate is derived from the count and the
    population implied (count / rate × ``per``) by the nearest year that has both. The interval
    spans the rounding of the rates as printed (e.g. 8 means 7.5 to 8.5)."""
    df = load(dataset)
    df = df[df["annual"]].set_index("year")

    def rate_in(year: int) -> tuple[float, float, float, str, tuple[Figure, ...]]:
        if year not in df.index:
            raise Missing(f"{dataset} has no row for {year}")
        if pd.notna(df.at[year, rate]):
            v, figs = select({"dataset": dataset, "column": rate, "year": year})
            h = _half_unit(v)
            return v, v - h, v + h, f"{year} rate {v:g}", figs
        both = df[df[rate].notna() & df[count].notna()]
        if both.empty:
            raise Missing(f"{dataset} has no year with both {count} and {rate}")
        anchor = int(min(both.index, key=lambda y: (abs(y - year), y)))
        c, fc = select({"dataset": dataset, "column": count, "year": year})
        ca, fca = select({"dataset": dataset, "column": count, "year": anchor})
        ra, fra = select({"dataset": dataset, "column": rate, "year": anchor})
        h = _half_unit(ra)
        v, lo, hi = (c / ca * r for r in (ra, ra - h, ra + h))
        note = f"{year} rate {v:.3g} derived as {c:,.0f} / ({ca:,.0f} / {ra:g} x {per:,.0f}) (population of {anchor})"
        return v, lo, hi, note, fc + fca + fra

    r0, lo0, hi0, n0, f0 = rate_in(start)
    r1, lo1, hi1, n1, f1 = rate_in(end)
    lo, hi = lo1 / hi0, hi1 / lo0
    detail = f"{n1} / {n0} = {r1 / r0:.3g} (rounding of the rates: {lo:.3g}-{hi:.3g})"
    return Computed(r1 / r0, lo, hi, "estimate", detail=detail, figures=f0 + f1)


_EFFECT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*%")


@register("attribution")
@_missing
def attribution(
    lever: str, outcome: str, study_keywords: Sequence[str], outcome_keywords: Sequence[str]
) -> Computed:
    """Published causal effect of a policy lever on an outcome, from ``effect_sizes``; missing when
    no shipped study estimates it (the reason lists the policies in force over the same years)."""
    timeline = load("policy_timeline")
    own = timeline[timeline["lever"] == lever]
    if own.empty:
        raise UserError(
            f"lever {lever!r} is not in policy_timeline; allowed: {', '.join(sorted(set(timeline['lever'])))}"
        )
    start, end = str(own["start"].min()), str(own["end"].fillna("9999-12").max())
    ends = timeline["end"].fillna("9999-12").astype(str)
    overlap = timeline[
        (timeline["lever"] != lever) & (timeline["start"].astype(str) <= end) & (ends >= start)
    ]
    effects = load("effect_sizes")
    text = (effects["study"].astype(str) + " " + effects["outcome"].astype(str)).str.lower()
    hit = effects[
        text.apply(lambda t: any(k.lower() in t for k in study_keywords))
        & effects["outcome"]
        .str.lower()
        .apply(lambda t: any(k.lower() in t for k in outcome_keywords))
    ]
    if hit.empty:
        concurrent = "; ".join(
            f"{r.lever} {r.start} to {r.end}" if pd.notna(r.end) else f"{r.lever} from {r.start}"
            for r in overlap.itertuples()
        )
        raise Missing(
            f"no shipped study estimates the effect of {lever} ({start} to {end}) on {outcome}; "
            f"policies in force over the same years: {concurrent or 'none'}"
        )
    r = hit.iloc[0]
    m = _EFFECT.search(str(r["effect"]))
    if m is None:
        raise Missing(f"effect {r['effect']!r} of {r['study']} is not a percentage")
    v = float(m.group(1)) / 100
    fig = (Figure(f"effect_sizes[{r['study']}]", v, str(r["provenance"]), str(r["source"])),)
    return Computed(v, detail=f"{r['study']}: {r['outcome']} {r['effect']}", figures=fig)
