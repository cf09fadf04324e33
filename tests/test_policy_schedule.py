"""Schedules start, ramp, hold and stop exactly when they say."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentsim.model.clock import Clock
from fentsim.policy import Schedule, ScheduleError, YearMonth

CLOCK = Clock(2020, 2035)


def month(clock: Clock, year: int, mon: int = 1) -> int:
    return clock.month(year, mon)


def test_step_schedule_starts_in_its_month_and_is_open_ended():
    prof = Schedule.build(7, "2026-04").profile(CLOCK)
    assert prof.shape == (CLOCK.n_months,)
    start = month(CLOCK, 2026, 4)
    assert np.all(prof[:start] == 0)
    assert np.all(prof[start:] == 7)


def test_bare_year_means_january_for_start_and_december_for_end():
    prof = Schedule.build(1, "2026", end="2027").profile(CLOCK)
    assert prof[month(CLOCK, 2025, 12)] == 0
    assert prof[month(CLOCK, 2026, 1)] == 1
    assert prof[month(CLOCK, 2027, 12)] == 1
    assert prof[month(CLOCK, 2028, 1)] == 0
    assert prof.sum() == 24


def test_linear_ramp_reaches_full_intensity_after_ramp_years():
    prof = Schedule.build(12, "2026", ramp=1).profile(CLOCK)
    s = month(CLOCK, 2026)
    np.testing.assert_allclose(prof[s : s + 12], np.arange(1, 13))
    assert np.all(prof[s + 12 :] == 12)
    assert prof[s - 1] == 0


def test_ramp_down_after_end_returns_to_zero():
    prof = Schedule.build(6, "2026", end="2026-12", ramp_down=0.5).profile(CLOCK)
    e = month(CLOCK, 2026, 12)
    assert prof[e] == 6
    np.testing.assert_allclose(prof[e + 1 : e + 7], [5, 4, 3, 2, 1, 0])
    assert np.all(prof[e + 6 :] == 0)


def test_end_during_the_ramp_ramps_down_from_the_level_reached():
    prof = Schedule.build(12, "2026", ramp=1, end="2026-06", ramp_down=0.25).profile(CLOCK)
    e = month(CLOCK, 2026, 6)
    assert prof[e] == 6
    np.testing.assert_allclose(prof[e + 1 : e + 4], [4, 2, 0])


def test_schedule_outside_the_clock_is_clipped_consistently():
    early = Clock(2020, 2025)
    assert np.all(Schedule.build(5, "2030").profile(early) == 0)
    late = Clock(2028, 2030)  # the ramp began before the clock starts
    prof = Schedule.build(24, "2027", ramp=2).profile(late)
    assert prof[0] == pytest.approx(13)
    assert prof[11] == 24


def test_several_timings_in_one_portfolio_are_independent():
    a = Schedule.build(1, "2026", end="2027").profile(CLOCK)
    b = Schedule.build(2, "2030-07", ramp=0.5).profile(CLOCK)
    assert a[month(CLOCK, 2030, 7)] == 0 and b[month(CLOCK, 2027, 1)] == 0


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2026", False, YearMonth(2026, 1)),
        ("2026", True, YearMonth(2026, 12)),
        ("2026-07", False, YearMonth(2026, 7)),
        (2030, True, YearMonth(2030, 12)),
        (dt.date(2027, 3, 1), False, YearMonth(2027, 3)),
    ],
)
def test_dates_parse(value, end, expected):
    assert YearMonth.parse(value, end=end) == expected


@pytest.mark.parametrize(
    "value", ["2026-13", "2026-00", "26", "2026/05", "next year", 2026.5, True, "1990", "2200"]
)
def test_bad_dates_are_refused(value):
    with pytest.raises(ScheduleError, match="allowed"):
        YearMonth.parse(value)


def test_end_before_start_and_ramp_down_without_end_are_refused():
    with pytest.raises(ScheduleError, match="before start"):
        Schedule.build(1, "2030", end="2029")
    with pytest.raises(ScheduleError, match="needs an end"):
        Schedule.build(1, "2030", ramp_down=1)
    with pytest.raises(ScheduleError, match="ramp"):
        Schedule.build(1, "2030", ramp=-1)


@settings(max_examples=60, deadline=None)
@given(
    intensity=st.floats(0, 100),
    start=st.integers(2020 * 12, 2034 * 12),
    ramp=st.floats(0, 5),
    length=st.one_of(st.none(), st.integers(0, 120)),
    down=st.floats(0, 3),
)
def test_profile_properties(intensity, start, ramp, length, down):
    s_ym = YearMonth(start // 12, start % 12 + 1)
    e_ym = None if length is None else YearMonth((start + length) // 12, (start + length) % 12 + 1)
    sched = Schedule(intensity, s_ym, ramp, e_ym, down if e_ym else 0.0)
    prof = sched.profile(CLOCK)
    first = start - CLOCK.start_year * 12
    assert np.all(prof[:first] == 0)
    assert np.all((prof >= 0) & (prof <= intensity + 1e-9))
    if e_ym is None:
        assert np.all(np.diff(prof[first:]) >= -1e-9)  # ramps up, never down
        full = first + int(np.ceil(ramp * 12))
        assert np.allclose(prof[full:], intensity)
    else:
        last = sched.last_index - CLOCK.start_year * 12
        assert np.all(prof[last + 1 :] == 0)
