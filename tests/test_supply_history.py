"""Historical policy inputs: the timeline's events become monthly drivers by generic rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fentsim.model.clock import Clock
from fentsim.model.history import DRIVERS, H, history_drivers, load_timeline, timeline_drivers

CLOCK = Clock(1999, 2035)


def frame(*rows):
    return pd.DataFrame(rows, columns=["start", "end", "lever", "magnitude"])


def col(d, name):
    return d[:, H[name]]


def test_every_shipped_event_has_a_rule():
    d = history_drivers(CLOCK)
    assert d.shape == (CLOCK.n_months, len(DRIVERS))
    assert not d.flags.writeable
    assert len(load_timeline()) > 10


def test_historical_events_land_in_their_months():
    d = history_drivers(CLOCK)
    m = CLOCK.month
    assert col(d, "aid_on")[m(2007, 10)] == 1 and col(d, "aid_on")[m(2021, 10)] == 0
    assert col(d, "kingpin_on")[m(2009, 1)] == 1 and col(d, "kingpin_on")[m(2013, 1)] == 0
    assert col(d, "immigration_on")[m(2021, 1)] == 1 and col(d, "immigration_on")[m(2024, 1)] == 0
    assert col(d, "classwide")[m(2019, 4)] == 0 and col(d, "classwide")[m(2019, 5)] == 1
    assert col(d, "listings")[m(2024, 9)] == 3 and col(d, "listings")[m(2025, 11)] == 13
    assert col(d, "coop_steps")[m(2023, 10)] == 0 and col(d, "coop_steps")[m(2030, 1)] == 1
    assert col(d, "war_start").sum() == 1 and col(d, "war_start")[m(2024, 9)] == 1
    assert col(d, "fto_on")[m(2019, 3)] == 0  # floated and shelved: no designation
    assert col(d, "fto_on")[m(2025, 2)] == 1
    # the scanner rollout ramps to completion and the status quo keeps it
    s = col(d, "scanning")
    assert s[m(2021, 12)] == 0 and 0 < s[m(2024, 1)] < 1 and s[m(2026, 9)] == 1 and s[-1] == 1
    # new barrier: 649 miles (Secure Fence Act) + 80 where none existed (2017-2021)
    assert col(d, "barrier_miles")[-1] == pytest.approx(649 + 80)
    assert col(d, "barrier_built").sum() == pytest.approx(649 + 80)


def test_ramps_built_linearly_and_steps_open_ended():
    d = timeline_drivers(frame(("2001-01", "2001-04", "border_barrier", "40 miles"),
                               ("2001-03", None, "financial_sanctions", "")), Clock(2001, 2001))  # fmt: skip
    np.testing.assert_allclose(col(d, "barrier_miles")[:5], [10, 20, 30, 40, 40])
    np.testing.assert_allclose(col(d, "barrier_built")[:5], [10, 10, 10, 10, 0])
    np.testing.assert_array_equal(col(d, "sanctions_on"), (np.arange(12) >= 2).astype(float))


def test_events_before_the_clock_start_are_carried_in():
    d = timeline_drivers(
        frame(("1990-01", "1995-12", "border_barrier", "100 miles")), Clock(2001, 2001)
    )
    assert np.all(col(d, "barrier_miles") == 100) and np.all(col(d, "barrier_built") == 0)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (("2001-01", None, "teleportation_ban", ""), "no rule"),
        (("2001-01", "2002-01", "border_barrier", "a long wall"), "gives no miles"),
        (("2001-01", None, "precursor_control", "some chemicals"), "unknown magnitude"),
        ((None, None, "security_aid", ""), "no start date"),
    ],
)
def test_unknown_or_malformed_rows_are_refused(row, match):
    with pytest.raises(ValueError, match=match):
        timeline_drivers(frame(row), Clock(2001, 2002))
