"""fentsim benchmarks (``make bench``): medians and ratios, never timed unit tests.

Sections (each skipped with a printed note when a piece it needs is not built):

* ``throughput`` — run-months per second of ``simulate`` (1999-2035) for 10,000 and 100,000 runs,
  observed (demand only) and coupled mode, median of ``--repeats`` calls after a first call
  at that size (timed on its own);
* ``compare``    — a 2,000-run comparison of four portfolios over 1999-2035
  (``fentsim.analysis.compare.compare``, and the ensemble layer on ``--workers`` processes);
* ``ema``        — EMA Workbench's ``SequentialEvaluator`` running the same coupled model one
  experiment at a time vs fentsim's batched per-run cost (target: ≥ 100× lower);
* ``api``        — a 2,000-run comparison of three portfolios through the dashboard's HTTP API,
  from POST to downloaded result (target: about a second);
* ``memory``     — peak memory of a 1,000,000-run summary ensemble of the demand model streamed
  into a temporary store (target: < 2 GB).

Results are printed as tables and written to ``benchmarks/results.json``.

Usage::

    python benchmarks/run.py                        # everything
    python benchmarks/run.py --only throughput,ema  # some sections
    python benchmarks/run.py --quick                # small sizes, for checking the harness
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table

import bench_api
import bench_ema
import bench_memory
import bench_model

SECTIONS: tuple[str, ...] = ("throughput", "compare", "api", "ema", "memory")
console = Console()


def _meta() -> dict[str, Any]:
    import numpy

    import fentsim

    return {
        "fentsim": fentsim.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _show_throughput(rows: list[dict[str, Any]]) -> None:
    t = Table(title="simulate throughput, 1999-2035 (median)")
    for col in ("exposure", "runs", "first s", "median s", "run-months/s", "per run"):
        t.add_column(col, justify="left" if col == "exposure" else "right")
    for r in rows:
        if "error" in r:
            t.add_row(r["exposure"], "-", "-", "-", "-", f"error: {r['error'][:40]}")
            continue
        t.add_row(
            r["exposure"],
            f"{r['runs']:,}",
            f"{r['first_s']:.2f}",
            f"{r['median_s']:.2f}",
            f"{r['run_months_per_s']:,.0f}",
            f"{r['per_run_ms']:.3f} ms",
        )
    console.print(t)


def _show_compare(r: dict[str, Any]) -> None:
    t = Table(
        title=f"{r['runs']:,}-run comparison of {len(r['portfolios'])} portfolios, {r['years']}"
    )
    t.add_column("path")
    t.add_column("median s", justify="right")
    if "compare_median_s" in r:
        t.add_row("analysis.compare (1 process)", f"{r['compare_median_s']:.2f}")
    t.add_row(
        f"ensemble layer ({r['ensemble_workers']} processes)", f"{r['ensemble_median_s']:.2f}"
    )
    console.print(t)
    if "compare_note" in r:
        console.print(f"  note: {r['compare_note']}")


def _show_ema(r: dict[str, Any]) -> None:
    t = Table(title="per-run cost, same coupled model, 1999-2035")
    t.add_column("evaluator")
    t.add_column("per run", justify="right")
    t.add_row(
        f"EMA SequentialEvaluator ({r['experiments']} experiments, median of {r['repeats']})",
        f"{1e3 * r['ema_per_run_s']:.1f} ms",
    )
    t.add_row(
        "  of which EMA bookkeeping (no-op model)",
        f"{1e3 * r['ema_overhead_per_experiment_s']:.2f} ms",
    )
    t.add_row(
        f"fentsim simulate, batch of {r['fentsim_batch']:,}",
        f"{1e3 * r['fentsim_per_run_s']:.3f} ms",
    )
    console.print(t)
    verdict = "meets" if r["ratio"] >= r["target_ratio"] else "MISSES"
    console.print(
        f"  ratio EMA / fentsim per run: {r['ratio']:,.0f}x ({verdict} the {r['target_ratio']:.0f}x target)"
    )


def _show_memory(r: dict[str, Any]) -> None:
    gib = 2**30
    t = Table(
        title=f"{r['runs']:,}-run summary ensemble ({r['exposure']}, {r['workers']} workers, chunk {r['chunk']:,})"
    )
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("wall", f"{r['wall_s']:.1f} s ({r['runs_per_s']:,.0f} runs/s)")
    t.add_row("peak RSS, driver + workers (sampled)", f"{r['peak_rss_total_bytes'] / gib:.2f} GiB")
    t.add_row(
        "peak RSS driver / largest worker",
        f"{r['peak_rss_driver_bytes'] / gib:.2f} / {r['peak_rss_worker_max_bytes'] / gib:.2f} GiB",
    )
    t.add_row(
        "rows in store / summary Parquet",
        f"{r['rows']:,} / {r['summary_parquet_bytes'] / 2**20:.0f} MiB",
    )
    console.print(t)
    verdict = "meets" if r["peak_rss_total_bytes"] < r["target_bytes"] else "MISSES"
    console.print(f"  {verdict} the < 2 GB target")


def _show_api(r: dict[str, Any]) -> None:
    t = Table(title=f"API comparison: {r['runs']:,} runs x {len(r['portfolios'])} portfolios")
    t.add_column("median s", justify="right")
    t.add_column("runs", justify="right")
    t.add_row(f"{r['median_s']:.2f}", ", ".join(f"{x:.2f}" for x in r["times_s"]))
    console.print(t)
    verdict = "meets" if r["median_s"] <= 1.5 * r["target_s"] else "MISSES"
    console.print(f"  {verdict} the 'about a second' target")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fentsim benchmarks")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (checks the harness only)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ema-experiments", type=int, default=10)
    parser.add_argument("--memory-runs", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results.json"))
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; allowed: {', '.join(SECTIONS)}")
    quick = args.quick
    sizes = (1_000, 5_000) if quick else (10_000, 100_000)
    jobs = {
        "throughput": (lambda: bench_model.throughput(sizes, args.repeats), _show_throughput),
        "compare": (
            lambda: bench_model.comparison(200 if quick else 2_000, args.repeats, args.workers),
            _show_compare,
        ),
        "api": (lambda: bench_api.latency(200 if quick else 2_000, args.repeats), _show_api),
        "ema": (
            lambda: bench_ema.side_by_side(
                2 if quick else args.ema_experiments, 2_000 if quick else 10_000, args.repeats
            ),
            _show_ema,
        ),
        "memory": (
            lambda: bench_memory.million(
                20_000 if quick else args.memory_runs, args.workers, 2_048 if quick else 8_192
            ),
            _show_memory,
        ),
    }
    results: dict[str, Any] = {"meta": {**_meta(), "quick": quick, "repeats": args.repeats}}
    for name in only:
        console.rule(name)
        t0 = time.perf_counter()
        try:
            results[name] = jobs[name][0]()
            jobs[name][1](results[name])
        except bench_model.NotBuiltError as exc:
            results[name] = {"skipped": str(exc)}
            console.print(f"  skipped: {exc}")
        except Exception as exc:  # a broken section must not hide the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            console.print(f"  [red]error[/]: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        console.print(f"  ({time.perf_counter() - t0:.0f} s)")
    results["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["meta"]["sections"] = only
    out = Path(args.out)
    if quick and out.name == "results.json":  # harness checks never overwrite the real record
        out = Path(tempfile.gettempdir()) / "fentsim-bench-quick.json"
    if out.exists() and set(only) != set(SECTIONS):  # a partial run updates its sections only
        previous = json.loads(out.read_text())
        earlier = previous.get("meta_by_section") or dict.fromkeys(
            previous.get("meta", {}).get("sections", []), previous.get("meta")
        )
        meta = {**earlier, **dict.fromkeys(only, results["meta"])}
        results = {**previous, **results, "meta_by_section": meta}
    out.write_text(json.dumps(results, indent=1) + "\n")
    console.print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
