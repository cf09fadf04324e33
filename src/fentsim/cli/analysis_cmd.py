"""Commands: ``sensitivity``, ``discover``, ``robustness`` (and calibration's commands).

Each command prints a readable table on stdout (or JSON with ``--json``) and a progress indicator
on stderr while the model runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ..errors import UserError
from .app import app

# --- shared options and helpers of sensitivity / discover / robustness -------------------------

FromOpt = Annotated[int, typer.Option("--from", help="First year of the outcome window.")]
ToOpt = Annotated[int, typer.Option("--to", help="Last year of the outcome window.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the parameter design.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ExposureOpt = Annotated[
    str, typer.Option("--exposure", help="coupled (supply drives exposure) or observed.")
]
AgainstOpt = Annotated[str, typer.Option("--against", help="Reference portfolio (same draws).")]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Parameter draws: prior or projection (default: projection "
        "when a calibrated posterior exists, else prior).",
    ),
]
PlotOpt = Annotated[
    str | None, typer.Option("--plot", help="Also save the chart to this file (.png, .svg, .pdf).")
]


@contextmanager
def _progress() -> Iterator[Any]:
    """A rich progress indicator on stderr (silent when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    cols = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*cols, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("preparing", total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        yield update


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise UserError(f"--params is {text!r}; give comma-separated parameter names")
    return names


def _emit(result: Any, as_json: bool, plot: str | None) -> bool:
    """Print JSON or save the plot; True when the caller should stop (JSON printed)."""
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        ax.figure.savefig(plot, bbox_inches="tight")
        print(f"chart saved to {plot}", file=sys.stderr)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1, default=_plain))
    return as_json


def _plain(x: Any) -> Any:
    import numpy as np

    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def _table(title: str, columns: list[str], rows: list[list[str]], text: tuple = (0,)) -> None:
    """Print ``title`` and a table; the columns numbered in ``text`` are left-aligned."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for i, c in enumerate(columns):
        table.add_column(c, justify="left" if i in text else "right")
    for r in rows:
        table.add_row(*r)
    typer.echo(title)  # above the table, unwrapped (rich wraps titles to the table's width)
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows, strict=True)]
    Console(width=max(80, sum(widths) + 3 * len(widths) + 1)).print(table)


def _g(x: float, column: str = "") -> str:
    if column.endswith("share"):
        return f"{x:.1%}"
    if column.endswith("cost"):
        return f"${x / 1e9:,.2f}B" if abs(x) >= 1e8 else f"${x / 1e6:,.1f}M"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


# --- sensitivity ------------------------------------------------------------------------------


@app.command("sensitivity")
def sensitivity_cmd(
    portfolio: Annotated[
        str, typer.Option("--portfolio", help="Portfolio analysed.")
    ] = "status-quo",
    against: AgainstOpt = "status-quo",
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="deaths | averted | homicides | extra-homicides | "
            "averted-share | homicides-change | cost",
        ),
    ] = "deaths",
    method: Annotated[str, typer.Option("--method", help="sobol or morris.")] = "sobol",
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Sobol base sample (power of two, default 256) or Morris "
            "trajectories (default 20).",
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Comma-separated parameters to vary (default: the most "
            "influential uncertain ones, by Morris screening).",
        ),
    ] = None,
    seed: SeedOpt = 0,
    first: FromOpt = 2026,
    last: ToOpt = 2035,
    exposure: ExposureOpt = "coupled",
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table (0: all).")] = 20,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Sobol indices or Morris screening of an outcome over the parameter priors (SALib)."""
    from ..analysis.sensitivity import sensitivity

    with _progress() as progress:
        res = sensitivity(
            portfolio,
            against=against,
            outcome=outcome,
            method=method,
            samples=samples,
            params=_names(params),
            seed=seed,
            window=(first, last),
            exposure=exposure,
            progress=progress,
        )
    if _emit(res, as_json, plot):
        return
    frame = res.to_frame()
    frame = frame.head(top) if top > 0 else frame
    cols = list(frame.columns)
    rows = [
        [str(k), *(f"{v:.3f}" if res.method == "sobol" else _g(v) for v in r)]
        for k, r in frame.iterrows()
    ]
    title = (
        f"{res.method} sensitivity of {res.meta['label']} "
        f"({res.evaluations:,} runs per portfolio, seed {seed})"
    )
    _table(title, ["parameter", *cols], rows)
    for note in res.notes:
        typer.echo(f"note: {note}")
    if "screening" in res.meta:
        s = res.meta["screening"]
        typer.echo(
            f"parameters kept by Morris screening of {s['candidates']} uncertain parameters "
            f"({s['trajectories']} trajectories)"
        )


# --- discover ---------------------------------------------------------------------------------


@app.command("discover")
def discover_cmd(
    portfolio: Annotated[str, typer.Option("--portfolio", help="Portfolio analysed.")],
    against: AgainstOpt = "status-quo",
    averted_share_at_least: Annotated[
        float | None,
        typer.Option(
            "--averted-share-at-least",
            help="Runs where the portfolio averts at least this share of the "
            "reference's deaths (0.10 = 10%).",
        ),
    ] = None,
    homicides_change_above: Annotated[
        float | None,
        typer.Option(
            "--homicides-change-above",
            help="Runs where homicides rise by more than this share (0.05 = +5%).",
        ),
    ] = None,
    runs: Annotated[int, typer.Option("--runs", help="Parameter draws.")] = 1000,
    seed: SeedOpt = 0,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Density the chosen box should reach.")
    ] = 0.8,
    max_qp: Annotated[
        float | None,
        typer.Option("--max-qp", help="Drop box restrictions whose quasi-p-value exceeds this."),
    ] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Comma-separated parameters to search over.")
    ] = None,
    first: FromOpt = 2026,
    last: ToOpt = 2035,
    exposure: ExposureOpt = "coupled",
    source: SourceOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Scenario discovery (PRIM): under which assumptions does a condition hold?"""
    from ..analysis.prim import discover

    with _progress() as progress:
        res = discover(
            portfolio,
            against=against,
            averted_share_at_least=averted_share_at_least,
            homicides_change_above=homicides_change_above,
            runs=runs,
            seed=seed,
            window=(first, last),
            exposure=exposure,
            params=_names(params),
            source=source,
            progress=progress,
            threshold=threshold,
            max_qp=max_qp,
        )
    if _emit(res, as_json, plot):
        return
    m = res.meta
    typer.echo(
        f"{m['question']}, {m['window'][0]}–{m['window'][1]}, {m['portfolio']} vs "
        f"{m['against']}: {m['share_of_interest']:.1%} of {m['runs']:,} runs "
        f"({m['source']} draws, seed {m['seed']})"
    )
    rows, before = [], set()
    for i, b in enumerate(res.trajectory):
        now = set(b.restricted_names(res.names))
        change = [f"+{n}" for n in sorted(now - before)] + [f"-{n}" for n in sorted(before - now)]
        mark = "← chosen " if i == res.chosen else ""
        cells = (b.coverage, b.density, b.mass)
        rows.append([str(i), *(f"{v:.3f}" for v in cells), str(len(now)), mark + " ".join(change)])
        before = now
    _table(
        "peeling trajectory (coverage/density trade-off)",
        ["step", "coverage", "density", "mass", "dims", "restriction added (+) / lifted (-)"],
        rows,
        text=(0, 5),
    )
    b = res.box
    box = res.box_frame()
    if box.empty:
        typer.echo(f"chosen box (step {res.chosen}): no restriction, the whole sampled space")
    rows = [
        [
            str(k),
            f"{r.lower:.4g}",
            f"{r.upper:.4g}",
            f"{r.range_lower:.4g}–{r.range_upper:.4g}",
            f"{r.qp:.2g}",
        ]
        for k, r in box.iterrows()
    ]
    if rows:
        _table(
            f"chosen box (step {res.chosen}, pasted): coverage {b.coverage:.3f}, "
            f"density {b.density:.3f}, mass {b.mass:.3f}",
            ["parameter", "lower", "upper", "sampled range", "quasi-p"],
            rows,
        )
    for note in res.notes:
        typer.echo(f"note: {note}")
    if any(v > 0.05 for v in res.qp.values()):
        typer.echo("note: restrictions with quasi-p > 0.05 are weakly supported (see --max-qp)")


# --- robustness -------------------------------------------------------------------------------


@app.command("robustness")
def robustness_cmd(
    portfolios: Annotated[list[str], typer.Argument(help="Two or more portfolios to compare.")],
    runs: Annotated[int, typer.Option("--runs", help="Parameter draws (shared).")] = 1000,
    seed: SeedOpt = 0,
    vsl: Annotated[
        float | None,
        typer.Option("--vsl", help="Value of a statistical life (USD): loss = deaths + cost/VSL."),
    ] = None,
    cost_weighted: Annotated[
        bool, typer.Option("--cost-weighted", help="Cost-weight the loss with the US DOT VSL.")
    ] = False,
    cost_weight: Annotated[
        float | None,
        typer.Option("--cost-weight", help="Deaths per USD added to the loss (instead of --vsl)."),
    ] = None,
    satisfice: Annotated[
        float | None,
        typer.Option(
            "--satisfice",
            help="Satisficing threshold: loss (deaths, or deaths-equivalent) at most this.",
        ),
    ] = None,
    first: FromOpt = 2026,
    last: ToOpt = 2035,
    exposure: ExposureOpt = "coupled",
    source: SourceOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Regret of each portfolio across shared draws; the most robust by minimax and p90 regret."""
    from ..analysis.robustness import DEFAULT_VSL, robustness

    if cost_weighted and (vsl is not None or cost_weight is not None):
        raise UserError(
            "--cost-weighted uses the default VSL; drop it when giving --vsl or --cost-weight"
        )
    with _progress() as progress:
        res = robustness(
            portfolios,
            runs=runs,
            seed=seed,
            window=(first, last),
            exposure=exposure,
            vsl=DEFAULT_VSL if cost_weighted else vsl,
            cost_weight=cost_weight,
            threshold=satisfice,
            source=source,
            progress=progress,
        )
    if _emit(res, as_json, plot):
        return
    s = res.summary()
    unit = "deaths" if not res.cost_weight else "deaths-equivalent"
    cols = [c for c in s.columns if c not in ("p05_loss", "p95_loss")]
    rows = [[str(k), *(_g(v, c) for c, v in r[cols].items())] for k, r in s.iterrows()]
    m = res.meta
    _table(
        f"regret ({unit}, {m['window'][0]}–{m['window'][1]}) over {res.n_runs:,} shared "
        f"{m['source']} draws, seed {m['seed']}",
        ["portfolio", *cols],
        rows,
    )
    best = res.most_robust
    typer.echo(
        f"most robust: {best['minimax']} by minimax regret, {best['p90']} by p90 regret, "
        f"{best['mean']} by mean regret"
    )
