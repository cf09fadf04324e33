"""Fixed-seed results against the committed golden summary (update on purpose: `make golden`)."""

from __future__ import annotations

import json

from fentsim.testing.golden import GOLDEN_FILE, compare, summary


def test_golden_summary_unchanged():
    expected = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    problems = compare(expected, summary())
    assert not problems, (
        "results moved; if intended run `make golden` and note it in CHANGELOG:\n"
        + "\n".join(problems[:20])
    )


def test_golden_compare_detects_a_change():
    expected = {"observed": {"status-quo": {"opioid_deaths": {"2030": 100.0}}}}
    assert compare(expected, expected) == []
    moved = {"observed": {"status-quo": {"opioid_deaths": {"2030": 100.1}}}}
    assert compare(expected, moved)
