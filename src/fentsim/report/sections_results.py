"""Report sections that show the comparison: the table, deaths, lives saved, violence, supply.

Each builder takes the :class:`~fentsim.report.context.ReportContext`, adds its figures to
``ctx.figures`` (PNG bytes by file name) and returns the section's inner HTML; when its inputs are
missing it returns a "not available: <reason>" note instead.

Example:
    >>> from fentsim.report.context import ReportContext, ReportOptions
    >>> from fentsim.report.inputs import Unavailable
    >>> u = Unavailable("no comparison")
    >>> overview(ReportContext(ReportOptions(), u, u, u))
    '<p class="unavailable">not available: no comparison</p>'
"""

from __future__ import annotations

from typing import Any

from . import figures as fig
from .context import ReportContext
from .html import cell, esc, figure, note, table
from .inputs import Unavailable

#: comparison columns: (key in the summary JSON, heading, is a share)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("deaths", "Opioid deaths", False),
    ("averted", "Deaths averted", False),
    ("averted_share", "Share averted", True),
    ("cost_usd", "Programme cost (USD)", False),
    ("cost_per_death_averted_usd", "Cost per death averted (USD)", False),
    ("homicides", "Mexican homicides", False),
    ("homicides_change", "Extra homicides vs reference", False),
    ("civilian_harm", "Civilian harm", False),
    ("fentanyl_delivered_kg", "Fentanyl delivered (kg)", False),
)


def _add(ctx: ReportContext, name: str, f: Any, alt: str, caption: str) -> str:
    data = fig.png(f)
    ctx.figures[name] = data
    return figure(data, alt, caption)


def comparison_table(summary: dict[str, Any]) -> str:
    """The comparison as an HTML table: the mean and 90% interval per portfolio and outcome."""
    rows = []
    for name, outs in summary["portfolios"].items():
        rows.append([esc(name)] + [cell(outs.get(key), share=share) for key, _, share in COLUMNS])
    return table(["Portfolio"] + [h for _, h, _ in COLUMNS], rows, raw=True, cls="comparison")


def overview(ctx: ReportContext) -> str:
    """The comparison table and what it means."""
    if isinstance(ctx.summary, Unavailable):
        return note(ctx.summary.reason)
    s = ctx.summary
    w0, w1 = s.get("window", ctx.options.window)
    ref = s.get("reference", ctx.options.reference)
    return (
        f"<p>Every portfolio was run on the same {ctx.options.runs:,} parameter draws (seed "
        f"{ctx.options.seed}); outcomes are cumulated over {w0}–{w1}. Cells show the mean across runs "
        f"and, below it, the 90% interval (5th–95th percentile). Deaths averted, cost per death "
        f"averted and the change in homicides are computed run by run against <b>{esc(ref)}</b>.</p>"
        + comparison_table(s)
    )


def deaths(ctx: ReportContext) -> str:
    """Fan charts of annual opioid deaths per portfolio."""
    if isinstance(ctx.results, Unavailable):
        return note(ctx.results.reason)
    out = ctx.output("deaths")
    if out is None:
        return note("the model records no opioid-death output")
    f = fig.fan_chart(
        ctx.results,
        out,
        "US opioid overdose deaths per year",
        ctx.unit(out) or "deaths",
        first_year=ctx.first_year(),
    )
    return _add(
        ctx,
        "deaths_fan.png",
        f,
        "fan charts of deaths",
        "Median (line), 50% and 90% of runs (bands); dashed: the reference portfolio's median.",
    )


def averted(ctx: ReportContext) -> str:
    """Deaths averted and cost per death averted, with 90% intervals."""
    if isinstance(ctx.summary, Unavailable):
        return note(ctx.summary.reason)
    ref = ctx.summary.get("reference", ctx.options.reference)
    others = {n: o for n, o in ctx.summary["portfolios"].items() if n != ref}
    if not others:
        return note("only the reference portfolio was run; name at least two portfolios")
    w0, w1 = ctx.summary.get("window", ctx.options.window)
    order = list(ctx.summary["portfolios"])
    parts = []
    got = {n: o.get("averted") for n, o in others.items()}
    if any(v for v in got.values()):
        f = fig.interval_bars(
            got, f"Deaths averted {w0}–{w1} vs {ref}", "deaths averted", order=order
        )
        parts.append(
            _add(
                ctx,
                "deaths_averted.png",
                f,
                "deaths averted",
                "Bars: mean; whiskers: 90% interval across runs (same draws for every portfolio).",
            )
        )
    else:
        parts.append(note("the comparison reports no deaths averted"))
    cost = {n: o.get("cost_per_death_averted_usd") for n, o in others.items()}
    if any(v and v.get("mean") is not None for v in cost.values()):
        f = fig.interval_bars(cost, "Cost per death averted", "USD per death averted", order=order)
        parts.append(
            _add(
                ctx,
                "cost_per_death_averted.png",
                f,
                "cost per death averted",
                "Bars: extra programme cost over deaths averted (ratio of means); whiskers: 90% "
                "interval across runs, left out where more than 5% of runs avert no deaths.",
            )
        )
    else:
        parts.append(
            note("cost per death averted is not reported (no programme cost or no deaths averted)")
        )
    share = {n: o.get("averted_share") for n, o in others.items()}
    if any(share.values()):
        f = fig.interval_bars(
            share,
            "Share of the reference's deaths averted",
            "share averted",
            share=True,
            order=order,
        )
        parts.append(_add(ctx, "share_averted.png", f, "share averted", "Mean and 90% interval."))
    return "\n".join(parts)


def violence(ctx: ReportContext) -> str:
    """Mexican homicides and civilian harm per portfolio."""
    if isinstance(ctx.results, Unavailable):
        return note(ctx.results.reason)
    panels = [
        (n, t, ctx.unit(n))
        for role, t in (
            ("homicides", "Mexican homicides per year"),
            ("civilian_harm", "Civilian harm per year"),
            ("groups", "Criminal groups"),
        )
        if (n := ctx.output(role)) is not None
    ]
    parts = []
    if panels:
        f = fig.overlay(ctx.results, panels, first_year=ctx.first_year())
        parts.append(
            _add(
                ctx,
                "violence.png",
                f,
                "homicides and civilian harm",
                "Median (line) and middle 50% of runs (band) per portfolio; where portfolios share "
                "their history, one band is drawn.",
            )
        )
    else:
        parts.append(note("the model records no homicide or civilian-harm output yet"))
    if ctx.output("civilian_harm") is None and panels:
        parts.append(note("the model records no civilian-harm output yet"))
    if not isinstance(ctx.summary, Unavailable):
        rows = [
            [
                esc(n),
                cell(o.get("homicides")),
                cell(o.get("homicides_change")),
                cell(o.get("civilian_harm")),
            ]
            for n, o in ctx.summary["portfolios"].items()
        ]
        head = ["Portfolio", "Homicides (window)", "Extra homicides vs reference", "Civilian harm"]
        parts.append(table(head, rows, raw=True, cls="comparison"))
    return "\n".join(parts)


def supply(ctx: ReportContext) -> str:
    """Fentanyl delivered, seized, purity and the fentanyl share of the supply."""
    if isinstance(ctx.results, Unavailable):
        return note(ctx.results.reason)
    roles = (
        ("delivered", "Fentanyl delivered to the US"),
        ("seized", "Fentanyl seized crossing into the US"),
        ("seized_cbp", "CBP fentanyl seizures (gross weight)"),
        ("purity", "Purity / potency of street fentanyl"),
        ("share", "Fentanyl share of the illicit opioid supply"),
        ("price", "Price"),
    )
    panels = [(n, t, ctx.unit(n)) for role, t in roles if (n := ctx.output(role)) is not None]
    missing = [t for role, t in roles[:3] if ctx.output(role) is None]
    parts = []
    if panels:
        f = fig.overlay(ctx.results, panels, first_year=ctx.first_year())
        parts.append(
            _add(
                ctx,
                "supply.png",
                f,
                "fentanyl supply, seizures and purity",
                "Median (line) and middle 50% of runs (band) per portfolio; where portfolios share "
                "their history, one band is drawn.",
            )
        )
    if missing:
        parts.append(note("the model records no output for " + ", ".join(missing) + " yet"))
    return "\n".join(parts)
