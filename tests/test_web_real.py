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
            {
                "name": "naloxone only",
                "levers": [{"lever": "naloxone", "intensity": 10, "ramp": 1}],
            },
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


@pytest.mark.slow
def test_fentsim_serve_answers(tmp_path):
    import json
    import subprocess
    import sys
    import urllib.request

    from conftest_browser import free_port

    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "fentsim.cli",
        "serve",
        "--port",
        str(port),
        "--store",
        str(tmp_path),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/presets", timeout=5) as r:
                    presets = json.load(r)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.time() < deadline, "fentsim serve did not answer"
                time.sleep(0.3)
        assert "essay" in {p["name"] for p in presets}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert b"fentsim" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (tmp_path / "jobs").is_dir()
