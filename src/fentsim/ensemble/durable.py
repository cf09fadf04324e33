"""Durable file writes: a temporary name, a flush to disk, an atomic rename, a flushed folder.

A reader (or a process started after a crash) sees either the whole new file or none of it;
orphaned temporary files are named ``.<name>.<random>.tmp`` so they are easy to sweep.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> write_bytes_atomic(p, b"ok"); p.read_bytes()
    b'ok'
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file under a temporary name, flush it, rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    _fsync_path(tmp)
    os.replace(tmp, path)
    _fsync_path(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes under a temporary name, flush them, rename the file into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)
