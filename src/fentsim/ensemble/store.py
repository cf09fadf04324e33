"""The results store: a DuckDB catalogue plus Parquet files written chunk by chunk.

Layout under the store root (default ``./fentsim-store``, or ``$FENTSIM_STORE``)::

    catalogue.duckdb                      ensembles (one row each) and chunks (one row per commit)
    runs/<id>/spec.json                   the experiment spec (a copy, for people)
    runs/<id>/draws.parquet               caller-supplied parameter sets (source "draws" only)
    runs/<id>/summary/chunk-000000.parquet       one row per run × portfolio (see ``chunk``)
    runs/<id>/params/chunk-000000.parquet        one row per run: the varied parameters
    runs/<id>/trajectories/chunk-000000.parquet  optional: run × portfolio × year

A chunk is committed in two steps: each file is written to a temporary name, flushed to disk and
renamed into place; only then is the chunk's row inserted into the catalogue (a no-op when it is
already there). A process killed at any point leaves either a committed chunk or one that a
resume computes again; readers only ever open the files of committed chunks, and orphaned
temporary files are removed on resume.

The catalogue is opened per operation and closed at once, so ``fentsim runs`` works while an
ensemble is being written (a locked catalogue is retried briefly).

Example:
    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())
    >>> store.list_runs()
    []
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import UserError
from ..params import ParamSet
from .chunk import ChunkResult
from .design import Experiment
from .durable import write_bytes_atomic, write_parquet_atomic

DEFAULT_ROOT = "fentsim-store"
KINDS: tuple[str, ...] = ("summary", "params", "trajectories")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ensembles (
    id VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, created TIMESTAMP NOT NULL,
    finished TIMESTAMP, runs BIGINT NOT NULL, portfolios VARCHAR NOT NULL, seed BIGINT NOT NULL,
    chunk_size BIGINT NOT NULL, n_chunks BIGINT NOT NULL, version VARCHAR NOT NULL,
    spec_hash VARCHAR NOT NULL, spec VARCHAR NOT NULL, trajectories BOOLEAN NOT NULL,
    executor VARCHAR, host VARCHAR, pid BIGINT, attempts INTEGER NOT NULL, error VARCHAR);
CREATE TABLE IF NOT EXISTS chunks (
    ensemble_id VARCHAR NOT NULL, chunk BIGINT NOT NULL, start BIGINT NOT NULL, stop BIGINT NOT NULL,
    rows BIGINT NOT NULL, compute_s DOUBLE, write_s DOUBLE, worker VARCHAR, finished TIMESTAMP,
    PRIMARY KEY (ensemble_id, chunk));
"""


def default_root() -> Path:
    """``$FENTSIM_STORE`` if set, else ``./fentsim-store``."""
    return Path(os.environ.get("FENTSIM_STORE") or DEFAULT_ROOT)


class Store:
    """A results store rooted at a folder (created on first write).

    Args:
        root: the folder (default: :func:`default_root`).
        lock_timeout: seconds to keep retrying a catalogue held by another process.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, lock_timeout: float = 60.0):
        self.root = Path(root) if root is not None else default_root()
        self.lock_timeout = lock_timeout
        self._schema_ok = False

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    @property
    def catalogue_path(self) -> Path:
        return self.root / "catalogue.duckdb"

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    # -- catalogue ---------------------------------------------------------------------------
    @contextmanager
    def _db(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                con = duckdb.connect(str(self.catalogue_path), read_only=read_only)
                break
            except duckdb.Error as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.02 + 0.08 * random.random())
        try:
            if not read_only and not self._schema_ok:
                con.execute(_SCHEMA)
                self._schema_ok = True
            yield con
        finally:
            con.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        if not self.catalogue_path.exists():
            return []
        with self._db(read_only=True) as con:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def create(
        self, exp: Experiment, chunk: int, *, run_id: str | None = None, executor: str = ""
    ) -> str:
        """Register a new ensemble of ``exp`` cut into chunks of ``chunk`` runs; returns its id."""
        n_chunks = len(exp.chunks(chunk))
        run_id = run_id or f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        if not _ID.match(run_id):
            raise UserError(f"run id {run_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if self._rows("SELECT id FROM ensembles WHERE id = ?", [run_id]):
            raise UserError(f"run id {run_id!r} is already in the store {self.root}")
        spec = exp.spec()
        folder = self.run_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / "spec.json", json.dumps(spec, indent=1).encode())
        if exp.source == "draws" and exp.draws is not None:
            write_parquet_atomic(
                pa.table({k: pa.array(v) for k, v in exp.draws.items()}), folder / "draws.parquet"
            )
        with self._db() as con:
            con.execute(
                "INSERT INTO ensembles VALUES (?, 'running', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL)",
                [
                    run_id,
                    _now(),
                    exp.runs,
                    json.dumps(list(exp.portfolio_names)),
                    exp.seed,
                    int(chunk),
                    n_chunks,
                    __version__,
                    exp.spec_hash,
                    json.dumps(spec, sort_keys=True),
                    bool(exp.trajectories),
                    executor,
                    socket.gethostname(),
                    os.getpid(),
                ],
            )
        return run_id

    def claim(self, run_id: str, executor: str = "") -> None:
        """Mark a stored ensemble as running in this process again (for a resume)."""
        with self._db() as con:
            con.execute(
                "UPDATE ensembles SET status = 'running', host = ?, pid = ?, executor = ?, "
                "attempts = attempts + 1, error = NULL, finished = NULL WHERE id = ?",
                [socket.gethostname(), os.getpid(), executor, run_id],
            )

    def committed(self, run_id: str) -> set[int]:
        """Indices of the chunks already committed."""
        rows = self._rows("SELECT chunk FROM chunks WHERE ensemble_id = ?", [run_id])
        return {int(r["chunk"]) for r in rows}

    def write_chunk(self, run_id: str, result: ChunkResult, *, check: bool = True) -> bool:
        """Write a chunk's files durably, then commit it; ``False`` if it was already committed.

        ``check=False`` skips the look-up; the commit stays idempotent either way (rewriting a
        chunk writes the same bits atomically, and a second catalogue row is never added).
        """
        if check and result.index in self.committed(run_id):
            return False
        self.commit(run_id, [self.write_files(run_id, result)])
        return True

    def write_files(self, run_id: str, result: ChunkResult) -> tuple[Any, ...]:
        """Write a chunk's Parquet files durably (not yet committed); returns its catalogue row."""
        t0 = time.perf_counter()
        folder = self.run_dir(run_id)
        for kind in KINDS:
            table = getattr(result, kind)
            if table is not None:
                write_parquet_atomic(table, self._chunk_path(folder, kind, result.index))
        return (
            run_id,
            result.index,
            result.start,
            result.stop,
            result.summary.num_rows,
            result.seconds,
            time.perf_counter() - t0,
            result.worker,
            _now(),
        )

    def commit(
        self,
        run_id: str,
        rows: list[tuple[Any, ...]],
        status: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record chunks whose files are durable (one transaction), optionally ending the run.

        Committing a chunk twice is a no-op, so a driver may re-commit after any crash.
        """
        with self._db() as con:
            con.execute("BEGIN TRANSACTION")
            if rows:
                con.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    rows,
                )
            if status is not None:
                con.execute(
                    "UPDATE ensembles SET status = ?, finished = ?, error = ? WHERE id = ?",
                    [status, _now(), error, run_id],
                )
            con.execute("COMMIT")

    def finish(self, run_id: str, status: str = "done", error: str | None = None) -> None:
        """Record the end of an ensemble (``done``, ``failed`` or ``interrupted``)."""
        self.commit(run_id, [], status, error)

    def clean_temp(self, run_id: str) -> int:
        """Remove temporary files left by an interrupted writer; returns how many."""
        removed = 0
        for path in self.run_dir(run_id).rglob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    # -- reading -----------------------------------------------------------------------------
    def list_runs(self) -> list[dict[str, Any]]:
        """Every ensemble in the catalogue, newest first, with its progress."""
        rows = self._rows(
            "SELECT e.id, e.status, e.created, e.finished, e.runs, e.portfolios, e.seed, "
            "e.chunk_size, e.n_chunks, count(c.chunk) AS chunks_done, e.version, e.spec_hash, "
            "e.trajectories, e.executor, e.host, e.pid, e.attempts, e.error, "
            "sum(c.compute_s) AS compute_s FROM ensembles e LEFT JOIN chunks c ON c.ensemble_id = e.id "
            "GROUP BY ALL ORDER BY e.created DESC, e.id DESC"
        )
        return [_present(r) for r in rows]

    def info(self, run_id: str) -> dict[str, Any]:
        """The catalogue row of one ensemble (with its spec parsed)."""
        rows = [r for r in self.list_runs() if r["id"] == run_id]
        if not rows:
            known = ", ".join(r["id"] for r in self.list_runs()[:5]) or "none"
            raise UserError(f"no ensemble {run_id!r} in the store {self.root} (latest: {known})")
        row = rows[0]
        row["spec"] = json.loads(
            self._rows("SELECT spec FROM ensembles WHERE id = ?", [run_id])[0]["spec"]
        )
        return row

    def experiment(self, run_id: str) -> Experiment:
        """Rebuild the experiment of a stored ensemble (with its supplied draws, if any)."""
        spec = self.info(run_id)["spec"]
        draws = None
        if spec["params"]["source"] == "draws":
            table = pq.read_table(self.run_dir(run_id) / "draws.parquet")
            draws = ParamSet({k: table[k].to_numpy() for k in table.column_names})
        return Experiment.from_spec(spec, draws)

    def timings(self, run_id: str):
        """Per-chunk timings (compute and write seconds, worker) as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(
            self._rows("SELECT * FROM chunks WHERE ensemble_id = ? ORDER BY chunk", [run_id])
        )

    def files(self, run_id: str, kind: str = "summary") -> list[Path]:
        """The Parquet files of the committed chunks, in run order."""
        if kind not in KINDS:
            raise UserError(f"result kind {kind!r} is not one of {', '.join(KINDS)}")
        folder = self.run_dir(run_id)
        return [self._chunk_path(folder, kind, k) for k in sorted(self.committed(run_id))]

    def load(
        self,
        run_id: str,
        kind: str = "summary",
        *,
        columns: list[str] | None = None,
        partial: bool = False,
    ):
        """Results of an ensemble as a pandas DataFrame, in run order (portfolio as categorical).

        Args:
            run_id: the ensemble.
            kind: ``summary``, ``params`` or ``trajectories``.
            columns: columns to read (default: all).
            partial: allow an unfinished ensemble (only its committed chunks are read).
        """
        info = self.info(run_id)
        if info["chunks_done"] < info["n_chunks"] and not partial:
            raise UserError(
                f"ensemble {run_id} is incomplete ({info['chunks_done']}/{info['n_chunks']} "
                f"chunks); finish it with `fentsim resume {run_id}` or pass partial=True"
            )
        if kind == "trajectories" and not info["trajectories"]:
            raise UserError(f"ensemble {run_id} kept no trajectories (run it with --trajectories)")
        files = self.files(run_id, kind)
        if not files:
            raise UserError(f"ensemble {run_id} has no committed chunks yet")
        table = pa.concat_tables([pq.read_table(f, columns=columns) for f in files])
        df = table.to_pandas()
        if "portfolio" in df:
            import pandas as pd

            df["portfolio"] = pd.Categorical(df["portfolio"], categories=info["portfolios"])
        return df

    def query(self, run_id: str, sql: str):
        """Run SQL over an ensemble's views ``summary``, ``params`` (and ``trajectories``).

        Example:
            >>> store.query(run_id, "SELECT portfolio, avg(opioid_deaths_total) FROM summary GROUP BY 1")  # doctest: +SKIP
        """
        con = duckdb.connect()
        try:
            for kind in KINDS:
                files = [f for f in self.files(run_id, kind) if f.exists()]
                if files:
                    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                    con.execute(f"CREATE VIEW {kind} AS SELECT * FROM read_parquet([{listed}])")
            return con.execute(sql).df()
        finally:
            con.close()

    @staticmethod
    def _chunk_path(folder: Path, kind: str, index: int) -> Path:
        return folder / kind / f"chunk-{index:06d}.parquet"


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """Catalogue row → plain values; a 'running' ensemble whose process is gone is 'interrupted'."""
    row = dict(row)
    row["portfolios"] = json.loads(row["portfolios"])
    for key in ("created", "finished"):
        row[key] = row[key].isoformat(timespec="seconds") + "Z" if row[key] is not None else None
    row["chunks_done"] = int(row["chunks_done"])
    if (
        row["status"] == "running"
        and row["host"] == socket.gethostname()
        and not _alive(row["pid"])
    ):
        row["status"] = "interrupted"
    return row


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
