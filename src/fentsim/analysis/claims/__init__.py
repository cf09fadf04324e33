"""Claims audit: checking a policy argument's numbers against fentsim's data and model.

A claims file (TOML; the essay's ships as ``essay.toml`` here) lists claims, each with the
quantity it asserts, the registered computation that measures that quantity (from the shipped
data, or from model runs with their uncertainty), the tolerances, and sources. The verdict —
supported / roughly right / wrong / not supported by the data (/ not evaluated, for model claims
that could not be run) — is computed from the computed value, never written in the file.

* :func:`load_claims` — read and validate a claims file (:class:`ClaimsError` names claim and field);
* :func:`evaluate` — compute and judge every claim → list of :class:`ClaimResult`;
* :data:`REGISTRY` — the computations a claim's ``method.fn`` may name.

Example:
    >>> from fentsim.analysis.claims import evaluate
    >>> res = {r.id: r for r in evaluate(use_model=False)}
    >>> res["a"].verdict, int(res["a"].computed)
    ('wrong', 70601)
    >>> res["i"].verdict
    'not evaluated'
"""

from .audit import ClaimResult, evaluate, evaluate_claim
from .computations import REGISTRY, Computed, Figure, register
from .model import ModelContext, ModelUnavailable
from .spec import Claim, ClaimsError, ClaimsFile, default_claims_path, load_claims, parse_claims
from .verdict import VERDICTS, Judgement, Tolerance, judge

__all__ = [
    "REGISTRY",
    "VERDICTS",
    "Claim",
    "ClaimResult",
    "ClaimsError",
    "ClaimsFile",
    "Computed",
    "Figure",
    "Judgement",
    "ModelContext",
    "ModelUnavailable",
    "Tolerance",
    "default_claims_path",
    "evaluate",
    "evaluate_claim",
    "judge",
    "load_claims",
    "parse_claims",
    "register",
]
