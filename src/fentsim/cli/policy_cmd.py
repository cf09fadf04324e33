"""Commands: ``levers``, ``portfolios``, ``check-scenario`` and ``compare``.

``fentsim compare status-quo essay public-health --runs 500 --seed 1`` runs every portfolio on the
same parameter draws and prints deaths averted, cost and violence against the first one named;
``--json`` prints the machine-readable form. A portfolio is a preset name, an ``a+b``
combination of presets, or the path of a scenario TOML file (also accepted with ``--scenario``).
Every portfolio is validated before anything runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..analysis.compare import DEFAULT_RUNS, DEFAULT_WINDOW
from ..errors import UserError
from .app import app

_JSON_HELP = "Print JSON for machines instead of a table."


def _out(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def _console():
    from rich.console import Console

    return Console()


def _cost_parameters(names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    from ..params import load_registry

    reg = load_registry()
    out = {}
    for name in names:
        p = reg[name]
        out[name] = {
            "value": p.value,
            "unit": p.unit,
            "prior": p.prior.describe(),
            "source": p.source,
            "note": p.note,
        }
    return out


@app.command("levers")
def levers_cmd(as_json: bool = typer.Option(False, "--json", help=_JSON_HELP)) -> None:
    """List the policy levers: unit, valid range, channels, cost parameters and options."""
    from rich.table import Table
    from rich.text import Text

    from ..policy import levers

    cat = levers()
    if as_json:
        _out(
            {
                "levers": [
                    {**lv.to_dict(), "cost_parameters": _cost_parameters(lv.cost.parameters)}
                    for lv in cat.values()
                ]
            }
        )
        return
    t = Table(title="Policy levers (levels are added to the status quo)", show_lines=True)
    t.add_column("lever", style="bold", overflow="fold", ratio=2)
    t.add_column("intensity: range (default) unit", overflow="fold", ratio=3)
    t.add_column("channels (direction); cost parameters", overflow="fold", ratio=5)
    for lv in cat.values():
        channels = ", ".join(f"{c.channel} ({c.direction})" for c in lv.channels)
        options = f"; options: {', '.join(lv.options)}" if lv.options else ""
        coop = "; needs Mexican cooperation" if lv.needs_mexico_cooperation else ""
        t.add_row(
            Text(lv.name),
            Text(f"{lv.range[0]:g} to {lv.range[1]:g} ({lv.default:g}) {lv.unit}{coop}"),
            Text(f"{channels}{options}; cost: {', '.join(lv.cost.parameters)}"),
        )
    _console().print(t)


@app.command("portfolios")
def portfolios_cmd(as_json: bool = typer.Option(False, "--json", help=_JSON_HELP)) -> None:
    """List the preset portfolios with their levers, schedules, overrides and sources."""
    from rich.table import Table
    from rich.text import Text

    from ..policy import presets

    found = presets()
    if as_json:
        _out({"portfolios": [pf.to_dict() for pf in found.values()]})
        return
    t = Table(title="Preset portfolios (fentsim compare NAME ...)")
    t.add_column("portfolio", style="bold", no_wrap=True)
    t.add_column("description", overflow="fold")
    t.add_column("levers and schedules", overflow="fold")
    for name, pf in found.items():
        lines = [
            f"{k}: " + "; ".join(ph.describe() for ph in lp.phases) for k, lp in pf.levers.items()
        ]
        lines += [f"override {k} = {v:g}" for k, v in pf.overrides.items()]
        t.add_row(
            Text(name), Text(pf.description), Text("\n".join(lines) or "(none: the model baseline)")
        )
    _console().print(t)


@app.command("check-scenario")
def check_scenario_cmd(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Scenario TOML files.")],
) -> None:
    """Validate scenario files without running anything (exit status 2 on the first problem)."""
    from ..policy import load_scenario

    for f in files:
        pf = load_scenario(f)
        levers = ", ".join(pf.lever_names) or "no levers"
        sys.stdout.write(f"ok {f}: portfolio {pf.name!r} ({levers})\n")


PortfolioArgs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PORTFOLIO...",
        help="Preset names, a+b combinations or scenario files; the first is the reference.",
    ),
]
ScenarioOpt = Annotated[
    list[Path] | None,
    typer.Option("--scenario", "-s", help="A scenario TOML file (repeatable), compared last."),
]


@app.command("compare")
def compare_cmd(
    portfolios: PortfolioArgs = None,
    scenario: ScenarioOpt = None,
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Draws shared by every portfolio.")
    ] = DEFAULT_RUNS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the parameter draws.")] = 0,
    first: Annotated[
        int, typer.Option("--from", help="First year of the window.")
    ] = DEFAULT_WINDOW[0],
    last: Annotated[int, typer.Option("--to", help="Last year of the window.")] = DEFAULT_WINDOW[1],
    end: Annotated[
        int | None, typer.Option("--end", help="Last simulated year (default: --to).")
    ] = None,
    exposure: Annotated[str, typer.Option("--exposure", help="coupled or observed.")] = "coupled",
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Compare portfolios on the same parameter draws: deaths averted, cost, homicides."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..analysis.compare import compare
    from ..model.engine import EXPOSURE_MODES
    from ..policy import resolve

    names: list[Any] = [*(portfolios or []), *(scenario or [])]
    if not names:
        raise UserError(
            "compare needs at least one PORTFOLIO (a preset name or a scenario file); see fentsim portfolios"
        )
    if exposure not in EXPOSURE_MODES:
        raise UserError(f"--exposure is {exposure!r}; allowed: {', '.join(EXPOSURE_MODES)}")
    if runs < 1:
        raise UserError(f"--runs is {runs}; allowed: 1 or more")
    resolved = [resolve(n) for n in names]  # validate every portfolio before anything runs
    err = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task("simulating", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        cmp = compare(
            resolved,
            runs=runs,
            seed=seed,
            window=(first, last),
            end=end,
            exposure=exposure,
            progress=progress,
        )
    if as_json:
        _out(cmp.to_json())
        return
    _console().print(cmp.table())
