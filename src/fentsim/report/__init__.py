"""The HTML report: one self-contained file with figures, tables, methods and provenance.

:func:`build_report` runs (or reuses) a comparison of portfolios, builds every section — data fit,
fan charts, deaths averted and cost, violence, supply, sensitivity, scenario discovery, the claims
audit, methods, parameters, data provenance and reproducibility — and returns a :class:`Report`
whose :meth:`~Report.write` saves the HTML (figures embedded as base64 PNG) and, optionally, each
figure as a PNG file. A section whose inputs are missing says "not available: <reason>".

Example:
    >>> from fentsim.report import ReportOptions, build_report
    >>> rep = build_report(ReportOptions(["status-quo", "essay"], runs=200, seed=1))  # doctest: +SKIP
    >>> rep.write("report.html", png_dir="figures")  # doctest: +SKIP
"""

from .build import SECTIONS, Report, build_report
from .context import ReportOptions
from .inputs import Unavailable

__all__ = ["SECTIONS", "Report", "ReportOptions", "Unavailable", "build_report"]
