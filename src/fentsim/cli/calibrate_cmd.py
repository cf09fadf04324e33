"""Commands: ``fentsim calibrate`` (Bayesian calibration) and ``fentsim validate`` (out of sample)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ..errors import UserError
from .analysis_cmd import JsonOpt, SeedOpt, _g, _plain, _progress, _table
from .app import app

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
