"""Executors: how chunks of an experiment run — in process, on local workers, or on Dask.

An executor runs *chunks* (never one run per task) and yields their results as they finish.
Executors are context managers (after EMA Workbench's evaluators): entering starts the workers,
leaving stops them. Every executor computes the same bits, because a chunk's result depends
only on the experiment and the chunk's run indices.

* :class:`SerialExecutor` — in this process, one chunk after another;
* :class:`ProcessExecutor` — ``workers`` local processes (``concurrent.futures``, started with
  ``forkserver`` where available, else ``spawn``: safe next to threads, never ``fork``);
* :class:`DaskExecutor` — a Dask ``distributed`` cluster: an existing scheduler
  (``scheduler="tcp://HOST:PORT"``) or a ``LocalCluster`` of ``workers`` processes on
  127.0.0.1 only.

At most ``window`` chunks are in flight at once (submitted but not yet consumed), so results
never pile up in memory however many chunks the design has.

Example:
    >>> with SerialExecutor() as ex:
    ...     sorted(ex.imap(abs, [-2, 1, -3]))
    [1, 2, 3]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

from ..errors import UserError

T = TypeVar("T")
R = TypeVar("R")


class Executor:
    """Base class: a context manager whose :meth:`imap` runs ``fn`` over tasks."""

    workers: int = 1
    description: str = "executor"

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (idempotent)."""

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Results of ``fn(task)`` in order of completion (not necessarily task order)."""
        raise NotImplementedError


class SerialExecutor(Executor):
    """Runs chunks in this process, in order.

    Example:
        >>> list(SerialExecutor().imap(str, [1, 2]))
        ['1', '2']
    """

    description = "serial (in process)"

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


class ProcessExecutor(Executor):
    """Runs chunks on ``workers`` local processes.

    Workers start fresh (never ``fork``), so, as with any ``multiprocessing`` code, a script
    that uses this executor must guard its entry point with ``if __name__ == "__main__":``.

    Args:
        workers: number of worker processes (default: the CPU count).
        start_method: ``forkserver`` or ``spawn`` (default: ``forkserver`` where available).
        window: most chunks in flight at once (default ``2 × workers``).

    Example:
        >>> with ProcessExecutor(workers=2) as ex:  # doctest: +SKIP
        ...     results = list(ex.imap(run_task, tasks))
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        start_method: str | None = None,
        window: int | None = None,
    ):
        self.workers = _check_workers(workers or os.cpu_count() or 1)
        methods = multiprocessing.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        if method not in ("forkserver", "spawn"):
            raise UserError(f"start_method {method!r} is not one of forkserver, spawn")
        self.window = window or 2 * self.workers
        self.description = f"{self.workers} local processes ({method})"
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":  # import the model once in the server; workers fork from it
            self._ctx.set_forkserver_preload(["fentsim.ensemble.chunk"])
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._start()
        return self

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._ctx,
                initializer=_kernel_threads,
                initargs=(threads,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self._start()
        return _windowed(lambda t: pool.submit(fn, t), tasks, self.window)


def _kernel_threads(threads: int) -> None:
    """Worker start: the compiled kernels' threads share the cores with the other workers
    (without this each worker process would start one kernel thread per core)."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


class DaskExecutor(Executor):
    """Runs chunks on a Dask ``distributed`` cluster.

    Args:
        scheduler: address of a running scheduler (``tcp://HOST:PORT``); if ``None``, a
            ``LocalCluster`` of ``workers`` single-threaded processes is started on 127.0.0.1 and
            closed on exit.
        workers: size of the local cluster (ignored with ``scheduler``).
        window: most chunks in flight at once (default ``2 ×`` the cluster's threads).

    Example:
        >>> with DaskExecutor(workers=2) as ex:  # doctest: +SKIP
        ...     results = list(ex.imap(run_task, tasks))
    """

    def __init__(
        self, scheduler: str | None = None, *, workers: int | None = None, window: int | None = None
    ):
        if scheduler is not None and not str(scheduler).startswith(
            ("tcp://", "tls://", "inproc://")
        ):
            raise UserError(f"scheduler {scheduler!r} must be an address such as tcp://HOST:PORT")
        self.scheduler = scheduler
        self.workers = _check_workers(workers or 1) if scheduler is None else (workers or 0)
        self._window = window
        self._client: Any = None
        self._cluster: Any = None
        self.description = (
            f"Dask scheduler {scheduler}"
            if scheduler
            else f"Dask LocalCluster of {self.workers} workers on 127.0.0.1"
        )

    def __enter__(self) -> DaskExecutor:
        self._start()
        return self

    def _start(self) -> Any:
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.scheduler, timeout="20s")
            except OSError as exc:
                raise UserError(
                    f"cannot reach the Dask scheduler {self.scheduler} ({exc})"
                ) from None
            self.workers = max(1, sum(self._client.nthreads().values()))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        from distributed import as_completed

        client = self._start()
        window = self._window or 2 * max(1, self.workers)
        it = iter(tasks)
        futures = as_completed([client.submit(fn, t, pure=False) for t in islice(it, window)])
        for fut in futures:
            result = fut.result()
            fut.release()
            nxt = next(it, _DONE)
            if nxt is not _DONE:
                futures.add(client.submit(fn, nxt, pure=False))
            yield result


def make_executor(workers: int = 1, scheduler: str | None = None, kind: str = "auto") -> Executor:
    """The executor for command-line style options.

    ``kind``: ``auto`` (Dask with a scheduler, else processes when ``workers > 1``, else
    serial), ``serial``, ``process`` or ``dask`` (with ``workers``: a local cluster).

    Example:
        >>> make_executor(1).description
        'serial (in process)'
    """
    kinds = ("auto", "serial", "process", "dask")
    if kind not in kinds:
        raise UserError(f"executor {kind!r} is not one of {', '.join(kinds)}")
    workers = _check_workers(workers)
    if kind == "dask" or scheduler is not None:
        if kind not in ("auto", "dask"):
            raise UserError(f"--scheduler needs the dask executor, not {kind!r}")
        return DaskExecutor(scheduler, workers=workers)
    if kind == "process" or (kind == "auto" and workers > 1):
        return ProcessExecutor(workers)
    return SerialExecutor()


_DONE = object()


def _windowed(submit: Callable[[Any], Future], tasks: Iterable[Any], window: int) -> Iterator[Any]:
    it = iter(tasks)
    pending = {submit(t) for t in islice(it, window)}
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                nxt = next(it, _DONE)
                if nxt is not _DONE:
                    pending.add(submit(nxt))
                yield fut.result()
    finally:
        for fut in pending:
            fut.cancel()


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or int(workers) != workers or workers < 1:
        raise UserError(f"workers must be a whole number >= 1, got {workers!r}")
    return int(workers)
