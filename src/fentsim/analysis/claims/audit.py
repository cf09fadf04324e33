"""Evaluating a claims file: compute each claim's quantity, then judge it.

Example:
    >>> results = evaluate(load_claims(), use_model=False)
    >>> r = next(r for r in results if r.id == "g1")
    >>> r.verdict, round(r.computed, 2)
    ('wrong', 1.63)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ...errors import UserError
from .computations import REGISTRY, Computed, Figure
from .model import ModelContext, ModelUnavailable
from .spec import Claim, ClaimsFile, load_claims
from .verdict import NOT_EVALUATED, judge


@dataclass(frozen=True)
class ClaimResult:
    """A claim with its computed quantity and verdict."""

    claim: Claim
    verdict: str
    computed: float | None
    interval: tuple[float, float] | None
    gap: float | None
    detail: str
    reason: str
    figures: tuple[Figure, ...]

    @property
    def id(self) -> str:
        return self.claim.id

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record: id, claim, verdict, computed, sources, and the evidence behind them."""
        c = self.claim

        def clean(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else x

        return {
            "id": c.id,
            "claim": c.claim,
            "verdict": self.verdict,
            "computed": clean(self.computed),
            "interval": None if self.interval is None else [clean(v) for v in self.interval],
            "asserted": c.asserted,
            "compare": c.compare,
            "unit": c.unit,
            "quantity": c.what,
            "gap": clean(self.gap),
            "tolerance": {"supported": c.tolerance.supported, "roughly": c.tolerance.roughly},
            "kind": c.kind,
            "method": {"fn": c.fn, **c.args},
            "detail": self.detail,
            "reason": self.reason,
            "provenance": sorted({f.provenance for f in self.figures}),
            "figures": [
                {
                    "label": f.label,
                    "value": clean(f.value),
                    "provenance": f.provenance,
                    "source": f.source,
                }
                for f in self.figures
            ],
            "sources": list(c.sources),
            "note": c.note,
        }


def _compute(claim: Claim, ctx: ModelContext) -> Computed:
    comp = REGISTRY[claim.fn]
    try:
        return comp.fn(ctx, **claim.args) if comp.kind == "model" else comp.fn(**claim.args)
    except ModelUnavailable:
        raise
    except UserError as exc:
        raise UserError(f"claim {claim.id!r} field 'method': {exc}") from None


def evaluate_claim(claim: Claim, ctx: ModelContext) -> ClaimResult:
    """Compute and judge one claim."""
    try:
        c = _compute(claim, ctx)
    except ModelUnavailable as exc:
        return ClaimResult(claim, NOT_EVALUATED, None, None, None, "", str(exc), ())
    j = judge(c, claim.asserted, claim.compare, claim.tolerance)
    interval = (c.low, c.high) if c.low is not None and c.high is not None else None
    computed = c.value if c.value is not None else None
    return ClaimResult(
        claim, j.verdict, computed, interval, j.gap, c.detail, c.missing or "", c.figures
    )


def evaluate(
    claims: ClaimsFile | None = None,
    *,
    runs: int | None = None,
    seed: int | None = None,
    use_model: bool = True,
) -> list[ClaimResult]:
    """Evaluate every claim of ``claims`` (the shipped essay audit by default).

    Model claims use ``runs``/``seed`` (default: the file's ``[audit] model``); with
    ``use_model=False`` they are reported as "not evaluated".

    Example:
        >>> [r.verdict for r in evaluate(use_model=False) if r.id in ("a", "h2")]
        ['wrong', 'supported']
    """
    cf = claims if claims is not None else load_claims()
    if runs is not None and runs <= 0:
        raise UserError(f"--runs must be a positive integer, got {runs}")
    if seed is not None and seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {seed}")
    ctx = ModelContext(runs or cf.runs, cf.seed if seed is None else seed, enabled=use_model)
    return [evaluate_claim(c, ctx) for c in cf.claims]
