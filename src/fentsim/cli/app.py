"""The root Typer application; command modules attach their commands to it."""

import typer

app = typer.Typer(
    name="fentsim",
    help="fentsim — a calibrated policy laboratory for the illicit-fentanyl crisis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
