"""The API on the real model: a small comparison job through fentsim's own compare and policies."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from fentsim.web import create_app

pytest.importorskip("fentsim.analysis.compare")


@pytest.mark.slow
def test_a_real_comparison_job(tmp_path):
    body = {
        "portfolios": [
            "status-quo",
            "public-health",
            {"name": "naloxone only", "levers": [{"lever": "naloxone", "intensity": 10, "ramp": 1}]},
        ],
        "runs": 8,
        "seed": 5,
    }
    with TestClient(create_app(tmp_path)) as client:
        job = client.post("/api/jobs", json=body)
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        deadline = time.time() + 600
        while (s := client.get(f"/api/jobs/{job_id}").json())["state"] not in ("done", "failed"):
            assert time.time() < deadline
            time.sleep(0.2)
        assert s["state"] == "done", s["error"]
        res = client.get(f"/api/jobs/{job_id}/result").json()
        comp = res["comparison"]
        assert list(comp["portfolios"]) == ["status-quo", "public-health", "naloxone only"]
        assert comp["portfolios"]["naloxone only"]["averted"]["mean"] > 0
        deaths = res["series"]["public-health"]["outcomes"]["opioid_deaths"]
        assert len(deaths["p50"]) == len(res["series"]["public-health"]["years"])
        assert "opioid_deaths" in client.get(f"/api/jobs/{job_id}/csv?table=series").text
