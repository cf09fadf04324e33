"""Commands: ``fentsim ensemble`` (launch), ``fentsim resume`` (finish), ``fentsim runs`` (list).

Examples::

    fentsim ensemble -p status-quo -p essay --runs 2000 --seed 1 --workers 2
    fentsim ensemble --runs 1000000 --method mc --exposure observed --chunk 8192 --workers 2
    fentsim ensemble --runs 5000 --scheduler tcp://10.0.0.5:8786
    fentsim resume 20250101-120000-ab12cd --workers 2
    fentsim runs --json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UserError
from .app import app

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", envvar="FENTSIM_STORE", help="Results store folder (default: ./fentsim-store)."
    ),
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-w", help="Worker processes (1: in this process).")
]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://HOST:PORT.")
]
ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor", help="auto, serial, process or dask (dask + --workers N: local cluster)."
    ),
]
CommitOpt = Annotated[
    float,
    typer.Option("--commit-every", help="Seconds between catalogue commits of finished chunks."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@app.command("ensemble")
def ensemble(
    portfolio: Annotated[
        list[str] | None, typer.Option("--portfolio", "-p", help="Portfolio (repeatable).")
    ] = None,
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Parameter sets (runs per portfolio).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="The one seed of the design.")] = 0,
    chunk: Annotated[
        int | None,
        typer.Option("--chunk", help="Runs per chunk (default: chosen from --runs and --workers)."),
    ] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    executor: ExecutorOpt = "auto",
    trajectories: Annotated[
        bool, typer.Option("--trajectories", help="Also keep annual trajectories.")
    ] = False,
    start: Annotated[int, typer.Option("--start", help="First simulated year.")] = 1999,
    end: Annotated[int, typer.Option("--end", help="Last simulated year.")] = 2035,
    exposure: Annotated[str, typer.Option("--exposure", help="coupled or observed.")] = "coupled",
    source: Annotated[str, typer.Option("--source", help="auto, projection or prior.")] = "auto",
    method: Annotated[
        str, typer.Option("--method", help="Design over priors: lhs, sobol or mc.")
    ] = "lhs",
    window: Annotated[
        str | None,
        typer.Option("--window", help="Summary window FIRST-LAST (default: all simulated years)."),
    ] = None,
    yearly: Annotated[
        list[str] | None,
        typer.Option("--yearly", help="Outcome kept year by year (repeatable; 'all')."),
    ] = None,
    lever: Annotated[
        list[str] | None, typer.Option("--lever", help="Lever design NAME=LOW:HIGH (repeatable).")
    ] = None,
    lever_start: Annotated[
        int | None, typer.Option("--lever-start", help="Year the designed levers start.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Hold a parameter: NAME=VALUE (repeatable).")
    ] = None,
    draws: Annotated[
        Path | None,
        typer.Option("--draws", help="Parquet file of parameter sets, one row per run."),
    ] = None,
    store: StoreOpt = None,
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", help="Name of the ensemble (default: time + random suffix)."),
    ] = None,
    components: Annotated[
        str | None,
        typer.Option("--components", hidden=True, help="module:function component factory."),
    ] = None,
    commit_every: CommitOpt = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Run an ensemble (parameter sets × portfolios) into the results store."""
    from ..ensemble import Experiment, LeverDesign, Store, SummarySpec, make_executor, run_ensemble
    from ..model.clock import Clock

    try:
        clock = Clock(start, end)
    except ValueError as exc:
        raise UserError(f"--start/--end: {exc}") from None
    yearly_arg: tuple[str, ...] | str = ("opioid_deaths",)
    if yearly:
        yearly_arg = "all" if yearly == ["all"] else tuple(yearly)
    levers = LeverDesign(dict(_lever(x) for x in lever), method, lever_start) if lever else None
    exp = Experiment(
        runs=None if draws else runs,
        seed=seed,
        portfolios=tuple(portfolio or ["status-quo"]),
        clock=clock,
        exposure=exposure,
        source="draws" if draws else source,
        method=method,
        draws=_read_draws(draws) if draws else None,
        overrides=dict(_setting(x) for x in set_ or []),
        levers=levers,
        summary=SummarySpec(_window(window), yearly_arg),
        trajectories=trajectories,
        components=components,
    )
    if chunk is not None:
        exp.chunks(chunk)  # refuse a bad chunk size before starting anything
    st = Store(store)
    with make_executor(workers, scheduler, executor) as ex:
        bar = _Bar(
            exp.runs * len(exp.portfolios), f"{exp.runs} runs × {len(exp.portfolios)} portfolios"
        )
        with bar:
            t0 = time.perf_counter()
            rid = run_ensemble(
                exp,
                store=st,
                executor=ex,
                chunk=chunk,
                run_id=run_id,
                progress=bar.advance,
                commit_every=commit_every,
            )
    _report(st, rid, time.perf_counter() - t0, as_json)


@app.command("resume")
def resume_cmd(
    run_id: Annotated[str, typer.Argument(help="The ensemble to finish (see `fentsim runs`).")],
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    executor: ExecutorOpt = "auto",
    store: StoreOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Resume even if it looks alive or the version changed.")
    ] = False,
    commit_every: CommitOpt = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Finish an interrupted ensemble: compute only the chunks it is missing."""
    from ..ensemble import Store, make_executor, resume

    st = Store(store)
    info = st.info(run_id)
    left = info["runs"] - sum(
        min(info["chunk_size"], info["runs"] - k * info["chunk_size"]) for k in st.committed(run_id)
    )
    with make_executor(workers, scheduler, executor) as ex:
        bar = _Bar(left * len(info["portfolios"]), f"resume {run_id}: {left} runs left")
        with bar:
            t0 = time.perf_counter()
            resume(
                run_id,
                store=st,
                executor=ex,
                progress=bar.advance,
                force=force,
                commit_every=commit_every,
            )
    _report(st, run_id, time.perf_counter() - t0, as_json)


@app.command("runs")
def runs_cmd(
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", help="Most recent ensembles shown (0: all).")
    ] = 0,
) -> None:
    """List the ensembles in the results store."""
    from ..ensemble import Store

    rows = Store(store).list_runs()
    rows = rows[:limit] if limit > 0 else rows
    if as_json:
        typer.echo(json.dumps(rows, indent=1, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ensembles in {Store(store).root}", title_justify="left")
    for col, just in (
        ("id", "left"),
        ("status", "left"),
        ("created (UTC)", "left"),
        ("runs", "right"),
        ("portfolios", "left"),
        ("chunks", "right"),
        ("seed", "right"),
        ("version", "left"),
        ("spec", "left"),
        ("compute s", "right"),
    ):
        table.add_column(col, justify=just)
    colour = {"done": "green", "running": "cyan", "interrupted": "yellow", "failed": "red"}
    for r in rows:
        table.add_row(
            r["id"],
            f"[{colour.get(r['status'], 'white')}]{r['status']}[/]",
            r["created"] or "",
            f"{r['runs']:,}",
            ", ".join(r["portfolios"]),
            f"{r['chunks_done']}/{r['n_chunks']}",
            str(r["seed"]),
            r["version"],
            r["spec_hash"],
            f"{r['compute_s']:.1f}" if r["compute_s"] is not None else "",
        )
    Console().print(table if rows else "no ensembles yet (run `fentsim ensemble`)")


class _Bar:
    """A rich progress bar on stderr, advanced once per committed chunk."""

    def __init__(self, total: int, label: str):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def advance(self, result) -> None:
        self.progress.advance(self.task, result.summary.num_rows)


def _report(st, run_id: str, seconds: float, as_json: bool) -> None:
    info = st.info(run_id)
    info.pop("spec", None)
    if as_json:
        typer.echo(
            json.dumps({**info, "wall_s": round(seconds, 3), "store": str(st.root)}, default=str)
        )
        return
    rows = info["runs"] * len(info["portfolios"])
    print(
        f"ensemble {run_id}: {info['status']}, {rows:,} run × portfolio rows in {seconds:.1f} s "
        f"→ {st.run_dir(run_id)}",
        file=sys.stderr,
    )
    typer.echo(run_id)


def _lever(text: str) -> tuple[str, tuple[float, float]]:
    name, sep, rng = text.partition("=")
    lo, sep2, hi = rng.partition(":")
    try:
        if not (sep and sep2):
            raise ValueError
        return name.strip(), (float(lo), float(hi))
    except ValueError:
        raise UserError(
            f"--lever {text!r} must look like NAME=LOW:HIGH, e.g. naloxone=0:10"
        ) from None


def _setting(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise UserError(
            f"--set {text!r} must look like NAME=VALUE, e.g. od_rate_illicit_oud=0.2"
        ) from None


def _window(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    first, sep, last = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return int(first), int(last)
    except ValueError:
        raise UserError(f"--window {text!r} must look like FIRST-LAST, e.g. 2025-2035") from None


def _read_draws(path: Path):
    import numpy as np
    import pyarrow.parquet as pq

    from ..params import ParamSet

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"--draws {path}: cannot read a Parquet table ({exc})") from None
    out = ParamSet()
    for name in table.column_names:
        v = np.asarray(table[name].to_numpy(), dtype=float)
        if not np.isfinite(v).all():
            raise UserError(f"--draws {path}: column {name} has missing or non-finite values")
        out[name] = v
    if not out or out.n < 1:
        raise UserError(f"--draws {path}: no parameter columns or no rows")
    return out
