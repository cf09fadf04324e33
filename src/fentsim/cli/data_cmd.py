"""Commands: ``fentsim data list|show|targets`` (observed data) and ``fentsim claims`` (claims audit).

Examples::

    fentsim data list                       # every shipped dataset: rows, title, sources
    fentsim data show cbp_seizures          # the rows, each with its source and provenance tag
    fentsim data show cbp_seizures --json   # the same as one JSON object
    fentsim data targets                    # calibration targets: years, figures, weights
    fentsim claims --no-model               # audit the essay's claims against the shipped data
    fentsim claims --json --runs 200 --seed 7   # also the model claims (needs fentsim.api)
    fentsim claims my_claims.toml           # audit another claims file

An unknown dataset or a malformed claims file exits with status 2 and a one-line message.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .app import app

data_app = typer.Typer(
    name="data",
    help="Observed data shipped with fentsim, with sources and provenance.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
_VERDICT_STYLE = {
    "supported": "green",
    "roughly right": "yellow",
    "wrong": "red",
    "not supported by the data": "magenta",
    "not evaluated": "dim",
}


def _console() -> Console:
    return Console(width=160, soft_wrap=False)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become null; numpy scalars become numbers."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cell(value: Any) -> str:
    """Table text for a value (markup-escaped: sources and labels contain square brackets)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return escape(str(value))


@data_app.command("list")
def list_datasets(as_json: JsonFlag = False) -> None:
    """List the shipped datasets: name, rows, title and sources."""
    from ..data import datasets, load

    entries = [
        {
            "name": d.name,
            "file": d.file,
            "rows": len(load(d.name)),
            "title": d.title,
            "units": dict(d.units),
            "sources": list(d.sources),
        }
        for d in datasets()
    ]
    if as_json:
        print(json.dumps(entries, indent=2))
        return
    table = Table(title="fentsim datasets (fentsim data show NAME)")
    for col in ("name", "rows", "title", "sources"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(e["name"], str(e["rows"]), _cell(e["title"]), _cell("; ".join(e["sources"])))
    _console().print(table)


@data_app.command("show")
def show_dataset(
    name: Annotated[str, typer.Argument(help="dataset name (see `fentsim data list`)")],
    as_json: JsonFlag = False,
) -> None:
    """Show one dataset's rows, each with its source and provenance tag."""
    from ..data import load, load_catalogue

    entry = load_catalogue()[name]
    frame = load(name)
    if as_json:
        rows = json.loads(frame.to_json(orient="records"))
        doc = {
            "name": entry.name,
            "file": entry.file,
            "title": entry.title,
            "description": entry.description,
            "units": dict(entry.units),
            "sources": list(entry.sources),
            "provenance_rule": entry.provenance.rule,
            "rows": rows,
        }
        print(json.dumps(_jsonable(doc), indent=2))
        return
    table = Table(
        title=_cell(f"{entry.name}: {entry.title}"),
        caption=_cell(f"provenance rule: {entry.provenance.rule}"),
    )
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    _console().print(table)


@data_app.command("targets")
def show_targets(as_json: JsonFlag = False) -> None:
    """List the calibration targets: years, number of figures, provenance tags and weights."""
    from ..data import observed_series

    series = observed_series()
    if as_json:
        doc = {
            n: {
                "title": t.title,
                "unit": t.unit,
                "description": t.description,
                "rows": json.loads(t.frame.to_json(orient="records")),
            }
            for n, t in series.items()
        }
        print(json.dumps(_jsonable(doc), indent=2))
        return
    table = Table(title="calibration targets (fentsim.data.observed_series)")
    for col in ("name", "years", "n", "provenance", "mean weight", "unit", "title"):
        table.add_column(col, overflow="fold")
    for n, t in series.items():
        tags = ",".join(sorted(set(t.frame["provenance"])))
        table.add_row(
            n,
            f"{t.year.min()}-{t.year.max()}",
            str(len(t.frame)),
            tags,
            f"{t.weight.mean():.2f}",
            _cell(t.unit),
            _cell(t.title),
        )
    _console().print(table)


@app.command("claims")
def claims(
    file: Annotated[
        Path | None,
        typer.Argument(help="claims file (TOML); default: the essay audit shipped with fentsim"),
    ] = None,
    as_json: JsonFlag = False,
    runs: Annotated[
        int | None, typer.Option(help="runs per model ensemble (default: the file's)")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="seed of the model ensembles (default: the file's)")
    ] = None,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="skip the claims that need model runs")
    ] = False,
) -> None:
    """Audit a policy argument's claims: compute each quantity and judge it against the claim."""
    from ..analysis.claims import evaluate, load_claims

    cf = load_claims(file)
    results = evaluate(cf, runs=runs, seed=seed, use_model=not no_model)
    if as_json:
        print(json.dumps(_jsonable([r.to_dict() for r in results]), indent=2))
        return
    table = Table(title=_cell(f"claims audit: {cf.title or cf.path}"))
    for col in ("id", "verdict", "computed", "asserted", "quantity", "how / why"):
        table.add_column(col, overflow="fold")
    for r in results:
        d = r.to_dict()
        computed = _cell(d["computed"])
        if d["interval"]:
            computed += f" [{_cell(d['interval'][0])}, {_cell(d['interval'][1])}]"
        style = _VERDICT_STYLE.get(r.verdict, "")
        table.add_row(
            r.id,
            f"[{style}]{r.verdict}[/{style}]" if style else r.verdict,
            escape(computed.strip()),
            f"{d['compare'].replace('_', ' ')} {_cell(d['asserted'])}",
            _cell(d["quantity"]),
            _cell(d["detail"] or d["reason"]),
        )
    _console().print(table)
