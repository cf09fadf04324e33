"""Blocks of runs shared among threads, for the block kernels.

The block kernels (:func:`~fentsim.model.coupled_run.coupled_months`) keep a block of
:data:`~fentsim.model.demand_drivers.LANES` runs in one array and loop over its runs in SIMD code.
They are compiled serially with ``nogil=True`` and called from a few Python threads, which take
contiguous ranges of blocks as they become free, rather than with numba's ``parallel=True``: for
these kernels the parallel backend's outlined loop body compiled several times more slowly (about
270 s against 77 s for the coupled kernel) and ran no faster (the observed-mode epidemic, side by side: 16.9
and 17.2 million run-months/s parallel, 18.0 and 18.3 threaded, on 2 cores).

Example:
    >>> import numpy as np
    >>> seen = np.zeros(10)
    >>> def mark(b0, b1, out):
    ...     out[b0:b1] += 1.0
    >>> run_blocks(mark, 10, seen)
    >>> seen.tolist() == [1.0] * 10
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba


def workers(n_blocks: int) -> int:
    """Threads for ``n_blocks`` blocks: numba's thread count (``NUMBA_NUM_THREADS``), at most one
    per block."""
    return max(1, min(numba.get_num_threads(), n_blocks))


#: the smallest range a thread takes, as a fraction of the blocks per thread: ranges shrink
#: towards it as the blocks run out (:func:`piece_bounds`)
SMALLEST_PIECE = 1 / 32


def piece_bounds(n_blocks: int, threads: int) -> list[int]:
    """Bounds of the contiguous ranges that threads take in turn: each range is half of what is
    left divided among the threads ("guided" scheduling), down to :data:`SMALLEST_PIECE` of a
    thread's share. Large ranges first keep the calls few; small ones last keep the threads
    finishing together, whether one was slowed by another process on the machine or not.

    Example:
        >>> piece_bounds(512, 2)
        [0, 128, 224, 296, 350, 390, 420, 443, 460, 473, 482, 490, 498, 506, 512]
        >>> piece_bounds(3, 2)
        [0, 1, 2, 3]
    """
    smallest = max(1, round(n_blocks / threads * SMALLEST_PIECE))
    bounds = [0]
    while bounds[-1] < n_blocks:
        left = n_blocks - bounds[-1]
        bounds.append(bounds[-1] + min(left, max(smallest, left // (2 * threads))))
    return bounds


def run_blocks(kernel: Callable[..., object], n_blocks: int, *args: object) -> None:
    """Call ``kernel(b0, b1, *args)`` on contiguous ranges of blocks that together cover
    ``0 … n_blocks − 1``, shared among threads as they become free (:func:`piece_bounds`); the
    kernel must release the GIL and write only its own blocks' runs."""
    k = workers(n_blocks)
    if k == 1:
        kernel(0, n_blocks, *args)
        return
    bounds = piece_bounds(n_blocks, k)
    with ThreadPoolExecutor(k, thread_name_prefix="fentsim-blocks") as pool:
        futures = [pool.submit(kernel, a, b, *args) for a, b in itertools.pairwise(bounds)]
        for f in futures:
            f.result()
