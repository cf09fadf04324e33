"""The branch-free elementary functions of the vectorised kernels, against the C library.

The epidemic month calls :func:`~fentsim.model.vmath.vexp` (through the competing-risk outflows
of :mod:`fentsim.model.flows`) instead of ``math.exp`` so that it compiles to SIMD code; these
tests pin its accuracy and the two properties the model relies on: an outflow never exceeds its
stock, and flows split from one amount conserve people exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from fentsim.model.flows import leave_fraction, leave_fraction_per_hazard, leave_scale
from fentsim.model.table_pool import aligned_zeros
from fentsim.model.vmath import (
    EXP_LIMIT,
    fill_row,
    store_fence,
    stream_scaled,
    stream_store,
    vexp,
    vlog,
    vmax,
    vmin,
)


def _vexp_all(xs):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = vexp(xs[i])
    return out


@pytest.mark.parametrize(
    ("fastmath", "tolerance"),
    [(False, 1e-14), (True, 1e-12)],  # the kernels compile with fast math (reassociation)
)
def test_vexp_matches_libm_over_the_whole_range(fastmath, tolerance):
    xs = np.concatenate([np.linspace(-EXP_LIMIT, EXP_LIMIT, 400_001), np.linspace(-1, 1, 20_001)])
    rel = np.abs(njit(fastmath=fastmath)(_vexp_all)(xs) / np.exp(xs) - 1.0)
    assert rel.max() < tolerance


def test_vexp_is_exact_at_zero_and_clamps_beyond_its_range():
    assert vexp(0.0) == 1.0
    assert vexp(-1e6) == pytest.approx(math.exp(-EXP_LIMIT), rel=1e-14)
    assert vexp(1e6) == pytest.approx(math.exp(EXP_LIMIT), rel=1e-14)
    assert np.isfinite(vexp(1e6)) and vexp(-1e6) > 0.0


def test_vmin_vmax_are_min_max():
    assert (vmin(1.0, 2.0), vmin(2.0, 1.0), vmax(1.0, 2.0), vmax(2.0, 1.0)) == (1.0, 1.0, 2.0, 2.0)


@pytest.mark.parametrize("x", [1e-5, 1e-3, 0.01, 0.1, 0.49, 0.5, 0.51, 1.0, 5.0, 50.0, 800.0])
def test_leave_fraction_per_hazard_matches_expm1(x):
    exact = -math.expm1(-x) / x
    assert leave_fraction_per_hazard(x) == pytest.approx(exact, rel=1e-10)
    assert leave_fraction(x) == pytest.approx(-math.expm1(-x), rel=1e-10)


def test_no_outflow_at_zero_hazard():
    assert leave_scale(1000.0, 0.0, 1.0 / 12.0) == 0.0


@given(
    stock=st.one_of(st.just(0.0), st.floats(1e-6, 1e9)),  # people: no subnormal stocks
    rates=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=6),
    dt=st.sampled_from([1.0 / 12.0, 1.0]),
)
def test_outflows_never_exceed_the_stock_and_split_it_exactly(stock, rates, dt):
    k = leave_scale(stock, sum(rates), dt)
    flows = [k * r for r in rates]
    assert all(f >= 0.0 for f in flows)
    assert sum(flows) <= stock * (1.0 + 1e-12)
    total = stock * leave_fraction(sum(rates) * dt)
    assert sum(flows) == pytest.approx(total, rel=1e-9, abs=1e-9)


def _vlog_all(xs):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = vlog(xs[i])
    return out


@pytest.mark.parametrize(("fastmath", "tolerance"), [(False, 5e-16), (True, 1e-15)])
def test_vlog_matches_libm_over_the_normal_numbers(fastmath, tolerance):
    xs = np.concatenate(
        [np.geomspace(1e-300, 1e300, 200_001), np.linspace(0.5, 2.0, 20_001), [1.0, 2.0, 0.5]]
    )
    got = njit(fastmath=fastmath)(_vlog_all)(xs)
    err = np.abs(got - np.log(xs)) / np.maximum(np.abs(np.log(xs)), 1.0)
    assert err.max() < tolerance
    assert vlog(1.0) == 0.0


@njit
def _stream_rows(dst, src, rows, i0):
    for k in range(src.shape[0]):
        for y in range(src.shape[1]):
            for j in range(src.shape[2]):
                stream_store(dst, rows[k], y, i0 + j, src[k, y, j])
    store_fence()


@pytest.mark.parametrize("n", [13, 16, 40])
def test_stream_store_writes_what_an_assignment_writes(n):
    # into the padded, line-aligned table and into a plain array's strided view, at an offset
    rng = np.random.default_rng(n)
    src = rng.normal(size=(3, 4, 5))
    rows = np.array([2, 0, 3])
    for table in (aligned_zeros((4, 4, n)), np.zeros((4, 4, n + 7))[:, :, 7:]):
        expected = table.copy()
        expected[rows, :, 6:11] = src
        _stream_rows(table, src, rows, 6)
        np.testing.assert_array_equal(table, expected)


@njit
def _stream_scaled_rows(dst, src, rows, y, i0, scale, n):
    for k in range(src.shape[0]):
        stream_scaled(dst, rows[k], y, i0, src, k, scale, n)
    store_fence()


@pytest.mark.parametrize(("i0", "n"), [(0, 16), (16, 16), (8, 16), (4, 12), (3, 16), (0, 13)])
def test_stream_scaled_writes_the_scaled_row_on_either_path(i0, n):
    # (0, 16), (16, 16), (8, 16) and (4, 12) start on 32 bytes in the line-aligned table and take the
    # four-wide path there; the others, and every case in the unaligned view, take the scalar path
    rng = np.random.default_rng(i0 * 100 + n)
    src = rng.normal(size=(3, 16))
    rows = np.array([2, 0, 3])
    for table in (aligned_zeros((4, 5, 40)), np.zeros((4, 5, 41))[:, :, 1:]):
        expected = table.copy()
        expected[rows, 3, i0 : i0 + n] = src[:, :n] * 0.75
        _stream_scaled_rows(table, src, rows, 3, i0, 0.75, n)
        np.testing.assert_array_equal(table, expected)


def test_stream_scaled_uses_four_wide_non_temporal_stores():
    table, src = aligned_zeros((4, 5, 40)), np.ones((3, 16))
    _stream_scaled_rows(table, src, np.array([2, 0, 3]), 3, 0, 0.75, 16)
    assembly = next(iter(_stream_scaled_rows.inspect_asm().values()))
    assert "movntpd" in assembly and "movntsd" in assembly  # the vector path and the fallback


def test_aligned_zeros_rows_start_on_cache_lines():
    for n in (1, 7, 8, 1808, 10_000):
        a = aligned_zeros((3, 37, n))
        assert a.shape == (3, 37, n) and not a.any()
        assert a.ctypes.data % 64 == 0 and a.strides[1] % 64 == 0


def test_fill_row_sets_one_row_of_a_block_and_nothing_else():
    @njit
    def fill(a, k, v):
        fill_row(a, k, v)

    block = np.arange(200 * 16, dtype=float).reshape(200, 16)
    rows = block[40:60]  # a view, as the block kernels' row groups are
    before = block.copy()
    fill(rows, 3, -2.5)
    assert (block[43] == -2.5).all()
    changed = np.flatnonzero((block != before).any(axis=1))
    assert changed.tolist() == [43]
