"""Memory of a very large summary ensemble (default 1,000,000 runs of the demand model).

The ensemble runs in a fresh child process (``python bench_memory.py --runs N ...``) into a
temporary store, summaries only, streamed chunk by chunk. The child samples the resident memory
of itself and of all its descendants (forkserver and workers) every 0.2 s and reports the peak of
the sum — the honest figure — as well as the peaks of the driver and of the largest worker.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_model import need


def million(runs: int, workers: int, chunk: int, exposure: str = "observed") -> dict[str, Any]:
    """Run the child and return its report."""
    need("fentsim.model.demand")
    with tempfile.TemporaryDirectory(prefix="fentsim-bench-") as store:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--runs",
            str(runs),
            "--workers",
            str(workers),
            "--chunk",
            str(chunk),
            "--exposure",
            exposure,
            "--store",
            store,
        ]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"memory benchmark child failed with status {proc.returncode}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


class _Sampler(threading.Thread):
    """Peak of (this process + its children) resident memory, sampled periodically."""

    def __init__(self, every: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.proc, self.every, self.stop_flag = psutil.Process(), every, False
        self.peak = self.peak_driver = self.peak_worker = 0

    def run(self) -> None:
        import psutil

        while not self.stop_flag:
            rss = {}
            for p in [self.proc, *self.proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    rss[p.pid] = p.memory_info().rss
            self.peak = max(self.peak, sum(rss.values()))
            self.peak_driver = max(self.peak_driver, rss.get(self.proc.pid, 0))
            others = [v for k, v in rss.items() if k != self.proc.pid]
            self.peak_worker = max([self.peak_worker, *others])
            time.sleep(self.every)


def _child(args: argparse.Namespace) -> None:
    from fentsim.ensemble import Experiment, Store, make_executor, run_ensemble
    from fentsim.model.clock import Clock

    sampler = _Sampler()
    sampler.start()
    exp = Experiment(
        runs=args.runs,
        seed=1,
        portfolios=["status-quo"],
        clock=Clock(1999, 2035),
        exposure=args.exposure,
        method="mc",
    )
    store, done, t0 = Store(args.store), [0], time.perf_counter()

    def progress(result) -> None:
        done[0] += result.runs
        if result.index % 10 == 0:
            rate = done[0] / (time.perf_counter() - t0)
            print(
                f"  {done[0]:>9,} / {args.runs:,} runs  ({rate:,.0f} runs/s, "
                f"peak {sampler.peak / 2**30:.2f} GiB)",
                file=sys.stderr,
                flush=True,
            )

    with make_executor(args.workers) as ex:
        run_id = run_ensemble(exp, store=store, executor=ex, chunk=args.chunk, progress=progress)
    wall = time.perf_counter() - t0
    sampler.stop_flag = True
    sampler.join()
    rows = int(store.query(run_id, "SELECT count(*) AS n FROM summary")["n"][0])
    size = sum(f.stat().st_size for f in store.files(run_id))
    print(
        json.dumps(
            {
                "runs": args.runs,
                "rows": rows,
                "exposure": args.exposure,
                "workers": args.workers,
                "chunk": args.chunk,
                "wall_s": wall,
                "runs_per_s": args.runs / wall,
                "run_months_per_s": args.runs * 444 / wall,
                "peak_rss_total_bytes": sampler.peak,
                "peak_rss_driver_bytes": sampler.peak_driver,
                "peak_rss_worker_max_bytes": sampler.peak_worker,
                "hwm_driver_bytes": _own_peak_rss(),
                "summary_parquet_bytes": size,
                "target_bytes": 2 * 10**9,
            }
        )
    )


def _own_peak_rss() -> int:
    """The driver's own peak resident memory in bytes: ``VmHWM``, the high-water mark of this
    process's address space, where Linux has it. ``ru_maxrss`` is not used: it carries over
    ``exec`` and so holds the peak of the benchmark process that started this one (the 100,000-run
    output tables of the throughput section)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=8192)
    parser.add_argument("--exposure", default="observed")
    parser.add_argument("--store", required=True)
    _child(parser.parse_args())
