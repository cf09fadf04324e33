"""Output tables that reuse the memory of tables no longer referenced.

A simulation's output table is large (10,000 coupled runs: 100 outputs × 37 years × 8 bytes per
run, about 300 MB) and the kernels write it once. Fresh memory from the operating system costs a
page fault and a zeroing of every page on its first write, which was about a tenth of a 10,000-run
coupled simulation; a table whose memory was written before costs neither.

:func:`output_table` takes its memory from an anonymous ``mmap`` seen through one numpy array;
every view of the table (the result's outputs included) refers to that array, so when the last
view is gone a ``weakref.finalize`` hands the mapping back to the pool. A reused table holds the
old values: whoever takes one must write or zero each row before reading it (the recorder zeroes
a row on first use unless a kernel stored it whole, see :class:`~fentsim.model.recorder.Recorder`).

The pool keeps at most :data:`POOL_MAX_BYTES` (a quarter of physical memory unless
``FENTSIM_TABLE_POOL_BYTES`` says otherwise), dropping the tables returned longest ago to make
room for a newer one, and hands out only tables of at least :data:`POOL_MIN_BYTES` (smaller
ones are cheap to zero); :func:`release` empties it.

Example:
    >>> t, reused = output_table((2, 3, 1000))
    >>> t.shape, t.ctypes.data % 64, t.strides[1] % 64
    ((2, 3, 1000), 0, 0)
"""

from __future__ import annotations

import contextlib
import mmap
import os
import threading
import warnings
import weakref

import numpy as np

#: tables smaller than this are allocated zeroed and not pooled
POOL_MIN_BYTES = 1 << 22
#: share of physical memory the pool may keep by default
POOL_SHARE_OF_MEMORY = 0.25
#: the pool's limit where physical memory is unknown
POOL_FALLBACK_BYTES = 1 << 30


def pool_limit(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """The most memory the pool keeps: ``FENTSIM_TABLE_POOL_BYTES`` if set (a warning, and the
    default, for a value that is not a number), else a quarter of physical memory (1 GiB where
    that is unknown).

    A quarter keeps the table of a 100,000-run coupled simulation (2.9 GiB) on a 16 GB machine:
    measured on 2 cores, a 100,000-run coupled simulate took 3.4–4.4 s (three of four calls under
    3.6 s) with its table reused against 4.1–4.6 s when every call mapped and zeroed a fresh one
    (1 GiB limit). The memory stays with the process until :func:`release` or exit; set the
    variable lower (0 turns pooling off) where that matters more.

    Example:
        >>> pool_limit({"FENTSIM_TABLE_POOL_BYTES": "1000"})
        1000
    """
    raw = environ.get("FENTSIM_TABLE_POOL_BYTES", "").strip()
    if raw:
        try:
            return max(int(float(raw)), 0)
        except (ValueError, OverflowError):
            warnings.warn(
                f"FENTSIM_TABLE_POOL_BYTES must be a number of bytes, got {raw!r}; "
                "using a quarter of physical memory",
                stacklevel=2,
            )
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return POOL_FALLBACK_BYTES
    return int(physical * POOL_SHARE_OF_MEMORY) if physical > 0 else POOL_FALLBACK_BYTES


#: the most memory the pool keeps for reuse (:func:`pool_limit`, read on import)
POOL_MAX_BYTES = pool_limit()
#: bytes in a cache line
LINE = 64

_lock = threading.Lock()
_free: list[tuple[int, mmap.mmap]] = []  # (bytes, mapping), oldest first
_kept = [0]  # bytes held in _free


def _forget_in_child() -> None:
    """A forked worker starts with an empty pool and a fresh lock (the parent's lock may have
    been held by another thread at the fork; the parent's tables are its own)."""
    global _lock
    _lock = threading.Lock()
    _free.clear()
    _kept[0] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _take(nbytes: int) -> tuple[mmap.mmap, bool]:
    with _lock:
        for k in range(len(_free) - 1, -1, -1):  # the most recently returned of that size
            if _free[k][0] == nbytes:
                _kept[0] -= nbytes
                return _free.pop(k)[1], True
    return _mapping(nbytes), False


def _mapping(nbytes: int) -> mmap.mmap:
    """A fresh anonymous mapping of ``nbytes`` (zero pages until written)."""
    if hasattr(mmap, "MAP_PRIVATE"):  # private: Python's default for -1 is shared (shmem) memory
        mm = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    else:  # pragma: no cover - Windows
        mm = mmap.mmap(-1, nbytes)
    if hasattr(mm, "madvise") and hasattr(mmap, "MADV_HUGEPAGE"):
        # as numpy does for large arrays: fewer page faults (where the kernel offers huge pages)
        with contextlib.suppress(OSError):
            mm.madvise(mmap.MADV_HUGEPAGE)
    return mm


def zero_pages(shape: tuple[int, ...]) -> np.ndarray:
    """Float64 zeros of ``shape`` (C order) on pages of their own, which cost nothing until they
    are read or written: for outputs that are all zero, such as the costs of levers a plan does
    not use. (``np.zeros`` of the same size comes from the C heap, which fentsim keeps for
    reuse (:mod:`~fentsim.model.heap`), and is zeroed there at once.) Small arrays are plain
    ``np.zeros``.

    Example:
        >>> z = zero_pages((3, 1000, 37))
        >>> z.shape, bool(z.flags.c_contiguous), float(z.sum())
        ((3, 1000, 37), True, 0.0)
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * 8
    if nbytes < POOL_MIN_BYTES:
        return np.zeros(shape)
    return np.frombuffer(_mapping(nbytes), dtype=np.float64).reshape(shape)


def _give(nbytes: int, mm: mmap.mmap) -> None:
    # called as the table's array dies, while its buffer export is still open: a mapping that
    # is not kept is unmapped when its last reference goes, not closed here. The oldest tables
    # go first when the pool is full: the size a caller simulates now is the one it is likely
    # to simulate again.
    with _lock:
        if nbytes > POOL_MAX_BYTES:
            return
        _free.append((nbytes, mm))
        _kept[0] += nbytes
        while _kept[0] > POOL_MAX_BYTES:
            _kept[0] -= _free.pop(0)[0]


def release() -> int:
    """Let go of every table the pool keeps (unmapped once unreferenced); returns the bytes."""
    with _lock:
        _free.clear()
        freed, _kept[0] = _kept[0], 0
    return freed


def kept_bytes() -> int:
    """Bytes the pool holds for reuse."""
    return _kept[0]


def padded_count(shape: tuple[int, ...]) -> tuple[int, int]:
    """Float64 elements of a table of ``shape`` whose last axis is padded to a multiple of 8
    (one cache line), and the padded length of that axis."""
    *lead, n = shape
    padded = -(-n // 8) * 8
    return int(np.prod(lead, dtype=np.int64)) * padded, padded


def output_table(shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
    """A float64 table of ``shape`` whose rows along the last axis start on cache lines, and
    whether its memory is reused (then it holds old values, not zeros).

    Tables under :data:`POOL_MIN_BYTES` are fresh zeros.
    """
    count, padded = padded_count(shape)
    nbytes = count * 8
    if nbytes < POOL_MIN_BYTES:
        return aligned_zeros(shape), False
    mm, reused = _take(nbytes)
    raw = np.frombuffer(mm, dtype=np.float64)  # page-aligned; every view refers to this array
    done = weakref.finalize(raw, _give, nbytes, mm)
    done.atexit = False
    *lead, n = shape
    return raw.reshape(*lead, padded)[..., :n], reused


def aligned_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` (float64) in which every row along the last axis starts on a cache line:
    the last axis is padded to a multiple of 8 in memory, and the view leaves the padding out.

    Kernels write the output table 16 runs at a time with non-temporal stores
    (:func:`~fentsim.model.vmath.stream_store`), which are cheap only for whole lines.

    Example:
        >>> a = aligned_zeros((2, 3, 10))
        >>> a.shape, a.ctypes.data % LINE, a.strides[1] % LINE
        ((2, 3, 10), 0, 0)
    """
    count, padded = padded_count(shape)
    *lead, _ = shape
    raw = np.zeros(count + LINE // 8)
    first = (-raw.ctypes.data % LINE) // 8
    return raw[first : first + count].reshape(*lead, padded)[..., : shape[-1]]
