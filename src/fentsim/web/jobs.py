"""Background comparison jobs: a small thread pool, progress, and files in the store.

A job's id is generated here (``uuid4().hex``) and is the only thing that ever names a path:
``<store>/jobs/<id>/`` holds ``request.json``, ``status.json``, ``result.json``, the CSVs and
``report.html``. Ids coming back from a request are checked against :data:`JOB_ID` before any
path is built, so nothing outside the store can be read or written through the API.

Example:
    >>> import tempfile
    >>> jm = JobManager(tempfile.mkdtemp(), backend=None)
    >>> jm.get("0" * 32) is None, valid_id("../etc/passwd")
    (True, False)
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from .models import JobRequest, JobResult, JobStatus

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_QUEUED = 16  #: jobs waiting or running at once; more is a 429
#: finished comparisons kept in memory for report downloads (older ones are recomputed from
#: their seed); each holds yearly trajectories of ~20 outputs, up to ~30 MB per 5,000-run portfolio
KEEP_IN_MEMORY = 2


def valid_id(job_id: str) -> bool:
    """Whether ``job_id`` has the shape of an id this server generates."""
    return bool(JOB_ID.match(job_id))


class BusyError(UserError):
    """Too many jobs queued (the API answers 429)."""


@dataclass
class Job:
    """One comparison job (its mutable state lives here while the server runs)."""

    id: str
    request: JobRequest
    state: str = "queued"
    progress: float = 0.0
    message: str = "waiting for a worker"
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    def status(self) -> JobStatus:
        base = f"/api/jobs/{self.id}"
        links = {"self": base}
        if self.state == "done":
            links |= {"result": f"{base}/result", "csv": f"{base}/csv", "report": f"{base}/report"}
        elapsed = None
        if self.started is not None:
            elapsed = (self.finished or time.time()) - self.started
        return JobStatus(
            id=self.id,
            state=self.state,
            progress=self.progress,
            message=self.message,  # type: ignore[arg-type]
            error=self.error,
            created=self.created,
            started=self.started,
            finished=self.finished,
            elapsed_s=elapsed,
            request=self.request,
            links=links,
        )


class JobManager:
    """Runs comparison jobs on worker threads and keeps their files under ``store/jobs``."""

    def __init__(
        self,
        store: str | Path,
        backend: Any,
        workers: int = 1,
        on_done: Callable[[Job, Any], None] | None = None,
    ):
        self.root = Path(store).resolve() / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.backend = backend
        self.on_done = on_done
        self._jobs: dict[str, Job] = {}
        self._comparisons: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None

    # -- paths (only ever built from a validated id) -------------------------------------------
    def folder(self, job_id: str) -> Path:
        if not valid_id(job_id):
            raise ValueError(f"invalid job id {job_id!r}")
        return self.root / job_id

    # -- lifecycle --------------------------------------------------------------------------------
    def submit(self, request: JobRequest) -> Job:
        """Validate the portfolios, queue the job and return it (raises ``UserError`` / ``BusyError``)."""
        portfolios = self.backend.check(request)
        with self._lock:
            active = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if active >= MAX_QUEUED:
                raise BusyError(
                    f"{active} jobs are already queued or running; the limit is {MAX_QUEUED}"
                )
            job = Job(uuid.uuid4().hex, request)
            self._jobs[job.id] = job
        folder = self.folder(job.id)
        folder.mkdir()
        (folder / "request.json").write_text(request.model_dump_json(indent=1))
        self._save_status(job)
        with self._lock:
            if self._pool is None:  # first job, or first after a shutdown (the app restarted)
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="fentsim-job")
            self._pool.submit(self._run, job, portfolios)
        return job

    def _progress(self, job: Job) -> Callable[[str, int, int], None]:
        def update(label: str, done: int, total: int) -> None:
            job.message = label
            job.progress = min(max(done / total if total else 0.0, job.progress), 0.99)

        return update

    def _run(self, job: Job, portfolios: list[Any]) -> None:
        job.state, job.started, job.message = "running", time.time(), "starting the ensemble"
        self._save_status(job)
        req = job.request
        try:
            comp = self.backend.compare(
                portfolios, req.runs, req.seed, tuple(req.window), self._progress(job)
            )
            job.message = "summarising"
            result = self.result_of(job, comp)
            self._write(job, "result.json", result.model_dump_json())
            self._remember(job.id, comp)
            if self.on_done is not None:
                self.on_done(job, comp)
        except Exception as exc:  # a failed job is reported through its status, never raised
            job.state, job.error = (
                "failed",
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, UserError) else str(exc),
            )
            job.message = "failed"
        else:
            job.state, job.progress, job.message = "done", 1.0, "done"
        job.finished = time.time()
        self._save_status(job)

    def result_of(self, job: Job, comp: Any) -> JobResult:
        from .export import series_of

        return JobResult(
            id=job.id,
            comparison=comp.to_json(),
            series=series_of(comp),
            elapsed_s=None if job.started is None else time.time() - job.started,
        )

    def _remember(self, job_id: str, comp: Any) -> None:
        with self._lock:
            self._comparisons[job_id] = comp
            while len(self._comparisons) > KEEP_IN_MEMORY:
                self._comparisons.popitem(last=False)

    def comparison(self, job: Job) -> Any:
        """The job's comparison object (recomputed from its seed if no longer in memory)."""
        with self._lock:
            comp = self._comparisons.get(job.id)
        if comp is None:
            req = job.request
            portfolios = self.backend.check(req)
            comp = self.backend.compare(
                portfolios, req.runs, req.seed, tuple(req.window), lambda *a: None
            )
            self._remember(job.id, comp)
        return comp

    # -- lookup -----------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        """A job by id: in memory, or reloaded from the store (None when unknown)."""
        if not valid_id(job_id):
            return None
        job = self._jobs.get(job_id)
        if job is not None:
            return job
        status = self.folder(job_id) / "status.json"
        if not status.is_file():
            return None
        s = JobStatus.model_validate_json(status.read_text())
        if s.state in ("queued", "running"):  # the server stopped before it finished
            s.state, s.error = "failed", "the server stopped before this job finished"
        job = Job(
            s.id,
            s.request,
            s.state,
            s.progress,
            s.message,
            s.error,
            s.created,
            s.started,
            s.finished,
        )
        with self._lock:
            self._jobs[job.id] = job
        return job

    def read(self, job: Job, name: str) -> bytes | None:
        """A file of a job's folder (``name`` is one of this module's constants, never user input)."""
        path = self.folder(job.id) / name
        return path.read_bytes() if path.is_file() else None

    def _write(self, job: Job, name: str, text: str | bytes) -> None:
        path = self.folder(job.id) / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(text.encode() if isinstance(text, str) else text)
        tmp.replace(path)

    def write(self, job: Job, name: str, data: str | bytes) -> None:
        self._write(job, name, data)

    def _save_status(self, job: Job) -> None:
        self._write(job, "status.json", json.dumps(job.status().model_dump(mode="json")))

    def shutdown(self) -> None:
        """Stop taking jobs; queued ones are cancelled, a running one finishes in the background."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
