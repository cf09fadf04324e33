"""Driving an ensemble: chunks out to an executor, results into the store as they finish.

* :func:`run_ensemble` — register an experiment in the store and run all its chunks;
* :func:`resume` — finish a stored ensemble that was interrupted (even by SIGKILL): only the
  chunks missing from the catalogue are computed, so it ends with exactly the runs an
  uninterrupted ensemble has;
* :func:`evaluate` — run a (small) experiment in memory, without a store.

The driver holds one chunk's results at a time, so memory stays bounded however many runs the
design has.

Example:
    >>> import tempfile
    >>> from fentsim.ensemble import Experiment, Store
    >>> exp = Experiment(runs=20, portfolios=["status-quo"], source="prior")  # doctest: +SKIP
    >>> run_id = run_ensemble(exp, store=Store(tempfile.mkdtemp()), chunk=8)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import pyarrow as pa

from .. import __version__
from ..errors import UserError
from .chunk import ChunkResult, ChunkTask, run_task
from .design import Experiment
from .executors import Executor, SerialExecutor
from .store import Store

#: Largest default chunk (the engine's block of runs; bigger chunks only cost memory).
MAX_DEFAULT_CHUNK = 8192
#: Default seconds between catalogue commits of finished chunks (files are written at once).
COMMIT_EVERY = 1.0
Progress = Callable[[ChunkResult], None]


def default_chunk(runs: int, workers: int = 1) -> int:
    """A chunk size giving each worker about four chunks, capped at :data:`MAX_DEFAULT_CHUNK`.

    Example:
        >>> default_chunk(2000, workers=2), default_chunk(1_000_000)
        (250, 8192)
    """
    return max(1, min(MAX_DEFAULT_CHUNK, math.ceil(runs / (4 * max(1, workers)))))


def tasks_for(exp: Experiment, todo: list[tuple[int, int, int]]) -> Iterator[ChunkTask]:
    """Chunk tasks, built lazily; each carries only its own rows of supplied draws."""
    light = exp.detached()
    for k, a, b in todo:
        rows = exp.draws.take(slice(a, b)) if exp.draws is not None else None
        yield ChunkTask(light, k, a, b, rows)


def run_ensemble(
    exp: Experiment,
    *,
    store: Store | None = None,
    executor: Executor | None = None,
    chunk: int | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
    commit_every: float = COMMIT_EVERY,
) -> str:
    """Run ``exp`` chunk by chunk into the store; returns the ensemble's id.

    Args:
        exp: the experiment.
        store: the results store (default: :class:`Store` at its default root).
        executor: where chunks run (default: in this process).
        chunk: runs per chunk (default: :func:`default_chunk`).
        run_id: a name for the ensemble (default: timestamp + random suffix).
        progress: called with each chunk's result once its files are written.
        commit_every: seconds between catalogue commits (0: commit every chunk at once).
    """
    store = store or Store()
    executor = executor or SerialExecutor()
    chunk = default_chunk(exp.runs, executor.workers) if chunk is None else chunk
    run_id = store.create(exp, chunk, run_id=run_id, executor=executor.description)
    _drive(store, run_id, exp, exp.chunks(chunk), executor, progress, commit_every)
    return run_id


def resume(
    run_id: str,
    *,
    store: Store | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    force: bool = False,
    commit_every: float = COMMIT_EVERY,
) -> str:
    """Finish an interrupted ensemble: compute and commit the chunks it is missing.

    Refuses (``UserError``) when the ensemble's process still runs, or when the package version
    or the spec (parameter registry included) changed since it started — results from two
    different models must not be mixed. ``force`` skips the running-process and version checks.
    """
    store = store or Store()
    executor = executor or SerialExecutor()
    info = store.info(run_id)
    if info["status"] == "running" and not force:
        raise UserError(
            f"ensemble {run_id} is still running (pid {info['pid']} on {info['host']}); "
            "pass --force if that process is gone"
        )
    if info["version"] != __version__ and not force:
        raise UserError(
            f"ensemble {run_id} was started by fentsim {info['version']}, this is "
            f"{__version__}; pass --force to finish it anyway"
        )
    exp = store.experiment(run_id)
    if exp.spec_hash != info["spec_hash"]:
        raise UserError(
            f"ensemble {run_id}'s spec no longer hashes to {info['spec_hash']} (the "
            "parameter registry changed since it started); start a new ensemble"
        )
    store.clean_temp(run_id)
    done = store.committed(run_id)
    todo = [c for c in exp.chunks(info["chunk_size"]) if c[0] not in done]
    if not todo and info["status"] == "done":
        return run_id
    store.claim(run_id, executor.description)
    _drive(store, run_id, exp, todo, executor, progress, commit_every)
    return run_id


def evaluate(
    exp: Experiment,
    *,
    executor: Executor | None = None,
    chunk: int | None = None,
    kind: str = "summary",
):
    """Run ``exp`` in memory and return one result table as a DataFrame, in run order.

    For small experiments; use :func:`run_ensemble` for anything worth keeping.

    Args:
        kind: ``summary``, ``params`` or ``trajectories``.
    """
    executor = executor or SerialExecutor()
    chunk = default_chunk(exp.runs, executor.workers) if chunk is None else chunk
    parts = {
        r.index: getattr(r, kind)
        for r in executor.imap(run_task, tasks_for(exp, exp.chunks(chunk)))
    }
    table = pa.concat_tables([parts[k] for k in sorted(parts)])
    return table.to_pandas()


def _drive(
    store: Store,
    run_id: str,
    exp: Experiment,
    todo: list[tuple[int, int, int]],
    executor: Executor,
    progress: Progress | None,
    commit_every: float,
) -> None:
    """Run ``todo``; write each chunk's files as it finishes, commit them in small batches.

    Finished chunks are recorded in the catalogue in batches, at most one commit per
    ``commit_every`` seconds (0: one per chunk), because opening the catalogue costs tens of
    milliseconds; a crash before a chunk's commit only costs recomputing it on resume.
    """
    pending: list[tuple] = []
    last = time.monotonic()
    try:
        for result in executor.imap(run_task, tasks_for(exp, todo)):
            pending.append(store.write_files(run_id, result))
            if time.monotonic() - last >= commit_every:
                store.commit(run_id, pending)
                pending, last = [], time.monotonic()
            if progress is not None:
                progress(result)
    except KeyboardInterrupt:
        store.commit(run_id, pending, "interrupted")
        raise
    except BaseException as exc:
        store.commit(run_id, pending, "failed", f"{type(exc).__name__}: {exc}"[:500])
        raise
    store.commit(run_id, pending)
    missing = len(exp.chunks(store.info(run_id)["chunk_size"])) - len(store.committed(run_id))
    if missing:
        raise RuntimeError(f"ensemble {run_id} ended with {missing} chunks uncommitted")
    store.finish(run_id, "done")
