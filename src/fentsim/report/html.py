"""HTML building blocks of the report: escaping, tables, embedded figures and the page shell.

Everything is plain strings (``string.Template`` for the page, :func:`html.escape` for every value
that comes from data), so the report needs no template engine and no network to be viewed.

Example:
    >>> table(["a", "b"], [["1", "<2>"]])
    '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>&lt;2&gt;</td></tr></tbody></table>'
    >>> fmt_interval({"mean": 1234.5, "p05": 1000.0, "p95": 1500.0})
    '1,234 [1,000 – 1,500]'
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from html import escape
from string import Template
from typing import Any

#: colour-blind-safe palette (Okabe & Ito 2008), shared with the dashboard's chart.js
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)


def esc(value: Any) -> str:
    """HTML-escaped text of any value."""
    return escape(str(value), quote=True)


def fmt_number(x: Any, digits: int = 0) -> str:
    """A number with thousands separators; ``—`` for missing values.

    Example:
        >>> fmt_number(1234567.891), fmt_number(None), fmt_number(0.1234, 2), fmt_number(3.2e9)
        ('1,234,568', '—', '0.12', '3.20 bn')
    """
    if x is None:
        return "—"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return esc(x)
    if not math.isfinite(v):
        return "—"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    if abs(v) >= 1e7:
        return f"{v / 1e6:,.1f} M"
    return f"{v:,.{digits}f}"


def fmt_share(x: Any) -> str:
    """A fraction as a percentage (``0.123`` → ``12.3%``)."""
    if x is None:
        return "—"
    v = float(x)
    return f"{100 * v:.1f}%" if math.isfinite(v) else "—"


def fmt_interval(stats: Mapping[str, Any] | None, share: bool = False, digits: int = 0) -> str:
    """``mean [p05 – p95]`` of a summary dict (or ``—`` when missing)."""
    if not stats or stats.get("mean") is None:
        return "—"
    f = fmt_share if share else (lambda v: fmt_number(v, digits))
    if stats.get("p05") is None or stats.get("p95") is None:
        return f(stats["mean"])
    return f"{f(stats['mean'])} [{f(stats['p05'])} – {f(stats['p95'])}]"


def cell(stats: Mapping[str, Any] | None, share: bool = False, digits: int = 0) -> str:
    """A table cell's HTML: the mean, with the 90% interval below it in small type.

    Example:
        >>> cell({"mean": 0.5, "p05": 0.25, "p95": 0.75}, share=True)
        '50.0%<span class="iv">25.0% – 75.0%</span>'
    """
    if not stats or stats.get("mean") is None:
        return "—"
    f = fmt_share if share else (lambda v: fmt_number(v, digits))
    if stats.get("p05") is None or stats.get("p95") is None:
        return esc(f(stats["mean"]))
    return f'{esc(f(stats["mean"]))}<span class="iv">{esc(f(stats["p05"]))} – {esc(f(stats["p95"]))}</span>'


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False, cls: str = ""
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (already-built HTML)."""
    cell = (lambda c: str(c)) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def note(reason: str) -> str:
    """The notice shown in place of a section whose inputs are missing."""
    return f'<p class="unavailable">not available: {esc(reason)}</p>'


def figure(png: bytes, alt: str, caption: str = "") -> str:
    """An ``<img>`` with the PNG embedded as base64 (self-contained), and its caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


_CSS = """
:root { --ink:#1d2733; --muted:#5b6773; --rule:#d9dee4; --accent:#0072B2; --warn:#8a5a00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0; background: #f6f7f9; }
header.top { background: #14202e; color: #fff; padding: 24px 40px; }
header.top h1 { margin: 0 0 4px; font-size: 26px; }
header.top p { margin: 0; color: #c5cfda; }
nav.toc { padding: 12px 40px; background: #fff; border-bottom: 1px solid var(--rule); }
nav.toc a { margin-right: 14px; color: var(--accent); text-decoration: none; font-size: 14px; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 40px 60px; }
section { background: #fff; border: 1px solid var(--rule); border-radius: 6px; margin: 22px 0;
          padding: 8px 24px 18px; }
section h2 { font-size: 20px; border-bottom: 1px solid var(--rule); padding-bottom: 6px; }
figure { margin: 12px 0; } figure img { max-width: 100%; }
figcaption { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 10px 0; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.comparison td, table.comparison th { text-align: right; white-space: nowrap; }
table.comparison th { white-space: normal; vertical-align: bottom; }
table.comparison td:first-child, table.comparison th:first-child { text-align: left; }
td .iv { display: block; color: var(--muted); font-size: 11px; }
table.params td { font-size: 12px; }
.unavailable { color: var(--warn); background: #fff7e6; border-left: 4px solid #e69f00;
               padding: 8px 12px; }
.verdict { font-weight: 600; white-space: nowrap; }
.v-supported { color: #1b7a3a; } .v-roughly-right { color: #8a5a00; } .v-wrong { color: #b3261e; }
.v-not-supported-by-the-data, .v-not-evaluated { color: #5b6773; }
table.claims td:nth-child(2) { min-width: 220px; } table.claims td:nth-child(4) { white-space: nowrap; }
.small { font-size: 12px; color: var(--muted); }
details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
code { background: #eef1f4; padding: 1px 4px; border-radius: 3px; }
"""

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fentsim $version">
<title>$title</title><style>$css</style></head>
<body>
<header class="top"><h1>$title</h1><p>$subtitle</p></header>
<nav class="toc">$toc</nav>
<main>
$body
</main>
</body></html>
"""
)


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], version: str) -> str:
    """The whole report: ``sections`` are ``(anchor, heading, inner html)``."""
    toc = "".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in sections)
    body = "\n".join(
        f'<section id="{esc(a)}" data-section="{esc(a)}"><h2>{esc(h)}</h2>\n{inner}\n</section>'
        for a, h, inner in sections
    )
    return _PAGE.substitute(
        title=esc(title), subtitle=esc(subtitle), toc=toc, body=body, css=_CSS, version=esc(version)
    )
