"""Golden fixed-seed summaries: a committed baseline of model results that tests compare against.

A change that moves results must update the golden file on purpose (and say so in the
CHANGELOG)::

    make golden            # or: python -m fentsim.testing.golden --update

Example:
    >>> s = summary()
    >>> sorted(s)[:2]
    ['coupled', 'observed']
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN_FILE = Path(__file__).resolve().parents[3] / "tests" / "golden" / "summary.json"
RUNS, SEED, END = 16, 20261129, 2035
OUTCOMES = (
    "opioid_deaths",
    "opioid_deaths_synthetic",
    "people_with_oud",
    "people_in_moud",
    "fentanyl_share",
)
YEARS = (2000, 2010, 2020, 2024, 2030, 2035)
PORTFOLIOS = ("status-quo", "public-health")
#: relative tolerance for comparing against the golden file (floating-point reassociation only)
RTOL = 1e-6


def summary() -> dict[str, Any]:
    """Mean outcomes in selected years for fixed-seed runs of a few portfolios, both exposure modes."""
    from ..api import run

    out: dict[str, Any] = {}
    for exposure in ("observed", "coupled"):
        block: dict[str, Any] = {}
        for pf in PORTFOLIOS:
            res = run(pf, runs=RUNS, seed=SEED, end=END, exposure=exposure)
            block[pf] = {
                o: {str(y): float(res.outcomes[o][:, res.years == y].mean()) for y in YEARS}
                for o in OUTCOMES
                if o in res.outcomes
            }
        out[exposure] = block
    return out


def compare(expected: dict[str, Any], actual: dict[str, Any], rtol: float = RTOL) -> list[str]:
    """Differences between two summaries, as readable lines (empty when they agree)."""
    problems: list[str] = []

    def walk(e: Any, a: Any, path: str) -> None:
        if isinstance(e, dict):
            if not isinstance(a, dict) or set(e) != set(a):
                problems.append(
                    f"{path}: keys differ ({sorted(e)} vs {sorted(a) if isinstance(a, dict) else a})"
                )
                return
            for k in e:
                walk(e[k], a[k], f"{path}/{k}")
        elif not np.isclose(e, a, rtol=rtol, atol=0.0):
            problems.append(f"{path}: golden {e!r}, now {a!r}")

    walk(expected, actual, "")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden file")
    args = parser.parse_args(argv)
    actual = summary()
    if args.update:
        GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN_FILE.write_text(
            json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        print(f"wrote {GOLDEN_FILE}")
        return 0
    problems = compare(json.loads(GOLDEN_FILE.read_text(encoding="utf-8")), actual)
    print("\n".join(problems) or "golden summary matches")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
