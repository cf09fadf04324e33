"""The dashboard's HTTP API: catalogue, jobs with progress, results, CSV, report, and refusals."""

from __future__ import annotations

import csv
import io
import time

import pytest
from fastapi.testclient import TestClient

from conftest_browser import FakeBackend
from fentsim.web import create_app
from fentsim.web.models import MAX_RUNS

CUSTOM = {
    "name": "my mix",
    "levers": [
        {"lever": "naloxone", "intensity": 5, "start": 2026, "ramp": 1},
        {
            "lever": "military_campaign",
            "intensity": 10,
            "start": 2027,
            "end": 2030,
            "ramp": 0.5,
            "options": {
                "consent": True,
                "target_mix": {"leadership": 0.2, "labs": 0.5, "nodes": 0.3},
            },
        },
    ],
}


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def client(tmp_path, backend):
    with TestClient(create_app(tmp_path / "store", backend=backend)) as c:
        yield c


def wait(client: TestClient, job_id: str, timeout: float = 20) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = client.get(f"/api/jobs/{job_id}").json()
        if s["state"] in ("done", "failed"):
            return s
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def submit(client: TestClient, **body) -> dict:
    body = {"portfolios": ["status-quo", "essay", CUSTOM], "runs": 40, "seed": 3} | body
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 202, r.text
    return r.json()


def test_health_levers_presets(client):
    assert client.get("/api/health").json()["max_runs"] == MAX_RUNS
    levers = {lv["name"]: lv for lv in client.get("/api/levers").json()}
    assert {"naloxone", "military_campaign", "maritime_interdiction"} <= set(levers)
    assert levers["naloxone"]["max"] > levers["naloxone"]["min"] == 0
    assert levers["military_campaign"]["options"]["target_mix"]["type"] == "mix"
    presets = [p["name"] for p in client.get("/api/presets").json()]
    assert presets[:2] == ["status-quo", "merida-era"] and "essay+public-health" in presets


def test_index_and_static_assets_are_local(client):
    page = client.get("/")
    assert page.status_code == 200 and "fentsim" in page.text
    assert (
        "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text
    )
    for asset in ("/static/app.js", "/static/fanchart.js", "/static/style.css"):
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 500
        assert "cdn" not in r.text.lower()


def test_job_lifecycle(client, tmp_path):
    job = submit(client)
    assert job["state"] in ("queued", "running", "done") and len(job["id"]) == 32
    status = wait(client, job["id"])
    assert status["state"] == "done" and status["progress"] == 1.0, status
    assert set(status["links"]) == {"self", "result", "csv", "report"}
    res = client.get(f"/api/jobs/{job['id']}/result").json()
    comp = res["comparison"]
    assert (
        list(comp["portfolios"]) == ["status-quo", "essay", "my mix"]
        and comp["reference"] == "status-quo"
    )
    assert comp["window"] == [2026, 2035]
    d = comp["portfolios"]["essay"]["averted"]
    assert d["p05"] <= d["mean"] <= d["p95"]
    s = res["series"]["my mix"]
    assert s["years"][0] == 1999 and set(s["outcomes"]) >= {"opioid_deaths", "mexico_homicides"}
    q = s["outcomes"]["opioid_deaths"]
    assert all(a <= b <= c for a, b, c in zip(q["p05"], q["p50"], q["p95"], strict=True))
    folder = tmp_path / "store" / "jobs" / job["id"]
    assert {"request.json", "status.json", "result.json"} <= {p.name for p in folder.iterdir()}


def test_csv_downloads(client):
    job = submit(client)
    wait(client, job["id"])
    r = client.get(f"/api/jobs/{job['id']}/csv")
    assert (
        r.headers["content-type"].startswith("text/csv")
        and "attachment" in r.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["portfolio"] for row in rows} == {"status-quo", "essay", "my mix"}
    assert any(
        row["outcome"] == "averted" and row["portfolio"] == "essay" and float(row["mean"]) > 0
        for row in rows
    )
    series = list(
        csv.DictReader(io.StringIO(client.get(f"/api/jobs/{job['id']}/csv?table=series").text))
    )
    assert {"portfolio", "outcome", "unit", "year", "mean", "p05", "p50", "p95"} == set(series[0])
    assert client.get(f"/api/jobs/{job['id']}/csv?table=nope").status_code == 422


def test_report_download_is_self_contained(client, backend):
    job = submit(client)
    wait(client, job["id"])
    r = client.get(f"/api/jobs/{job['id']}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "data:image/png;base64," in html and 'id="deaths"' in html and "my mix" in html
    assert "<script" not in html and 'src="http' not in html
    calls = backend.calls
    assert client.get(f"/api/jobs/{job['id']}/report").text == html  # cached in the store
    assert backend.calls == calls


def test_progress_is_reported(tmp_path):
    with TestClient(create_app(tmp_path, backend=FakeBackend(delay=0.3))) as client:
        job = submit(client, portfolios=["status-quo", "essay", "public-health"])
        assert client.get(f"/api/jobs/{job['id']}/result").status_code == 409  # not finished yet
        seen = set()
        deadline = time.time() + 20
        while time.time() < deadline:
            s = client.get(f"/api/jobs/{job['id']}").json()
            seen.add(round(s["progress"], 2))
            if s["state"] == "done":
                break
            time.sleep(0.03)
        assert len(seen - {0.0, 1.0}) >= 1, seen


def test_failed_job_reports_its_error(tmp_path):
    with TestClient(create_app(tmp_path, backend=FakeBackend(fail_on="essay"))) as client:
        job = submit(client)
        s = wait(client, job["id"])
        assert s["state"] == "failed" and "synthetic failure in essay" in s["error"]
        r = client.get(f"/api/jobs/{job['id']}/result")
        assert r.status_code == 409 and "failed" in r.json()["detail"]


def test_jobs_survive_a_restart(tmp_path):
    with TestClient(create_app(tmp_path, backend=FakeBackend())) as client:
        job = submit(client)
        wait(client, job["id"])
    with TestClient(create_app(tmp_path, backend=FakeBackend())) as client:
        assert client.get(f"/api/jobs/{job['id']}").json()["state"] == "done"
        assert (
            client.get(f"/api/jobs/{job['id']}/report").status_code == 200
        )  # recomputed from the seed


BAD_REQUESTS = [
    ({"portfolios": []}, "portfolios"),
    ({"portfolios": ["no-such-preset"]}, "not a preset"),
    ({"portfolios": ["status-quo"], "runs": MAX_RUNS + 1}, "runs"),
    ({"portfolios": ["status-quo"], "runs": 0}, "runs"),
    ({"portfolios": ["status-quo"], "seed": -1}, "seed"),
    ({"portfolios": ["status-quo"], "window": [2030, 2026]}, "ends before it starts"),
    ({"portfolios": ["status-quo"], "window": [1990, 2030]}, "window"),
    ({"portfolios": ["status-quo"], "extra": 1}, "extra"),
    ({"portfolios": ["status-quo", "status-quo"]}, "unique"),
    ({"portfolios": ["../../etc/passwd"]}, "portfolios"),
    (
        {"portfolios": [{"name": "x", "levers": [{"lever": "nalxone", "intensity": 1}]}]},
        "did you mean 'naloxone'",
    ),
    (
        {"portfolios": [{"name": "x", "levers": [{"lever": "naloxone", "intensity": 999}]}]},
        "out of range",
    ),
    (
        {"portfolios": [{"name": "x", "levers": [{"lever": "naloxone", "intensity": -1}]}]},
        "intensity",
    ),
    (
        {
            "portfolios": [
                {
                    "name": "x",
                    "levers": [{"lever": "naloxone", "intensity": 1, "start": 2030, "end": 2027}],
                }
            ]
        },
        "before start",
    ),
    (
        {
            "portfolios": [
                {
                    "name": "x",
                    "levers": [
                        {
                            "lever": "military_campaign",
                            "intensity": 5,
                            "options": {"target_mix": {"labs": 0.5}},
                        }
                    ],
                }
            ]
        },
        "target_mix",
    ),
    ({"portfolios": [{"name": "essay", "levers": []}]}, "preset's name"),
    ({"portfolios": [{"name": "", "levers": []}]}, "name"),
    ({"portfolios": "status-quo"}, "portfolios"),
]


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS)
def test_bad_requests_are_422_with_a_message(client, body, message):
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"], r.json()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/jobs/" + "0" * 32, 404),
        ("/api/jobs/" + "0" * 32 + "/result", 404),
        ("/api/jobs/not-hex", 422),
        ("/api/jobs/..%2F..%2Fetc%2Fpasswd", 404),  # no route matches
        ("/api/jobs/%2e%2e/csv", 422),
        ("/static/..%2F..%2Fpyproject.toml", 404),
        ("/api/nothing", 404),
    ],
)
def test_lookups_outside_the_store_are_refused(client, path, code):
    r = client.get(path)
    assert r.status_code == code
    assert r.json()["detail"]


def test_not_json_is_422(client):
    r = client.post("/api/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"]


def test_openapi_documents_the_models(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/csv", "/api/levers"} <= set(
        spec["paths"]
    )
    assert {
        "JobRequest",
        "PortfolioSpec",
        "LeverSetting",
        "JobStatus",
        "JobResult",
        "ErrorResponse",
    } <= set(spec["components"]["schemas"])
