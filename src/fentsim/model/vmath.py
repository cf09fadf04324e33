"""Elementary functions that compiled loops can vectorise across runs.

numba calls the C library for ``math.exp``, and LLVM cannot turn a library call into a SIMD
instruction (numba's SVML path needs an LLVM build that pip's llvmlite is not), so a loop over runs
that calls ``math.exp`` is computed one run at a time. :func:`vexp` is the textbook replacement:
Cody–Waite range reduction ``x = n·ln 2 + r`` with ``|r| ≤ ln 2 / 2``, a degree-11 Taylor polynomial
for ``e^r`` (truncation error < 7e-15) and ``2^n`` assembled in the exponent bits, with no branch,
so a loop over runs that uses it compiles to AVX2 code handling four runs per instruction.

Example:
    >>> import math
    >>> from fentsim.model.vmath import vexp
    >>> abs(vexp(-3.7) / math.exp(-3.7) - 1.0) < 1e-14
    True
    >>> vexp(0.0)
    1.0
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.extending import intrinsic

#: arguments are clamped to this range (``e^±708`` is within float64)
EXP_LIMIT = 708.0
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split so that n·_LN2_HI is exact for |n| < 2^21
_LN2_LO = 1.9082149292705877e-10
#: ``2^52``: adding an integer-valued ``v < 2^52`` to it puts ``v`` in the mantissa bits
_TWO52 = 4503599627370496.0
_TWO52_BITS = 0x4330000000000000
_BIAS = 1023.0


@intrinsic
def _bits(typingctx, x):  # pragma: no cover - compiled
    """The IEEE-754 bits of a float64 as an int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, b):  # pragma: no cover - compiled
    """The float64 whose IEEE-754 bits are the int64 ``b``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, inline="always")
def vmin(a: float, b: float) -> float:
    """``min(a, b)`` as a compare-and-select (numba's builtin ``min`` is a call, which stops SIMD)."""
    return b if b < a else a


@njit(cache=True, inline="always")
def vmax(a: float, b: float) -> float:
    """``max(a, b)`` as a compare-and-select."""
    return b if b > a else a


@njit(cache=True, inline="always")
def vexp(x: float) -> float:
    """``e^x`` without a library call or a branch (relative error < 1e-14 on ``[−708, 708]``)."""
    x = vmin(vmax(x, -EXP_LIMIT), EXP_LIMIT)
    n = np.floor(x * _LOG2E + 0.5)  # a float: no float-to-int conversion, which AVX2 lacks
    r = x - n * _LN2_HI - n * _LN2_LO
    p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800))))))))))
    )  # fmt: skip
    # 2^n: the integer n + 1023 read from the mantissa of 2^52 + n + 1023, moved to the exponent
    scale = _from_bits((_bits(n + (_BIAS + _TWO52)) - _TWO52_BITS) << 52)
    return p * scale


_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_SQRT2 = 1.4142135623730951


@njit(cache=True, inline="always")
def vlog(x: float) -> float:
    """``ln x`` for a normal ``x > 0`` without a library call or a branch (rel. error < 1e-15).

    ``x = 2^e · m`` is read from the bits, ``m`` brought into ``[√½, √2)``, and
    ``ln m = 2·atanh(s)``, ``s = (m − 1)/(m + 1)``, summed to ``s^21`` (``|s| < 0.172``).

    Example:
        >>> import math
        >>> abs(vlog(3.7) - math.log(3.7)) < 1e-15, vlog(1.0)
        (True, 0.0)
    """
    b = _bits(x)
    e = _from_bits((b >> 52) | _TWO52_BITS) - (_TWO52 + _BIAS)  # the exponent, as a float
    m = _from_bits((b & _MANTISSA) | _ONE_BITS)  # the mantissa, in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1.0 if big else e
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    series = 1.0 + z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11 + z * (
        1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17 + z * (1.0 / 19 + z * (1.0 / 21))))))))))  # fmt: skip
    return e * _LN2_HI + (e * _LN2_LO + 2.0 * s * series)


def _element(context, builder, signature, args, at: int, ndim: int):  # pragma: no cover - compiled
    """Codegen: the pointer to the element of array argument ``at`` at the indices given by the
    ``ndim`` arguments after it."""
    aryty = signature.args[at]
    ary = context.make_array(aryty)(context, builder, args[at])
    idx = [
        context.cast(builder, args[at + 1 + d], signature.args[at + 1 + d], types.intp)
        for d in range(ndim)
    ]
    return cgutils.get_item_pointer(context, builder, aryty, ary, idx, wraparound=False)


_VEC4 = ir.VectorType(ir.DoubleType(), 4)


def _splat4(builder, value):  # pragma: no cover - compiled
    """Codegen: a four-double vector with ``value`` in every lane."""
    first = builder.insert_element(
        ir.Constant(_VEC4, ir.Undefined), value, ir.Constant(ir.IntType(32), 0)
    )
    lanes = ir.Constant(ir.VectorType(ir.IntType(32), 4), [0, 0, 0, 0])
    return builder.shuffle_vector(first, ir.Constant(_VEC4, ir.Undefined), lanes)


def _non_temporal(builder, store) -> None:  # pragma: no cover - compiled
    """Codegen: mark ``store`` non-temporal (written to memory without reading the line)."""
    store.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))


@intrinsic
def stream_store(typingctx, arr, i, j, k, value):  # pragma: no cover - compiled
    """``arr[i, j, k] = value`` as a non-temporal store: the cache line is written to memory
    without being read first. For outputs written once and not read soon, in whole lines: the
    output table's rows start on a cache line (:func:`~fentsim.model.table_pool.output_table`).
    Call :func:`store_fence` before the results are used."""

    def codegen(context, builder, signature, args):
        ptr = _element(context, builder, signature, args, 0, 3)
        val = context.cast(builder, args[4], signature.args[4], signature.args[0].dtype)
        _non_temporal(builder, builder.store(val, ptr))
        return context.get_dummy_value()

    return types.void(arr, i, j, k, value), codegen


@intrinsic
def _line_offset(typingctx, arr, i, j, k):  # pragma: no cover - compiled
    """The address of ``arr[i, j, k]`` modulo 32 bytes (0: a four-double vector may be stored
    there with an aligned non-temporal store)."""

    def codegen(context, builder, signature, args):
        ptr = _element(context, builder, signature, args, 0, 3)
        address = builder.ptrtoint(ptr, context.get_value_type(types.intp))
        return builder.and_(address, context.get_constant(types.intp, 31))

    return types.intp(arr, i, j, k), codegen


@intrinsic
def _stream4(typingctx, dst, i, j, k, src, row, col, scale):  # pragma: no cover - compiled
    """``dst[i, j, k : k + 4] = src[row, col : col + 4] * scale`` as one four-wide non-temporal
    store (``vmovntpd``). Both arrays must hold float64 (a typing error otherwise); the
    destination must be 32-byte aligned (:func:`_line_offset`) and both last axes contiguous:
    the caller checks."""
    for arr in (dst, src):
        if not isinstance(arr, types.Array) or arr.dtype != types.float64:
            raise TypingError(f"_stream4 stores float64 vectors, got {arr}")

    def codegen(context, builder, signature, args):
        dptr = _element(context, builder, signature, args, 0, 3)
        sptr = _element(context, builder, signature, args, 4, 2)
        values = builder.load(builder.bitcast(sptr, _VEC4.as_pointer()), align=8)
        s = context.cast(builder, args[7], signature.args[7], types.float64)
        product = builder.fmul(values, _splat4(builder, s))
        store = builder.store(product, builder.bitcast(dptr, _VEC4.as_pointer()))
        store.align = 32
        _non_temporal(builder, store)
        return context.get_dummy_value()

    return types.void(dst, i, j, k, src, row, col, scale), codegen


@njit(cache=True, inline="always")
def stream_scaled(dst, i, j, k0, src, row, scale, n):  # pragma: no cover - compiled
    """``dst[i, j, k0 : k0 + n] = src[row, :n] * scale`` with non-temporal stores
    (:func:`stream_store`), four values per store where ``n`` is a multiple of 4 and the
    destination is 32-byte aligned, as a full block written into the line-aligned output table is;
    one value per store otherwise. The values are the same either way."""
    if (
        n % 4 == 0
        and dst.strides[2] == 8
        and src.strides[1] == 8
        and _line_offset(dst, i, j, k0) == 0
    ):
        for c in range(0, n, 4):
            _stream4(dst, i, j, k0 + c, src, row, c, scale)
    else:
        for c in range(n):
            stream_store(dst, i, j, k0 + c, src[row, c] * scale)


@intrinsic
def store_fence(typingctx):  # pragma: no cover - compiled
    """``sfence``: every :func:`stream_store` before it is visible before any store after it."""

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.VoidType(), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.sfence")
        builder.call(fn, [])
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def fill_row(typingctx, arr, k, value):  # pragma: no cover - compiled
    """``arr[k, :] = value`` with four-wide vector stores: ``arr`` must be C-contiguous (a typing
    error otherwise) and its rows a multiple of 4 long (the block kernels' rows of
    :data:`~fentsim.model.demand_drivers.LANES` runs). numba's own loop compiled to one scalar
    store per element; the kernels read these rows four runs at a time."""
    if not isinstance(arr, types.Array) or arr.ndim != 2 or arr.layout != "C":
        raise TypingError(f"fill_row needs a C-contiguous 2-D array, got {arr}")

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        row = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [row, zero], wraparound=False)
        splat = _splat4(builder, context.cast(builder, args[2], signature.args[2], types.float64))
        n = builder.extract_value(ary.shape, 1)
        step = context.get_constant(types.intp, 4)
        with cgutils.for_range_slice(builder, zero, n, step) as (col, _):
            store = builder.store(
                splat, builder.bitcast(builder.gep(ptr, [col]), _VEC4.as_pointer())
            )
            store.align = 8
        return context.get_dummy_value()

    return types.void(arr, k, value), codegen
