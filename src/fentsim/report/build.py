"""Assemble the report: gather inputs once, build every section, write one self-contained file.

Example:
    >>> from fentsim.report.inputs import Unavailable
    >>> u = Unavailable("demo: no comparison")
    >>> rep = build_report(ReportOptions(runs=10, analyses=False), comparison=u)
    >>> [s for s, _ in SECTIONS][:3], "not available: demo: no comparison" in rep.html
    (['overview', 'fit', 'deaths'], True)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from . import sections_analysis as sa
from . import sections_results as sr
from . import sections_spec as ss
from .context import ReportContext, ReportOptions, gather
from .html import note, page
from .inputs import Progress, Unavailable, attempt

#: (anchor, heading, builder) in reading order; every anchor appears in every report
SECTIONS_BUILDERS: tuple[tuple[str, str, Callable[[ReportContext], str]], ...] = (
    ("overview", "Comparison of portfolios", sr.overview),
    ("fit", "Data fit: model against observed series", sa.fit),
    ("deaths", "Projected opioid deaths per portfolio", sr.deaths),
    ("averted", "Deaths averted and cost per death averted", sr.averted),
    ("violence", "Mexican homicides and civilian harm", sr.violence),
    ("supply", "Fentanyl supply, seizures and purity", sr.supply),
    ("sensitivity", "Sensitivity: which assumptions drive the result", sa.sensitivity),
    ("discovery", "Scenario discovery: when does the policy work?", sa.discovery),
    ("claims", "Claims audit", sa.claims),
    ("methods", "Methods", ss.methods),
    ("parameters", "Parameters and their sources", ss.parameters),
    ("provenance", "Data provenance", ss.provenance),
    ("reproducibility", "Version, seed and spec hash", ss.reproducibility),
)
SECTIONS: tuple[tuple[str, str], ...] = tuple((a, h) for a, h, _ in SECTIONS_BUILDERS)


@dataclass
class Report:
    """A built report: the HTML page, its figures (PNG bytes by file name) and what was missing."""

    html: str
    figures: dict[str, bytes] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def write(self, out: str | Path, png_dir: str | Path | None = None) -> Path:
        """Write the HTML file (and every figure as PNG into ``png_dir``); returns the HTML path."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html, encoding="utf-8")
        if png_dir is not None:
            d = Path(png_dir)
            d.mkdir(parents=True, exist_ok=True)
            for name, data in self.figures.items():
                (d / name).write_bytes(data)
        return out


def _missing_reason(inner: str) -> str | None:
    marker = '<p class="unavailable">not available: '
    if marker not in inner:
        return None
    start = inner.index(marker) + len(marker)
    return html.unescape(inner[start : inner.index("</p>", start)])


def build_report(
    options: ReportOptions | None = None,
    comparison: Any = None,
    progress: Progress | None = None,
) -> Report:
    """Build the report; ``comparison`` reuses a finished comparison instead of running one.

    Sections whose inputs are missing show "not available: <reason>" and are listed in
    :attr:`Report.missing` (and in the report's reproducibility section).
    """
    options = options or ReportOptions()
    ctx = gather(options, comparison, progress)
    built: list[tuple[str, str, str]] = []
    total = len(SECTIONS_BUILDERS)
    for i, (anchor, heading, builder) in enumerate(SECTIONS_BUILDERS):
        if progress is not None:
            progress(f"report: {heading.lower()}", i, total)
        if anchor == "reproducibility":
            for a, _, inner in built:
                reason = _missing_reason(inner)
                if reason is not None:
                    ctx.missing[a] = reason
        inner = attempt(f"the {anchor} section", lambda b=builder: b(ctx))
        built.append(
            (anchor, heading, note(inner.reason) if isinstance(inner, Unavailable) else inner)
        )
    if progress is not None:
        progress("report: done", total, total)
    names = ", ".join(options.names)
    subtitle = (
        f"{names} · {options.runs:,} runs · seed {options.seed} · "
        f"{options.window[0]}–{options.window[1]} · fentsim {__version__}"
    )
    return Report(page(options.title, subtitle, built, __version__), ctx.figures, dict(ctx.missing))
