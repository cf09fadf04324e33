"""``fentsim run`` and ``fentsim demo``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import UserError
from .app import app
from .progress import progress_bar

#: outcomes shown in the table (``--json`` prints every outcome)
TABLE_OUTCOMES: tuple[str, ...] = (
    "opioid_deaths",
    "opioid_deaths_synthetic",
    "people_with_oud",
    "people_in_moud",
    "fentanyl_share",
    "mexico_homicides",
)
#: show a progress bar above this many run-months
PROGRESS_THRESHOLD = 2_000_000


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


@app.command("run")
def run_command(
    portfolio: Annotated[
        str, typer.Option("--portfolio", "-p", help="preset name or a+b combination")
    ] = "status-quo",
    scenario: Annotated[
        Path | None, typer.Option("--scenario", "-s", help="scenario TOML file")
    ] = None,
    runs: Annotated[int, typer.Option(help="number of parameter draws")] = 200,
    seed: Annotated[int, typer.Option(help="seed of the parameter design")] = 0,
    end: Annotated[int, typer.Option(help="last simulated year")] = 2035,
    start_table: Annotated[
        int, typer.Option("--from", help="first year shown in the table")
    ] = 2015,
    exposure: Annotated[
        str, typer.Option(help="coupled (supply side) or observed (NFLIS/DEA)")
    ] = "coupled",
    outcomes: Annotated[
        str | None, typer.Option(help="comma-separated outcomes (default: all in JSON)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Simulate one portfolio and print yearly outcomes (mean and 90% interval)."""
    from ..api import check_run_args, run

    check_run_args(runs, seed, end, exposure)
    if scenario is not None and portfolio != "status-quo":
        raise UserError("give either --portfolio or --scenario, not both")
    target = scenario if scenario is not None else portfolio
    with progress_bar("simulating", enabled=runs * (end - 1998) * 12 > PROGRESS_THRESHOLD) as bar:
        res = run(target, runs=runs, seed=seed, end=end, exposure=exposure, progress=bar)
    names = [o.strip() for o in outcomes.split(",")] if outcomes else None
    if names:
        unknown = [o for o in names if o not in res.outcomes]
        if unknown:
            raise UserError(
                f"unknown outcome(s) {', '.join(unknown)}; available: {', '.join(sorted(res.outcomes))}"
            )
    if as_json:
        typer.echo(json.dumps(res.to_json(names)))
        return
    shown = names or [o for o in TABLE_OUTCOMES if o in res.outcomes]
    table = Table(
        title=f"fentsim run: {res.portfolio} ({runs} runs, seed {seed}) — mean [90% interval]"
    )
    table.add_column("year", justify="right")
    for o in shown:
        table.add_column(o, justify="right")
    q = {o: res.quantiles(o) for o in shown}
    for i, y in enumerate(res.years):
        if y < start_table:
            continue
        table.add_row(
            str(y),
            *[
                f"{_fmt(q[o]['mean'][i])} [{_fmt(q[o]['p05'][i])}–{_fmt(q[o]['p95'][i])}]"
                for o in shown
            ],
        )
    con = Console()
    if not con.is_terminal:  # piped: do not squeeze the table into 80 columns
        con = Console(width=max(con.width, 40 + 26 * len(shown)))
    con.print(table)


#: the main job: the essay's recommendation, the public-health alternative and both, vs the status quo
DEMO_PORTFOLIOS: tuple[str, ...] = ("status-quo", "essay", "public-health", "essay+public-health")


@app.command("demo")
def demo_command(
    runs: Annotated[int, typer.Option(help="parameter draws shared by all portfolios")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the parameter design")] = 1,
    first: Annotated[int, typer.Option("--from", help="first year of the window")] = 2026,
    last: Annotated[int, typer.Option("--to", help="last year of the window")] = 2035,
) -> None:
    """Compare the status quo, the essay's military + maritime plan, public health, and both."""
    from ..analysis.compare import compare
    from ..params.projection import posterior_source

    con = Console()
    con.print(
        f"[bold]fentsim demo[/bold]: {', '.join(DEMO_PORTFOLIOS)} on {runs:,} common parameter draws "
        f"(seed {seed}); calibrated parameters from the {posterior_source()}."
    )
    with progress_bar("comparing portfolios") as bar:
        cmp = compare(
            list(DEMO_PORTFOLIOS),
            runs=runs,
            seed=seed,
            window=(first, last),
            progress=lambda label, done, total: bar(done, total),
        )
    con.print(cmp.table())
    con.print(
        "Deaths averted and homicide changes are paired differences against the status quo on the "
        "same draws; intervals are 5th-95th percentiles over parameter uncertainty. "
        "See `fentsim report` for the full analysis and `fentsim claims` for the essay's claims."
    )
