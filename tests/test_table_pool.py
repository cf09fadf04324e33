"""Output tables reuse the memory of dead tables, and no old value leaks into a result."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from fentsim.model import table_pool as tp
from fentsim.model.clock import Clock
from fentsim.model.engine import simulate, simulate_portfolios
from fentsim.model.recorder import Output, Recorder
from fentsim.params.projection import fitted_point
from fentsim.policy import compile_plan
from fentsim.policy.plan import PolicyPlan

POISON = 7.7e300


@pytest.fixture
def pool(monkeypatch):
    """Every table pooled, and every table handed back filled with a poison value."""
    give = tp._give

    def poisoned(nbytes, mm):
        np.frombuffer(mm, dtype=np.float64)[:] = POISON
        give(nbytes, mm)

    monkeypatch.setattr(tp, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(tp, "_give", poisoned)
    tp.release()
    yield
    tp.release()


def test_tables_start_on_cache_lines():
    for shape in ((3, 37, 10), (104, 37, 8200)):
        t, _ = tp.output_table(shape)
        assert t.shape == shape
        assert t.ctypes.data % tp.LINE == 0 and t.strides[1] % tp.LINE == 0


def test_small_tables_are_fresh_zeros():
    t, reused = tp.output_table((2, 3, 5))
    assert not reused and not t.any()
    del t
    gc.collect()
    assert tp.output_table((2, 3, 5))[1] is False


def test_a_table_is_reused_only_when_no_view_is_left(pool):
    t, reused = tp.output_table((4, 5, 17))
    assert not reused
    t[...] = 1.0
    view = t[2].T[1:]  # a view of a view: it keeps the memory alive
    del t
    gc.collect()
    assert tp.kept_bytes() == 0
    u, reused = tp.output_table((4, 5, 17))
    assert not reused  # the first table's memory is still in use
    del view
    gc.collect()
    assert tp.kept_bytes() > 0
    w, reused = tp.output_table((4, 5, 17))
    assert reused and (w == POISON).all()  # reused memory holds old values
    del u, w
    assert tp.release() > 0 and tp.kept_bytes() == 0


def test_the_pool_keeps_at_most_its_limit(pool, monkeypatch):
    monkeypatch.setattr(tp, "POOL_MAX_BYTES", 1000)
    t, _ = tp.output_table((4, 5, 17))  # 4 * 5 * 24 * 8 = 3840 bytes
    del t
    gc.collect()
    assert tp.kept_bytes() == 0


def test_a_full_pool_drops_its_oldest_tables_for_a_newer_one(pool, monkeypatch):
    monkeypatch.setattr(tp, "POOL_MAX_BYTES", 10_000)
    big, _ = tp.output_table((4, 5, 40))  # 6,400 bytes
    small, _ = tp.output_table((4, 5, 17))  # 3,840 bytes
    del big
    gc.collect()
    assert tp.kept_bytes() == 6_400
    del small
    gc.collect()  # together 10,240 bytes > 10,000: the big one, returned first, goes
    assert tp.kept_bytes() == 3_840
    assert tp.output_table((4, 5, 17))[1] is True
    assert tp.output_table((4, 5, 40))[1] is False


def test_a_recorder_on_reused_memory_reads_zeros_until_written(pool):
    clock = Clock(2020, 2022)
    outs = [Output("a", "flow", "", ""), Output("b", "level", "", ""), Output("c", "flow", "", "")]
    rec = Recorder(clock, 9, outs)
    del rec
    gc.collect()
    rec = Recorder(clock, 9, outs)
    assert rec._stale  # the table is a previous one's memory
    assert (rec.year_total("a", 1) == 0).all()
    sub = rec.block(slice(3, 6))
    sub.add_year("c", 0, np.ones(3))
    rec.add_years("b", slice(0, 2), np.full((2, 9), 12.0))
    res = rec.result()
    assert res["c"].tolist() == [[0, 0, 0]] * 3 + [[1, 0, 0]] * 3 + [[0, 0, 0]] * 3
    assert (res["b"][:, :2] == 1.0).all() and (res["b"][:, 2] == 0).all()
    assert (res["a"] == 0).all()


def _outcomes(res):
    return {k: np.array(v) for k, v in res.outcomes.items()}


@pytest.mark.parametrize("exposure", ["observed", "coupled"])
def test_results_on_reused_tables_equal_results_on_fresh_ones(pool, exposure):
    clock = Clock(2015, 2030)
    plan = compile_plan("public-health", clock)
    first = simulate(fitted_point(24), plan, clock=clock, exposure=exposure)
    del first
    gc.collect()
    assert tp.kept_bytes() > 0
    ps = fitted_point(24)
    ps["cfr_fentanyl"] = ps["cfr_fentanyl"] * 1.1
    again = _outcomes(simulate(ps, plan, clock=clock, exposure=exposure))
    tp.release()
    tp.POOL_MAX_BYTES, limit = 0, tp.POOL_MAX_BYTES
    try:
        fresh = _outcomes(simulate(ps, plan, clock=clock, exposure=exposure))
    finally:
        tp.POOL_MAX_BYTES = limit
    assert again.keys() == fresh.keys()
    for k in fresh:
        np.testing.assert_array_equal(again[k], fresh[k], err_msg=k)
        assert not (again[k] == POISON).any(), k


def test_forked_portfolios_on_reused_tables_equal_fresh_ones(pool):
    clock = Clock(2015, 2030)
    plans = [PolicyPlan(), compile_plan("essay+public-health", clock)]
    ps = fitted_point(16)
    for _ in range(2):  # the second pass runs on the first one's memory
        again = [_outcomes(r) for r in simulate_portfolios(ps, plans, clock=clock)]
        gc.collect()
    tp.release()
    tp.POOL_MAX_BYTES, limit = 0, tp.POOL_MAX_BYTES
    try:
        fresh = [_outcomes(r) for r in simulate_portfolios(ps, plans, clock=clock)]
    finally:
        tp.POOL_MAX_BYTES = limit
    for a, f in zip(again, fresh, strict=True):
        for k in f:
            np.testing.assert_array_equal(a[k], f[k], err_msg=k)


def test_a_forked_child_starts_with_an_empty_pool(pool):
    import multiprocessing as mp

    t, _ = tp.output_table((4, 5, 17))
    del t
    gc.collect()
    assert tp.kept_bytes() > 0
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as workers:
        assert workers.apply(tp.kept_bytes) == 0


def test_outputs_never_written_are_separate_zeros(monkeypatch):
    monkeypatch.setattr(tp, "POOL_MIN_BYTES", 1)  # zero pages of their own even for 3 runs
    res = simulate(fitted_point(3), clock=Clock(1999, 2002))  # the status quo costs nothing
    a, b = res.outcomes["cost_naloxone_usd"], res.outcomes["cost_prevention_usd"]
    assert a.shape == (3, 4) and a.flags.writeable
    assert not a.any() and not b.any()
    a += 1.0
    assert not b.any()
    assert (res.outcomes["cost_naloxone_usd"] == 1.0).all()


def test_the_pool_limit_comes_from_the_environment_or_physical_memory():
    assert tp.pool_limit({"FENTSIM_TABLE_POOL_BYTES": "2e9"}) == 2_000_000_000
    assert tp.pool_limit({"FENTSIM_TABLE_POOL_BYTES": "-5"}) == 0  # 0: no pooling
    default = tp.pool_limit({})
    assert default > 0
    with pytest.warns(UserWarning, match="FENTSIM_TABLE_POOL_BYTES"):
        assert tp.pool_limit({"FENTSIM_TABLE_POOL_BYTES": "lots"}) == default
