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


# --- calibration: calibrate, validate (owned by the calibration layer) ------------------------

CalThroughOpt = Annotated[
    int | None, typer.Option("--through", help="Last data year used (default: all data).")
]
DrawsOpt = Annotated[
    int, typer.Option("--draws", help="Prior draws screened in the first SMC stage.")
]
ParticlesOpt = Annotated[int, typer.Option("--particles", help="SMC population after screening.")]
GroupsOpt = Annotated[int, typer.Option("--groups", help="Independent replicate samplers (R-hat).")]
WorkersOpt = Annotated[
    int,
    typer.Option("--workers", help="Local worker processes (2 on 2 cores: about twice as fast)."),
]
SMC_MOVES = 20  # SMCSettings.max_moves, repeated here so the option's default shows in --help
MovesOpt = Annotated[
    int, typer.Option("--max-moves", help="Most Metropolis repeats per SMC stage.")
]
CalExposureOpt = Annotated[
    str, typer.Option("--exposure", help="observed (NFLIS/DEA exposure as data) or coupled.")
]


@contextmanager
def _smc(
    draws: int, particles: int, groups: int, seed: int, workers: int, exposure: str, moves: int
):
    """Sampler settings, an order-preserving mapper and a progress callback for calibration."""
    from ..calibration.bayes import SMCSettings, executor_map
    from ..ensemble.executors import make_executor

    try:  # chunks small enough that every worker gets a share of each move batch
        chunk = min(SMCSettings.chunk, -(-particles // max(workers, 1)))
        if moves < 1:
            raise ValueError(f"max moves must be >= 1, got {moves}")
        settings = SMCSettings(draws, particles, groups, seed, max(chunk, 1), max_moves=moves)
    except ValueError as exc:
        raise UserError(f"--draws/--particles/--groups/--max-moves: {exc}") from None
    with _progress() as bar, make_executor(workers) as ex:

        def report(phase: str, done: int, total: int, info: dict) -> None:
            if bar is None:
                return
            if phase == "screen":
                bar("screening prior draws", done, total)
            else:
                beta, ess = info["beta"], info["ess"]
                bar(
                    f"SMC stage {done}: β {min(beta):.3g}-{max(beta):.3g}, ESS {min(ess):,.0f}",
                    done,
                    None,
                )

        yield settings, executor_map(ex), report


def _calibration_problem(through: int | None, exposure: str):
    from ..calibration.validate import CALIBRATED_LAYERS, build_problem

    if exposure not in CALIBRATED_LAYERS:
        raise UserError(f"--exposure is {exposure!r}; allowed: {', '.join(CALIBRATED_LAYERS)}")
    try:
        return build_problem(through, exposure=exposure)
    except ValueError as exc:
        raise UserError(f"--through {through}: {exc}") from None


@app.command("calibrate")
def calibrate_cmd(
    through: CalThroughOpt = None,
    draws: DrawsOpt = 20_000,
    particles: ParticlesOpt = 2_000,
    groups: GroupsOpt = 4,
    seed: SeedOpt = 0,
    exposure: CalExposureOpt = "observed",
    workers: WorkersOpt = 1,
    max_moves: MovesOpt = SMC_MOVES,
    out: Annotated[str | None, typer.Option("--out", help="Posterior file (.npz).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bayesian calibration (tempered SMC) against the observed series; stores the posterior."""
    from ..calibration.posterior_io import save_posterior, store_dir
    from ..calibration.validate import run_calibration

    problem = _calibration_problem(through, exposure)
    with _smc(draws, particles, groups, seed, workers, exposure, max_moves) as (
        settings,
        mapper,
        report,
    ):
        cal, doc = run_calibration(problem, settings, progress=report, mapper=mapper)
    meta = cal.posterior.meta
    name = f"posterior-{meta['through']}-{exposure}-s{seed}-{meta['spec_hash'][:8]}"
    path = save_posterior(cal.posterior, out or store_dir() / name, doc)
    if as_json:
        typer.echo(json.dumps({"posterior": str(path), **doc}, indent=1, default=_plain))
        return
    s = doc["sampler"]
    typer.echo(f"posterior: {path} ({cal.posterior.n_draws} draws; {s['stages']} stages, "
               f"{s['evaluations']:,} runs in {s['seconds']:.0f} s; max R-hat {s['max_rhat']})")  # fmt: skip
    _table("Calibrated parameters", ["parameter", "mean", "5%", "95%", "prior 5-95%", "R-hat"],
           [[r["name"], _g(r["mean"]), _g(r["p05"]), _g(r["p95"]),
             f"{_g(r['prior_p05'])}-{_g(r['prior_p95'])}", f"{r['rhat']:.3f}"] for r in doc["parameters"]])  # fmt: skip
    _fit_table("Fit per series (in sample)", doc["fit"])


def _fit_table(title: str, fit: dict[str, dict[str, Any]]) -> None:
    def fmt(x: Any, spec: str) -> str:
        return "-" if x is None else format(x, spec)

    rows = [[k, str(v["points"]), fmt(v["r2"], ".3f"), fmt(v["mape"], ".1f"), fmt(v["coverage90"], ".0%")]
            for k, v in fit.items()]  # fmt: skip
    _table(title, ["series", "points", "R²", "MAPE %", "in 90% PI"], rows)


@app.command("validate")
def validate_cmd(
    through: Annotated[int, typer.Option("--through", help="Calibrate on data up to this year.")],
    as_json: JsonOpt = False,
    draws: DrawsOpt = 20_000,
    particles: ParticlesOpt = 2_000,
    groups: GroupsOpt = 4,
    seed: SeedOpt = 0,
    exposure: CalExposureOpt = "observed",
    workers: WorkersOpt = 1,
    max_moves: MovesOpt = SMC_MOVES,
) -> None:
    """Out-of-sample validation: calibrate on data up to --through, project and score the rest."""
    from ..calibration.validate import validate

    _calibration_problem(through, exposure)  # fail fast on a cut-off without data
    with _smc(draws, particles, groups, seed, workers, exposure, max_moves) as (
        settings,
        mapper,
        report,
    ):
        try:
            out = validate(through, settings, exposure=exposure, progress=report, mapper=mapper)
        except ValueError as exc:
            raise UserError(f"--through {through}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(out, indent=1, default=_plain))
        return
    fit = {k: {"points": len(v["years"]), "r2": None, "mape": out["mape"][k], "coverage90": out["coverage"][k]}
           for k, v in out["series"].items()}  # fmt: skip
    _fit_table(f"Out of sample after {through} (calibrated on data to {through})", fit)
