"""From a computed quantity, an asserted value and tolerances to a verdict.

The *gap* is the relative distance between what the claim asserts and what fentsim computes
(absolute when the asserted value is 0):

* ``compare = "equal"``: ``|computed - asserted| / |asserted|``; for a range, the distance from
  the asserted value to the range (0 inside it);
* ``compare = "at_least"`` ("more than X"): the relative shortfall ``max(0, asserted - computed)``,
  using the top of a range;
* ``compare = "at_most"``: the relative excess, using the bottom of a range.

Then: gap <= ``tolerance.supported`` → **supported**; gap <= ``tolerance.roughly`` → **roughly
right**; otherwise **wrong**. A *range* (published figures that disagree) counts every value in
it as defensible. A model *estimate* (a mean with a 5-95% interval across runs) carries its
uncertainty into the verdict:

* ``equal``: the gap uses the mean; an asserted value inside the interval is at least **roughly
  right** (the model finds it plausible);
* ``at_least`` / ``at_most``: **supported** needs the claim to hold across the interval (the gap
  of its unfavourable end: ``low`` for at_least, ``high`` for at_most); if only the mean meets it
  (within ``tolerance.roughly``) the claim is **roughly right**.

A quantity the data cannot give is **not supported by the data**; a model claim that could not be
run is **not evaluated**.

Example:
    >>> judge(Computed(70601.0), 100000, "at_least", Tolerance(0.0, 0.10)).verdict
    'wrong'
    >>> judge(Computed(None, 30.0, 50.0, "range"), 50, "equal", Tolerance(0.10, 0.25)).verdict
    'supported'
"""

from __future__ import annotations

from dataclasses import dataclass

from .computations import Computed

SUPPORTED = "supported"
ROUGHLY = "roughly right"
WRONG = "wrong"
NO_DATA = "not supported by the data"
NOT_EVALUATED = "not evaluated"
#: Every verdict, best first.
VERDICTS: tuple[str, ...] = (SUPPORTED, ROUGHLY, WRONG, NO_DATA, NOT_EVALUATED)
COMPARES: tuple[str, ...] = ("equal", "at_least", "at_most")


@dataclass(frozen=True)
class Tolerance:
    """Largest gap (relative) still judged "supported", and still "roughly right"."""

    supported: float
    roughly: float


@dataclass(frozen=True)
class Judgement:
    """A verdict and the gap it rests on (None when nothing could be compared)."""

    verdict: str
    gap: float | None


def _gap(x: float, asserted: float, compare: str) -> float:
    scale = abs(asserted) or 1.0
    if compare == "at_least":
        return max(0.0, asserted - x) / scale
    if compare == "at_most":
        return max(0.0, x - asserted) / scale
    return abs(x - asserted) / scale


def judge(c: Computed, asserted: float, compare: str, tol: Tolerance) -> Judgement:
    """The verdict for computed ``c`` against the ``asserted`` value (see module docstring)."""
    if c.missing is not None or (c.value is None and (c.low is None or c.high is None)):
        return Judgement(NO_DATA, None)
    if c.kind == "range" and c.low is not None and c.high is not None:
        if compare == "at_least":
            gap = _gap(c.high, asserted, compare)
        elif compare == "at_most":
            gap = _gap(c.low, asserted, compare)
        else:
            nearest = min(max(asserted, c.low), c.high)
            gap = _gap(nearest, asserted, compare)
        inside = False
    elif c.kind == "estimate" and c.low is not None and c.high is not None:
        assert c.value is not None
        mean_gap = _gap(c.value, asserted, compare)
        if compare == "equal":
            gap = mean_gap
            inside = c.low <= asserted <= c.high
        else:
            gap = _gap(c.low if compare == "at_least" else c.high, asserted, compare)
            inside = mean_gap <= tol.roughly
    else:
        assert c.value is not None
        gap = _gap(c.value, asserted, compare)
        inside = False
    if gap <= tol.supported:
        return Judgement(SUPPORTED, gap)
    if gap <= tol.roughly or inside:
        return Judgement(ROUGHLY, gap)
    return Judgement(WRONG, gap)
