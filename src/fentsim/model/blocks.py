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

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba


def workers(n_blocks: int) -> int:
    """Threads for ``n_blocks`` blocks: numba's thread count (``NUMBA_NUM_THREADS``), at most one
    per block."""
    return max(1, min(numba.get_num_threads(), n_blocks))


#: ranges of blocks per thread: threads take the next range when they finish one, so a thread
#: slowed down (by another process on the machine) does not hold the others up at the end
PIECES_PER_THREAD = 8


def run_blocks(kernel: Callable[..., object], n_blocks: int, *args: object) -> None:
    """Call ``kernel(b0, b1, *args)`` on contiguous ranges of blocks that together cover
    ``0 … n_blocks − 1``, shared among threads as they become free; the kernel must release the
    GIL and write only its own blocks' runs."""
    k = workers(n_blocks)
    if k == 1:
        kernel(0, n_blocks, *args)
        return
    pieces = min(n_blocks, k * PIECES_PER_THREAD)
    bounds = [n_blocks * t // pieces for t in range(pieces + 1)]
    with ThreadPoolExecutor(k, thread_name_prefix="fentsim-blocks") as pool:
        futures = [pool.submit(kernel, bounds[t], bounds[t + 1], *args) for t in range(pieces)]
        for f in futures:
            f.result()
