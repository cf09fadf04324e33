"""Commands ``fentsim report`` (the HTML report) and ``fentsim serve`` (the web dashboard).

Examples::

    fentsim report --portfolios status-quo,essay,public-health --runs 1000 --seed 7 \\
        --out report.html --png-dir figures
    fentsim serve --port 8000 --store fentsim-store
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UserError
from .app import app


def _split(values: list[str] | None) -> list[str]:
    """``["a,b", "c"]`` → ``["a", "b", "c"]`` (repeated or comma-separated option values)."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


class _Progress:
    """Progress on stderr: a line when the stage changes, else at most one a second."""

    def __init__(self) -> None:
        self.label, self.when = "", 0.0

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if label != self.label or now - self.when >= 1.0 or done == total:
            pct = f" {100 * done / total:.0f}%" if total else ""
            print(f"fentsim report: {label}{pct}", file=sys.stderr, flush=True)
            self.label, self.when = label, now


@app.command("report")
def report(
    portfolios: Annotated[
        list[str] | None,
        typer.Option(
            "--portfolios",
            "-p",
            help="presets or scenario files, repeated or comma-separated; "
            "the first is the reference [default: status-quo, essay, public-health, "
            "essay+public-health]",
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="parameter draws shared by every portfolio")] = 500,
    seed: Annotated[int, typer.Option(help="the one seed of the ensemble and the analyses")] = 0,
    out: Annotated[Path, typer.Option(help="the HTML file to write")] = Path("report.html"),
    png_dir: Annotated[
        Path | None, typer.Option("--png-dir", help="also save every figure here as PNG")
    ] = None,
    first: Annotated[
        int, typer.Option("--from", help="first year of the comparison window")
    ] = 2026,
    last: Annotated[int, typer.Option("--to", help="last year of the comparison window")] = 2035,
    exposure: Annotated[str, typer.Option(help="coupled or observed")] = "coupled",
    analyses: Annotated[
        bool, typer.Option(help="run sensitivity, scenario discovery and the claims audit")
    ] = True,
    sensitivity_samples: Annotated[int, typer.Option(help="Sobol base sample (power of two)")] = 64,
    strict: Annotated[
        bool, typer.Option(help="fail (status 1) if any section is not available")
    ] = False,
) -> None:
    """Write one self-contained HTML report (figures embedded) comparing portfolios."""
    from ..report import ReportOptions, build_report
    from ..report.inputs import DEFAULT_PORTFOLIOS

    if runs < 1:
        raise UserError(f"--runs is {runs}; it must be at least 1")
    if seed < 0:
        raise UserError(f"--seed is {seed}; it must be 0 or more")
    if last < first:
        raise UserError(f"--from {first} --to {last}: the window ends before it starts")
    if exposure not in ("coupled", "observed"):
        raise UserError(f"--exposure is {exposure!r}; allowed: coupled, observed")
    names = _split(portfolios) or list(DEFAULT_PORTFOLIOS)
    opts = ReportOptions(
        tuple(names), runs, seed, (first, last), exposure, analyses, sensitivity_samples
    )
    rep = build_report(opts, progress=_Progress())
    path = rep.write(out, png_dir)
    for section, reason in rep.missing.items():
        print(f"fentsim report: {section}: not available: {reason}", file=sys.stderr)
    figs = f", {len(rep.figures)} figures in {png_dir}" if png_dir is not None else ""
    print(f"wrote {path}{figs}")
    if strict and rep.missing:
        raise typer.Exit(1)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    store: Annotated[Path, typer.Option(help="folder for job files (created if missing)")] = Path(
        "fentsim-store"
    ),
) -> None:
    """Serve the web dashboard and its HTTP API (OpenAPI schema at /openapi.json)."""
    import uvicorn

    from ..web import create_app

    if not 0 < port < 65536:
        raise UserError(f"--port is {port}; allowed: 1 to 65535")
    print(
        f"fentsim dashboard on http://{host}:{port}/ (jobs in {store.resolve()})", file=sys.stderr
    )
    app_ = create_app(store, warm=True)
    uvicorn.run(app_, host=host, port=port, log_level="warning")
