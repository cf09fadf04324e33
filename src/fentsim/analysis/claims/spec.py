"""The claims file: a TOML list of checkable claims, validated before anything is computed.

.. code-block:: toml

    [audit]
    title     = "The Opioid Challenge (essay)"
    document  = "reference/essay-the-opioid-challenge.txt"
    tolerance = { supported = 0.10, roughly = 0.25 }   # default for claims without their own
    model     = { runs = 500, seed = 1 }                # default ensemble for model claims

    [[claims]]
    id        = "a"
    claim     = "a death toll exceeding 100,000 fentanyl overdoses in 2021 alone"
    quantity  = { what = "T40.4 deaths in 2021", asserted = 100000, unit = "deaths", compare = "at_least" }
    method    = { fn = "value", dataset = "deaths_annual", column = "deaths", year = 2021,
                  where = { series = "synthetic_t404" } }
    tolerance = { supported = 0.0, roughly = 0.10 }
    sources   = ["essay note 1", "CDC WONDER via fentsim dataset deaths_annual"]
    note      = "optional explanation shown with the verdict"

``method.fn`` names a registered computation (:data:`~.computations.REGISTRY`); the other
``method`` keys are its arguments. A malformed file raises :class:`ClaimsError` (a
:class:`~fentsim.errors.UserError`) naming the claim id and the field.

Example:
    >>> cf = load_claims()
    >>> cf.claims[0].id, cf.claims[0].compare
    ('a', 'at_least')
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import UserError
from . import model as _model  # noqa: F401  (registers the model computations)
from .computations import REGISTRY
from .verdict import COMPARES, Tolerance

_CLAIM_REQUIRED = {"id", "claim", "quantity", "method", "sources"}
_CLAIM_OPTIONAL = {"tolerance", "note"}
_QUANTITY_REQUIRED = {"what", "asserted", "unit"}
_QUANTITY_OPTIONAL = {"compare"}
DEFAULT_FILE = "essay.toml"


class ClaimsError(UserError):
    """The claims file is malformed."""


@dataclass(frozen=True)
class Claim:
    """One checkable claim."""

    id: str
    claim: str
    what: str
    asserted: float
    unit: str
    compare: str
    fn: str
    args: Mapping[str, Any]
    tolerance: Tolerance
    sources: tuple[str, ...]
    note: str = ""

    @property
    def kind(self) -> str:
        """Whether the claim needs "data" or a "model" run (from its computation)."""
        return REGISTRY[self.fn].kind


@dataclass(frozen=True)
class ClaimsFile:
    """A validated claims file."""

    title: str
    document: str
    runs: int
    seed: int
    claims: tuple[Claim, ...]
    path: str


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _tolerance(raw: Any, where: str) -> Tolerance:
    if not isinstance(raw, dict) or set(raw) != {"supported", "roughly"}:
        raise ClaimsError(f"{where} must be {{ supported = X, roughly = Y }}, got {raw!r}")
    s, r = raw["supported"], raw["roughly"]
    if not (_number(s) and _number(r) and 0 <= s <= r):
        raise ClaimsError(f"{where} needs numbers 0 <= supported <= roughly, got {raw!r}")
    return Tolerance(float(s), float(r))


def _check_keys(raw: Mapping[str, Any], required: set[str], optional: set[str], where: str) -> None:
    unknown = set(raw) - required - optional
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise ClaimsError(
            f"{where} has unknown field(s) {', '.join(sorted(unknown))}; allowed: {allowed}"
        )
    missing = required - set(raw)
    if missing:
        raise ClaimsError(f"{where} is missing field(s) {', '.join(sorted(missing))}")


def _claim(raw: Any, index: int, default_tol: Tolerance | None, origin: str) -> Claim:
    if not isinstance(raw, dict):
        raise ClaimsError(f"{origin}: claims[{index}] must be a table")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid.strip():
        raise ClaimsError(
            f"{origin}: claims[{index}] field 'id' must be a non-empty string, got {cid!r}"
        )
    where = f"{origin}: claim {cid!r}"
    _check_keys(raw, _CLAIM_REQUIRED, _CLAIM_OPTIONAL, where)
    if not isinstance(raw["claim"], str) or not raw["claim"].strip():
        raise ClaimsError(f"{where} field 'claim' must be a non-empty string")
    q = raw["quantity"]
    if not isinstance(q, dict):
        raise ClaimsError(f"{where} field 'quantity' must be a table")
    _check_keys(q, _QUANTITY_REQUIRED, _QUANTITY_OPTIONAL, f"{where} field 'quantity'")
    if not _number(q["asserted"]):
        raise ClaimsError(
            f"{where} field 'quantity.asserted' must be a number, got {q['asserted']!r}"
        )
    compare = q.get("compare", "equal")
    if compare not in COMPARES:
        raise ClaimsError(
            f"{where} field 'quantity.compare' is {compare!r}; allowed: {', '.join(COMPARES)}"
        )
    method = raw["method"]
    if not isinstance(method, dict) or "fn" not in method:
        raise ClaimsError(f"{where} field 'method' must be a table with fn = NAME")
    fn = method["fn"]
    if fn not in REGISTRY:
        raise ClaimsError(
            f"{where} field 'method.fn' is {fn!r}; allowed: {', '.join(sorted(REGISTRY))}"
        )
    args = {k: v for k, v in method.items() if k != "fn"}
    comp = REGISTRY[fn]
    try:
        sig = inspect.signature(comp.fn)
        sig.bind(None, **args) if comp.kind == "model" else sig.bind(**args)
    except TypeError as exc:
        raise ClaimsError(f"{where} field 'method' does not fit {fn}{sig}: {exc}") from None
    if "tolerance" in raw:
        tol = _tolerance(raw["tolerance"], f"{where} field 'tolerance'")
    elif default_tol is not None:
        tol = default_tol
    else:
        raise ClaimsError(f"{where} is missing field 'tolerance' (and [audit] sets no default)")
    sources = raw["sources"]
    if (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(s, str) and s.strip() for s in sources)
    ):
        raise ClaimsError(f"{where} field 'sources' must be a non-empty list of strings")
    return Claim(
        id=cid,
        claim=" ".join(raw["claim"].split()),
        what=str(q["what"]),
        asserted=float(q["asserted"]),
        unit=str(q["unit"]),
        compare=compare,
        fn=fn,
        args=args,
        tolerance=tol,
        sources=tuple(sources),
        note=" ".join(str(raw.get("note", "")).split()),
    )


def parse_claims(raw: Mapping[str, Any], origin: str = "claims file") -> ClaimsFile:
    """Validate a parsed claims document; see the module docstring for the layout."""
    _check_keys(raw, {"claims"}, {"audit"}, origin)
    audit = raw.get("audit", {})
    if not isinstance(audit, dict):
        raise ClaimsError(f"{origin}: [audit] must be a table")
    _check_keys(audit, set(), {"title", "document", "tolerance", "model"}, f"{origin}: [audit]")
    default_tol = (
        _tolerance(audit["tolerance"], f"{origin}: [audit] tolerance")
        if "tolerance" in audit
        else None
    )
    model = audit.get("model", {})
    runs, seed = model.get("runs", 200), model.get("seed", 0)
    if not (isinstance(runs, int) and runs > 0 and isinstance(seed, int) and seed >= 0):
        raise ClaimsError(
            f"{origin}: [audit] model needs runs > 0 and seed >= 0 (integers), got {model!r}"
        )
    items = raw["claims"]
    if not isinstance(items, list) or not items:
        raise ClaimsError(f"{origin}: 'claims' must be a non-empty list of [[claims]] tables")
    claims = tuple(_claim(c, i, default_tol, origin) for i, c in enumerate(items))
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ClaimsError(f"{origin}: claim {c.id!r} field 'id' is used twice")
        seen.add(c.id)
    return ClaimsFile(
        str(audit.get("title", "")), str(audit.get("document", "")), runs, seed, claims, origin
    )


def default_claims_path() -> Path:
    """Path of the essay's claims file shipped with fentsim."""
    return Path(str(resources.files("fentsim.analysis.claims").joinpath(DEFAULT_FILE)))


def load_claims(path: str | Path | None = None) -> ClaimsFile:
    """Read and validate a claims file (the shipped essay audit when ``path`` is None)."""
    p = Path(path) if path is not None else default_claims_path()
    if not p.is_file():
        raise ClaimsError(f"claims file {str(p)!r} not found")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsError(f"claims file {str(p)!r} is not valid TOML: {exc}") from None
    return parse_claims(raw, origin=p.name)
