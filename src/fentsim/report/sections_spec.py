"""Report sections that say how the numbers were made: methods, parameters, data, reproducibility.

Example:
    >>> from fentsim.report.context import ReportOptions
    >>> len(spec_hash(ReportOptions(runs=10), registry_rows=[]))
    16
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from . import inputs
from .context import ReportContext, ReportOptions
from .html import esc, fmt_number, note, table
from .inputs import Unavailable


def _registry_rows() -> list[list[str]] | Unavailable:
    reg = inputs.attempt("the parameter registry", inputs.registry)
    if isinstance(reg, Unavailable):
        return reg
    return [
        [
            p.name,
            p.group,
            p.unit,
            f"{p.value:.6g}",
            p.prior.describe(),
            "yes" if p.calibrate else "",
            p.source,
            p.note,
        ]
        for p in reg.values()
    ]


def spec_hash(
    options: ReportOptions,
    registry_rows: list[list[str]] | Unavailable | None = None,
    comparison: Any = None,
) -> str:
    """Hash of everything that determines the numbers: portfolios, runs, seed, window, registry.

    The comparison's own hash is used when it carries one (``spec_hash``).
    """
    own = getattr(comparison, "spec_hash", None)
    if isinstance(own, str) and own:
        return own
    rows = _registry_rows() if registry_rows is None else registry_rows
    spec = {
        "version": __version__,
        "portfolios": [p if isinstance(p, str) else repr(p) for p in options.portfolios],
        "runs": options.runs,
        "seed": options.seed,
        "window": list(options.window),
        "exposure": options.exposure,
        "registry": [] if isinstance(rows, Unavailable) else [r[:5] for r in rows],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def methods(ctx: ReportContext) -> str:
    """How the ensemble was run and how to read the numbers (with the model's recorded outputs)."""
    o = ctx.options
    text = (
        "<p>fentsim couples four layers month by month: precursor supply and synthesis in Mexico, "
        "smuggling across the US–Mexico border (with traffickers shifting between crossing modes), the US "
        "illicit opioid market (fentanyl share, potency, price) and the US opioid epidemic (misuse, use "
        "disorder, treatment, remission, overdose and death), with criminal violence in Mexico. Policies are "
        "levers on schedules (start, ramp, end, intensity), in addition to the policies in force.</p>"
        f"<p>Uncertainty: {o.runs:,} parameter draws from the registry (seed {o.seed}); every portfolio is run "
        "on the same draws (common random numbers), so a difference between portfolios is the policy and not "
        "sampling noise. Summaries are the mean and the 5th–95th percentiles across runs; paired quantities "
        "(deaths averted, change in homicides, cost per death averted) are computed run by run before "
        f"summarising. Exposure mode: <code>{esc(o.exposure)}</code>.</p>"
    )
    if isinstance(ctx.results, Unavailable) or not ctx.results:
        return text + note(f"model outputs: {getattr(ctx.results, 'reason', 'no runs')}")
    meta = next(iter(ctx.results.values())).meta
    rows = [[name, m.kind, m.unit, m.description] for name, m in meta.items()]
    return (
        text
        + "<p>Outputs recorded by the model (per run and year):</p>"
        + table(["Output", "Kind", "Unit", "Description"], rows)
    )


def parameters(ctx: ReportContext) -> str:
    """Every registry parameter: unit, point value, prior and source."""
    rows = _registry_rows()
    if isinstance(rows, Unavailable):
        return note(rows.reason)
    head = ["Name", "Group", "Unit", "Value", "Prior", "Calibrated", "Source", "Note"]
    return (
        f"<p>{len(rows):,} parameters. Uncertain parameters vary across runs according to their "
        "prior; 'calibrated' marks those estimated against the observed series.</p>"
        f"<details><summary>Show all {len(rows):,} parameters with their sources</summary>"
        + table(head, rows, cls="params")
        + "</details>"
    )


def _dataset_row(ds: Any) -> list[str]:
    frame = inputs.attempt(f"dataset {ds.name}", lambda: inputs.load_dataset(ds.name))
    if isinstance(frame, Unavailable):
        return [ds.name, ds.title, "—", "—", frame.reason, "; ".join(ds.sources)]
    import pandas as pd

    years = "—"
    if "year" in frame:
        y = pd.to_numeric(frame["year"], errors="coerce").dropna()
        if len(y):
            years = f"{int(y.min())}–{int(y.max())}"
    tags = frame["provenance"].value_counts().sort_index() if "provenance" in frame else None
    tag_text = ", ".join(f"{k}: {v}" for k, v in tags.items()) if tags is not None else "—"
    return [ds.name, ds.title, years, f"{len(frame):,}", tag_text, "; ".join(ds.sources)]


def provenance(ctx: ReportContext) -> str:
    """The shipped datasets with their sources and the provenance tag of their figures."""
    cat = inputs.attempt("the data catalogue", inputs.datasets)
    if isinstance(cat, Unavailable):
        return note(cat.reason)
    rows = [_dataset_row(ds) for ds in cat]
    tags = inputs.attempt(
        "provenance tags", lambda: inputs.need("fentsim.data", "load_catalogue")().tags
    )
    legend = ""
    if not isinstance(tags, Unavailable):
        legend = table(
            ["Tag", "Meaning", "Calibration weight"],
            [[t.code, t.meaning, f"{t.weight:g}"] for t in tags.values()],
        )
    return (
        table(["Dataset", "Title", "Years", "Rows", "Figures by provenance tag", "Sources"], rows)
        + "<p>Provenance tags:</p>"
        + legend
    )


def reproducibility(ctx: ReportContext) -> str:
    """Version, seed, spec hash, command and environment: enough to rerun and get the same numbers."""
    o = ctx.options
    comp = None if isinstance(ctx.comparison, Unavailable) else ctx.comparison
    digest = spec_hash(o, comparison=comp)
    names = ",".join(o.names)
    cmd = (
        f"fentsim report --portfolios {names} --runs {o.runs} --seed {o.seed} "
        f"--from {o.window[0]} --to {o.window[1]}"
    )
    import numpy as np

    rows = [
        ["fentsim version", __version__],
        ["seed", str(o.seed)],
        ["runs", fmt_number(o.runs)],
        ["portfolios", ", ".join(o.names)],
        ["window", f"{o.window[0]}–{o.window[1]}"],
        ["exposure", o.exposure],
        ["spec hash", digest],
        ["generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")],
        ["python / numpy", f"{platform.python_version()} / {np.__version__}"],
        ["platform", f"{platform.system()} {platform.machine()}"],
        ["command", cmd],
    ]
    missing = "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in ctx.missing.items())
    tail = f"<p>Sections not available in this report:</p><ul>{missing}</ul>" if missing else ""
    return table(["Item", "Value"], rows) + tail
