"""Latency of a comparison through the dashboard's HTTP API (issue 6: "about a second").

The app runs in process (FastAPI's TestClient: the same routing, validation, job thread and JSON
serialisation as ``fentsim serve``, without the socket). After a warm-up job (the model is compiled
and the catalogue loaded, as ``fentsim serve`` does at start-up), each timed request is: POST the
job, poll its status every 20 ms until it is done, GET the result (comparison table and fan-chart
series). The clock runs from the POST to the end of the result's download.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

from bench_model import need

PORTFOLIOS = ("status-quo", "essay", "public-health")
POLL_S = 0.02


def _job(client: Any, runs: int, seed: int) -> float:
    t0 = time.perf_counter()
    body = {"portfolios": list(PORTFOLIOS), "runs": runs, "seed": seed}
    r = client.post("/api/jobs", json=body)
    if r.status_code != 202:
        raise RuntimeError(f"POST /api/jobs answered {r.status_code}: {r.text}")
    job_id = r.json()["id"]
    while (s := client.get(f"/api/jobs/{job_id}").json())["state"] not in ("done", "failed"):
        time.sleep(POLL_S)
    if s["state"] != "done":
        raise RuntimeError(f"job failed: {s.get('error')}")
    res = client.get(f"/api/jobs/{job_id}/result")
    res.raise_for_status()
    return time.perf_counter() - t0


def latency(runs: int, repeats: int) -> dict[str, Any]:
    """Median seconds from POST to downloaded result for a ``runs``-run, 3-portfolio comparison."""
    need("fentsim.web")
    from fastapi.testclient import TestClient

    from fentsim.web import create_app

    with tempfile.TemporaryDirectory() as store, TestClient(create_app(store)) as client:
        _job(client, 8, 0)  # warm-up: compile and load, as `fentsim serve --warm` does
        times = [_job(client, runs, seed) for seed in range(1, repeats + 1)]
    return {
        "runs": runs,
        "portfolios": list(PORTFOLIOS),
        "years": "1999-2035",
        "median_s": statistics.median(times),
        "times_s": times,
        "target_s": 1.0,
    }
