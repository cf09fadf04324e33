"""Ensembles at scale: designs, executors and the results store.

*What* to run is an :class:`Experiment` (parameter design × portfolios × optional lever design,
one seed); *how* it runs is an executor (:class:`SerialExecutor`, :class:`ProcessExecutor`,
:class:`DaskExecutor`), used as a context manager; *where results go* is a :class:`Store`
(DuckDB catalogue + Parquet files, chunk by chunk, resumable after a crash).

Example:
    >>> import tempfile
    >>> from fentsim.ensemble import Experiment, ProcessExecutor, Store, run_ensemble
    >>> exp = Experiment(runs=2000, seed=1, portfolios=["status-quo"])  # doctest: +SKIP
    >>> with ProcessExecutor(workers=2) as ex:  # doctest: +SKIP
    ...     run_id = run_ensemble(exp, store=Store(tempfile.mkdtemp()), executor=ex)
    ...     df = Store().load(run_id)
"""

from .chunk import ChunkResult, ChunkTask, run_chunk, run_task
from .design import Experiment, run_seed_sequence
from .executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, make_executor
from .levers import LeverDesign, resolve_plan
from .runner import default_chunk, evaluate, resume, run_ensemble
from .sources import default_source, draw_params
from .store import Store, default_root
from .summary import KEY_OUTCOMES, SummarySpec, summarise

__all__ = [
    "KEY_OUTCOMES",
    "ChunkResult",
    "ChunkTask",
    "DaskExecutor",
    "Executor",
    "Experiment",
    "LeverDesign",
    "ProcessExecutor",
    "SerialExecutor",
    "Store",
    "SummarySpec",
    "default_chunk",
    "default_root",
    "default_source",
    "draw_params",
    "evaluate",
    "make_executor",
    "resolve_plan",
    "resume",
    "run_chunk",
    "run_ensemble",
    "run_seed_sequence",
    "run_task",
    "summarise",
]
