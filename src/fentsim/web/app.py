"""The dashboard's HTTP API (FastAPI) and the page that uses it.

Endpoints (OpenAPI schema at ``/openapi.json``):

=========================================  =====================================================
``GET  /``                                 the dashboard page (``static/index.html``)
``GET  /api/health``                       version and limits
``GET  /api/levers``                       the lever catalogue (unit, range, channels)
``GET  /api/presets``                      the preset portfolios
``POST /api/jobs``                         start a comparison (202 + job status)
``GET  /api/jobs/{id}``                    progress of a job
``GET  /api/jobs/{id}/result``             comparison table and trajectories (JSON)
``GET  /api/jobs/{id}/csv?table=…``        ``summary`` (the table) or ``series`` (per year) as CSV
``GET  /api/jobs/{id}/report``             the HTML report of the job (self-contained)
=========================================  =====================================================

Bad requests are answered 4xx with ``{"detail": "<one-line message>"}``: 422 for invalid input,
404 for an unknown job, 409 for a job that has not finished, 429 when too many jobs are queued.

Example:
    >>> from fastapi.testclient import TestClient
    >>> import tempfile
    >>> client = TestClient(create_app(tempfile.mkdtemp()))
    >>> client.get("/api/jobs/not-an-id").status_code
    422
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import __version__
from ..errors import UserError
from ..report.inputs import NotAvailableError
from .backend import Backend, FentsimBackend
from .jobs import BusyError, Job, JobManager
from .models import (
    MAX_LEVERS,
    MAX_PORTFOLIOS,
    MAX_RUNS,
    ErrorResponse,
    JobRequest,
    JobResult,
    JobStatus,
    LeverInfo,
    PresetInfo,
)

JobId = Annotated[
    str, PathParam(pattern=r"^[0-9a-f]{32}$", description="id returned by POST /api/jobs")
]
_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
#: documented error answers; explicit JSON content so HTML and CSV routes document them right
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": _ERROR_JSON}
    for code, text in (
        (400, "body is not JSON"),
        (404, "unknown job"),
        (409, "job not finished"),
        (422, "invalid request"),
        (429, "too many jobs"),
    )
}
_GET_ERRORS = {k: ERRORS[k] for k in (404, 409, 422)}


def _message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        value = e.get("input")
        shown = (
            repr(value)
            if isinstance(value, str | int | float | bool) and len(repr(value)) < 60
            else ""
        )
        parts.append(
            f"{loc or 'request'}: {e.get('msg', 'invalid')}" + (f" (got {shown})" if shown else "")
        )
    return "; ".join(parts[:5]) or "invalid request"


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]


def create_app(
    store: str | Path = "fentsim-store",
    backend: Backend | None = None,
    workers: int = 1,
    warm: bool = False,
) -> FastAPI:
    """The API and dashboard, keeping job files under ``store/jobs``.

    ``warm``: at start-up, load the catalogue and compile the model with a tiny run in the
    background, so the first real request does not pay for it (``fentsim serve`` does this).
    """
    backend = backend or FentsimBackend()
    jobs = JobManager(store, backend, workers=workers)
    report_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm and hasattr(backend, "warm"):
            threading.Thread(target=backend.warm, name="fentsim-warm", daemon=True).start()
        yield
        jobs.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="fentsim dashboard API",
        version=__version__,
        description="Compare policy portfolios for the illicit-fentanyl crisis under uncertainty.",
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN; the schema is /openapi.json
        redoc_url=None,
    )
    app.state.jobs = jobs

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _message(exc), "errors": _errors(exc)}, status_code=422)

    @app.exception_handler(UserError)
    async def _user(_: Request, exc: UserError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429 if isinstance(exc, BusyError) else 422
        )

    @app.exception_handler(NotAvailableError)
    async def _missing(_: Request, exc: NotAvailableError) -> JSONResponse:
        return JSONResponse({"detail": f"not available: {exc}"}, status_code=503)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    static = resources.files("fentsim.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Version and limits of this server."""
        return {
            "status": "ok",
            "version": __version__,
            "max_runs": MAX_RUNS,
            "max_portfolios": MAX_PORTFOLIOS,
            "max_levers": MAX_LEVERS,
        }

    @app.get("/api/levers", response_model=list[LeverInfo])
    def levers() -> list[LeverInfo]:
        """Every policy lever: unit and valid range of its intensity, the channels it moves."""
        return backend.levers()

    @app.get("/api/presets", response_model=list[PresetInfo])
    def presets() -> list[PresetInfo]:
        """The preset portfolios (status quo, historical eras, the essay's, public health …)."""
        return backend.presets()

    def _job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job with id {job_id}")
        return job

    def _done(job_id: str) -> Job:
        job = _job(job_id)
        if job.state == "failed":
            raise HTTPException(409, f"job {job_id} failed: {job.error}")
        if job.state != "done":
            raise HTTPException(
                409, f"job {job_id} is {job.state} ({job.progress:.0%}); poll /api/jobs/{job_id}"
            )
        return job

    @app.post(
        "/api/jobs",
        status_code=202,
        response_model=JobStatus,
        # ``model`` here also puts ErrorResponse into the schema's components for the others
        responses={
            k: {"model": ErrorResponse, "description": ERRORS[k]["description"]}
            for k in (400, 422, 429)
        },
    )
    def submit(request: JobRequest) -> JobStatus:
        """Start a comparison in the background; poll ``links.self`` for progress."""
        return jobs.submit(request).status()

    @app.get(
        "/api/jobs/{job_id}",
        response_model=JobStatus,
        responses={k: ERRORS[k] for k in (404, 422)},
    )
    def status(job_id: JobId) -> JobStatus:
        """A job's state (``queued``, ``running``, ``done``, ``failed``) and progress in [0, 1]."""
        return _job(job_id).status()

    @app.get("/api/jobs/{job_id}/result", response_model=JobResult, responses=_GET_ERRORS)
    def result(job_id: JobId) -> Response:
        """The comparison table (mean and 90% interval) and yearly trajectories of a finished job."""
        data = jobs.read(_done(job_id), "result.json")
        if data is None:
            raise HTTPException(404, f"job {job_id} has no stored result")
        return Response(data, media_type="application/json")

    @app.get(
        "/api/jobs/{job_id}/csv",
        responses={**_GET_ERRORS, 200: {"content": {"text/csv": {}}}},
        response_class=Response,
    )
    def csv(
        job_id: JobId, table: Annotated[Literal["summary", "series"], Query()] = "summary"
    ) -> Response:
        """CSV of the comparison table (``summary``) or of the yearly trajectories (``series``)."""
        from .export import series_csv, summary_csv

        job = _done(job_id)
        res = JobResult.model_validate_json(jobs.read(job, "result.json") or b"{}")
        text = (
            summary_csv(res.comparison.model_dump())
            if table == "summary"
            else series_csv(res.series)
        )
        name = f"fentsim-{job_id[:8]}-{table}.csv"
        return Response(
            text,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get(
        "/api/jobs/{job_id}/report",
        responses={**_GET_ERRORS, 200: {"content": {"text/html": {}}}},
        response_class=HTMLResponse,
    )
    def report(job_id: JobId) -> Response:
        """The job's HTML report: one self-contained file (figures embedded)."""
        job = _done(job_id)
        html = jobs.read(job, "report.html")
        if html is None:
            with report_lock:
                html = jobs.read(job, "report.html") or _build_report(jobs, job)
        return Response(
            html,
            media_type="text/html",
            headers={
                "Content-Disposition": f'attachment; filename="fentsim-{job_id[:8]}-report.html"'
            },
        )

    return app


def _build_report(jobs: JobManager, job: Job) -> bytes:
    from ..report import ReportOptions, build_report

    req = job.request
    opts = ReportOptions(
        portfolios=tuple(req.names()),
        runs=req.runs,
        seed=req.seed,
        window=tuple(req.window),
        analyses=False,
    )
    html = build_report(opts, comparison=jobs.comparison(job)).html.encode("utf-8")
    jobs.write(job, "report.html", html)
    return html
