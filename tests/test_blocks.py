"""How the block kernels' runs are shared among threads (:mod:`fentsim.model.blocks`)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fentsim.model.blocks import SMALLEST_PIECE, piece_bounds, run_blocks


@pytest.mark.parametrize("threads", [2, 3, 8])
@pytest.mark.parametrize("n_blocks", [1, 2, 3, 17, 113, 512, 6250])
def test_pieces_cover_every_block_once_and_shrink_to_the_smallest(n_blocks, threads):
    bounds = piece_bounds(n_blocks, threads)
    assert bounds[0] == 0 and bounds[-1] == n_blocks
    sizes = np.diff(bounds)
    assert (sizes >= 1).all()
    smallest = max(1, round(n_blocks / threads * SMALLEST_PIECE))
    # non-increasing, and never below the smallest piece except the remainder at the end
    assert (np.diff(sizes) <= 0).all()
    assert (sizes[:-1] >= smallest).all()


def test_pieces_are_few_and_the_last_ones_small():
    bounds = piece_bounds(512, 2)
    sizes = np.diff(bounds)
    assert len(sizes) <= 16  # few kernel calls per simulate chunk
    assert sizes[0] == 128 and sizes[-1] <= 8  # a quarter first, a 1/32 share at the end


def test_run_blocks_runs_every_block_once_across_threads():
    seen = np.zeros(1000, dtype=np.int64)
    lock = threading.Lock()

    def kernel(b0, b1, out):
        with lock:  # numpy's += on a slice is not atomic across threads
            out[b0:b1] += 1

    run_blocks(kernel, seen.size, seen)
    assert (seen == 1).all()
