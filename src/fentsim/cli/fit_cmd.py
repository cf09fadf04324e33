"""``fentsim fit`` (point fit of the epidemic engine) and ``fentsim fit-report``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .app import app
from .progress import stderr


@app.command("fit")
def fit_command(
    seed: Annotated[int, typer.Option(help="seed of the search")] = 20261129,
    iterations: Annotated[int, typer.Option(help="cross-entropy iterations")] = 12,
    out: Annotated[
        Path | None, typer.Option(help="where to write the fitted TOML (default: the shipped file)")
    ] = None,
) -> None:
    """Fit the epidemic engine's calibrated parameters to the observed series (MAP point)."""
    from ..calibration.demand_fit import FitSettings, fit_demand, shipped_fitted_path, write_fitted

    settings = FitSettings(iterations=iterations)
    with stderr.status("fitting") as status:
        fit = fit_demand(
            settings,
            seed,
            progress=lambda i, lp: status.update(f"iteration {i}: log posterior {lp:.1f}"),
        )
    path = out or shipped_fitted_path()
    write_fitted(fit, path)
    stderr.print(f"wrote {path} (log posterior {fit.log_posterior:.2f})")


@app.command("fit-report")
def fit_report_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """R² and MAPE per series of the fitted baseline, and the SOURCE base-case comparison."""
    from ..calibration.fit_report import fit_report

    rep = fit_report()
    if as_json:
        typer.echo(json.dumps(rep))
        return
    table = Table(title="fentsim fitted baseline (observed exposure) — fit per series")
    for col in ("series", "years", "R²", "MAPE %"):
        table.add_column(col, justify="right" if col != "series" else "left")
    for name, s in rep["series"].items():
        table.add_row(
            name, f"{s['years'][0]}–{s['years'][-1]}", f"{s['r2']:.3f}", f"{s['mape']:.1f}"
        )
    con = Console()
    con.print(table)
    t = rep["total_deaths"]
    con.print(
        f"Total opioid deaths: R² {t['r2']:.3f}, MAPE {t['mape']:.1f}% (SOURCE: R² {t['source_r2']}, MAPE {t['source_mape']}%)"
    )
    sc = rep["source_base_case"]
    con.print(
        f"SOURCE-like base case, cumulative opioid deaths {sc['window'][0]}–{sc['window'][1]}: "
        f"fentsim {sc['fentsim_cumulative']:,.0f} vs SOURCE {sc['source_cumulative']:,} "
        f"({sc['source_interval'][0]:,}–{sc['source_interval'][1]:,})"
    )
    con.print(sc["explanation"])
