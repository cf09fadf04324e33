"""Layouts and outputs of the supply component: state columns, accumulators, recorded outputs.

The supply kernel keeps each run's state in one row (``(n, len(ST))``) and adds monthly amounts
into annual accumulators (``(n, len(ACC))``) that :func:`flush` hands to the recorder once a year
(flows as sums, levels as the sum of the twelve monthly values, which the recorder averages).
``cbp_seizures_lb`` is flushed in September, so it is a **fiscal-year** total (October–September,
labelled with the FY, as CBP reports); the first simulated FY is partial (January–September) and
the last October–December is not recorded.

Example:
    >>> ST["cap"], ST["ship"]  # state columns: adoption, 4 source capacities, 3 shipping shares …
    (1, 5)
    >>> "fentanyl_seized_kg_tunnel" in [o.name for o in OUTPUTS]
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from numba import njit

from ..policy.plan import PolicyPlan
from .crossing import MODES
from .precursors import SOURCES
from .production import ORGS
from .recorder import Output, Recorder
from .vmath import vmax


def _layout(spec: tuple[tuple[str, int], ...]) -> dict[str, int]:
    out, i = {}, 0
    for name, width in spec:
        out[name] = i
        i += width
    out["_size"] = i
    return out


#: state columns (start index of each block; ``_size`` is the width)
ST = _layout((
    ("adoption", 1), ("cap", len(SOURCES)), ("ship", 3), ("lab", len(ORGS)), ("integrity", len(ORGS)),
    ("pinv", 1), ("stage", 1), ("route", len(MODES)), ("listing", 1), ("war", 1), ("loss", 1),
    ("direct", 1), ("stringency", 1),
))  # fmt: skip

#: annual accumulator columns
ACC = _layout((
    ("cbp", 1), ("pre_seized", 1), ("src", len(SOURCES)), ("prod", 1), ("seized_mx", 1),
    ("poe", 1), ("delivered", 1), ("removals", 1), ("cost", 1), ("lab", len(ORGS)),
    ("adopt", 1), ("rate", 1), ("stringency", 1), ("mode", len(MODES)), ("direct", 1),
    # policy channels (see supply_channels)
    ("enforcement", 1), ("lab_seized", 1), ("fin_cost", 1), ("laundering", 1), ("revenue", 1),
    ("node_hit", 1), ("availability", 1), ("bp_flow", 1), ("ship_lost", 1), ("detect", 3),
    ("bp_cost", 1), ("displaced", 1), ("substitution", 1),
    # derived from the others when the year closes (close_year)
    ("precursor_total", 1), ("seized_total", 1), ("lab_total", 1), ("dispersal", 1),
))  # fmt: skip

#: cumulative mass-balance accumulators (kg since the start of the run)
CUM: tuple[str, ...] = (
    "shipped", "lost", "arrived", "seized_labs", "used", "produced", "seized_mexico", "sent",
    "seized_border", "delivered", "direct_sent", "direct_seized", "direct_delivered",
)  # fmt: skip

#: plan levers read by the supply kernel, in the row order of its lever matrix
LEVERS: tuple[str, ...] = (
    "security_aid",
    "terrorist_designation",
    "financial_sanctions",
    "military_campaign",
    "precursor_controls",
)
#: military-campaign options, in the order of the kernel's ``mil`` vector
MIL_OPTIONS: tuple[str, ...] = ("leadership", "labs", "nodes", "unilateral")

MG_PER_KG = 1e6
DAYS_PER_MONTH = 365.25 / 12.0

#: (output, accumulator column, kind, unit, description); the CBP series is flushed separately
_SPEC: list[tuple[str, int, str, str, str]] = [
    ("precursor_seized_kg", ACC["pre_seized"], "flow", "kg", "precursor lost in shipping or seized in labs"),
    *[(f"precursor_kg_{s}", ACC["src"] + j, "flow", "kg", f"precursor shipped from source {s}")
      for j, s in enumerate(SOURCES)],
    ("fentanyl_produced_kg", ACC["prod"], "flow", "kg", "pure fentanyl synthesised in Mexico"),
    ("fentanyl_seized_mexico_kg", ACC["seized_mx"], "flow", "kg", "pure fentanyl seized at staging/distribution nodes in Mexico"),
    ("fentanyl_seized_poe_kg", ACC["poe"], "flow", "kg", "pure fentanyl seized at ports of entry (incl. mail facilities)"),
    ("fentanyl_delivered_kg", ACC["delivered"], "flow", "kg", "pure fentanyl delivered into the US (all routes)"),
    ("fentanyl_direct_kg", ACC["direct"], "flow", "kg", "finished fentanyl mailed directly from China"),
    ("leadership_removals", ACC["removals"], "flow", "count", "leaders of criminal organisations captured or killed"),
    ("precursor_cost_index", ACC["cost"], "level", "index", "precursor cost index (1 = no controls or shipping losses)"),
    *[(f"lab_capacity_kg_{o}", ACC["lab"] + j, "level", "kg/month", f"lab capacity of {o}")
      for j, o in enumerate(ORGS)],
    ("fentanyl_adoption", ACC["adopt"], "level", "fraction", "diffusion of fentanyl production capability"),
    ("border_seizure_rate", ACC["rate"], "level", "fraction", "share of fentanyl crossing that is seized"),
    ("precursor_control_stringency", ACC["stringency"], "level", "fraction", "stringency of precursor controls"),
    # channels of the security levers (names as in the lever catalogue, policy/levers.toml)
    ("mexico_enforcement_capacity", ACC["enforcement"], "level", "USD million/yr",
     "security aid in force (history + plan) times Mexico's cooperation"),
    ("lab_seizures", ACC["lab_seized"], "flow", "kg/month", "lab capacity destroyed by seizures and strikes"),
    ("cartel_financial_cost", ACC["fin_cost"], "level", "fraction", "share of capacity lost to sanctions and designation"),
    ("laundering_cost", ACC["laundering"], "level", "fraction", "sanctions' cost share before the cap"),
    ("cartel_revenue", ACC["revenue"], "flow", "kg", "fentanyl produced, net of financial losses (revenue index)"),
    ("node_disruption", ACC["node_hit"], "level", "fraction", "share of staged product seized in Mexico per month"),
    ("precursor_availability", ACC["availability"], "level", "fraction", "weighted availability of precursor sources"),
    ("precursor_shipping_losses", ACC["ship_lost"], "flow", "kg", "precursor lost in shipping"),
    ("precursor_substitution", ACC["substitution"], "level", "fraction",
     "displacement of source and shipping shares from their 1999 pattern"),
    ("between_port_crossings", ACC["bp_flow"], "flow", "kg", "pure fentanyl sent between ports of entry"),
    ("poe_passenger_detection", ACC["detect"], "level", "fraction", "detection probability, port passenger vehicles"),
    ("poe_commercial_detection", ACC["detect"] + 1, "level", "fraction", "detection probability, port commercial vehicles"),
    ("between_port_detection", ACC["detect"] + 2, "level", "fraction", "detection probability between ports"),
    ("between_port_crossing_cost", ACC["bp_cost"], "level", "index", "crossing cost between ports (1 = no barrier)"),
    ("flow_displaced_to_other_modes", ACC["displaced"], "flow", "kg",
     "fentanyl flow moved onto crossing modes whose detection has not risen since 1999 (balloon effect)"),
    *[(f"fentanyl_seized_kg_{m}", ACC["mode"] + k, "flow", "kg",
       f"pure fentanyl seized on mode {m}" + (" (incl. direct parcels from China)" if m == "mail" else ""))
      for k, m in enumerate(MODES)],
    # derived from the other columns when the year closes (close_year)
    ("precursor_kg", ACC["precursor_total"], "flow", "kg", "precursor arriving at Mexican labs"),
    ("fentanyl_seized_kg", ACC["seized_total"], "flow", "kg", "pure fentanyl seized entering the US (all modes)"),
    ("lab_capacity", ACC["lab_total"], "level", "kg/month", "lab capacity of all organisations"),
    ("production_dispersal", ACC["dispersal"], "level", "fraction", "share of lab capacity in the fragmented pool"),
]  # fmt: skip

_A_SRC, _A_MODE, _A_LAB, _A_SHIP_LOST = ACC["src"], ACC["mode"], ACC["lab"], ACC["ship_lost"]
_A_PREC, _A_SEIZED, _A_LAB_T, _A_DISP = (
    ACC["precursor_total"], ACC["seized_total"], ACC["lab_total"], ACC["dispersal"]
)  # fmt: skip
_N_SRC, _N_MODE, _N_ORG = len(SOURCES), len(MODES), len(ORGS)


@njit(cache=True, inline="always")
def close_year(A, i) -> None:
    """Run ``i``'s derived accumulators (``A[i, column]``) for the year, from the others; call once
    the year's months are in and before the year is recorded: precursor arriving (shipped from
    every source less shipping losses), fentanyl seized on all modes, lab capacity of all
    organisations, and the fragmented pool's share of it. Levels are kept as sums of the months,
    like the others, so the share is 12 × the ratio of the year's sums."""
    prec = -A[i, _A_SHIP_LOST]
    for j in range(_N_SRC):
        prec += A[i, _A_SRC + j]
    A[i, _A_PREC] = prec
    seized = 0.0
    for k in range(_N_MODE):
        seized += A[i, _A_MODE + k]
    A[i, _A_SEIZED] = seized
    lab = 0.0
    for o in range(_N_ORG):
        lab += A[i, _A_LAB + o]
    A[i, _A_LAB_T] = lab
    # no capacity at all: every organisation's is 0, so the share is 0
    A[i, _A_DISP] = 12.0 * A[i, _A_LAB + _N_ORG - 1] / vmax(lab, 1e-300)


@njit(cache=True)
def close_years(A) -> None:
    """:func:`close_year` for every run (rows of ``A``)."""
    for i in range(A.shape[0]):
        close_year(A, i)


CBP_OUTPUT = Output(
    "cbp_seizures_lb", "flow", "lb", "CBP fentanyl seizures, gross weight, fiscal year Oct-Sep"
)
#: the outputs recorded from the accumulators (the others are derived from them)
RECORDED: tuple[str, ...] = (CBP_OUTPUT.name, *(n for n, _, _, _, _ in _SPEC))
OUTPUTS: tuple[Output, ...] = (
    CBP_OUTPUT, *(Output(n, k, u, d) for n, _, k, u, d in _SPEC)
)  # fmt: skip
_COLS = np.array([c for _, c, _, _, _ in _SPEC])
_FLOWS = [(n, c) for n, c, k, _, _ in _SPEC if k == "flow"]
_LEVELS = [(n, c) for n, c, k, _, _ in _SPEC if k == "level"]
MONTH_SEPTEMBER = 8  #: CBP's fiscal year ends in September (month index 8 of the calendar year)
MONTH_DECEMBER = 11


def q_ref_kg(mg_per_day: np.ndarray) -> np.ndarray:
    """Consumption per user per month in kg of pure fentanyl, from mg/day.

    Example:
        >>> round(float(q_ref_kg(np.array([10.0]))[0] * 1e3), 4)  # grams per month
        0.3044
    """
    return mg_per_day * DAYS_PER_MONTH / MG_PER_KG


@lru_cache(maxsize=1)
def _mil_defaults() -> dict:
    from ..policy.catalogue import levers

    return levers()["military_campaign"].default_options()


def by_run(values: np.ndarray, n: int) -> np.ndarray:
    """``values`` shared by ``n`` runs as a ``(len(values), n)`` read-only view (no copy): the
    month functions read shared inputs by run column, as the block kernels hold them.

    Example:
        >>> by_run(np.array([1.0, 2.0]), 3).tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    return np.broadcast_to(np.asarray(values, dtype=float)[:, None], (len(values), n))


def military_options(plan: PolicyPlan) -> np.ndarray:
    """``[leadership, labs, nodes, unilateral]`` for the plan's military campaign.

    The target mix is normalised to sum to 1; ``unilateral`` is 1 when Mexico does not consent.
    Defaults come from the lever catalogue.
    """
    d = _mil_defaults()
    mix = plan.option("military_campaign", "target_mix", d.get("target_mix"))
    consent = plan.option("military_campaign", "consent", d.get("consent"))
    if not isinstance(mix, Mapping):
        raise ValueError(f"military_campaign target_mix must be a table, got {mix!r}")
    v = np.array([float(mix.get(k, 0.0)) for k in MIL_OPTIONS[:3]])
    v = v / v.sum() if v.sum() > 0 else v
    return np.append(v, 0.0 if consent else 1.0)


def flush(rec: Recorder, m: int, acc: np.ndarray) -> None:
    """Close the year (:func:`close_year`) and hand its accumulated outputs to the recorder (call
    in December), then reset them."""
    close_years(acc)
    t = np.ascontiguousarray(acc.T)  # one transpose, then contiguous rows for the recorder
    for name, c in _FLOWS:
        rec.flow(name, m, t[c])
    for name, c in _LEVELS:
        rec.level(name, m, t[c])
    acc[:, _COLS] = 0.0


def output_rows(row: dict[str, int]) -> np.ndarray:
    """Each accumulator column's row in a recorder's table (:meth:`Recorder.table`), −1 for the
    columns that are not outputs; the CBP column, recorded by fiscal year, is left out too."""
    out = np.full(ACC["_size"], -1, dtype=np.int64)
    for name, c in _FLOWS + _LEVELS:
        out[c] = row[name]
    return out


def flush_fiscal(rec: Recorder, m: int, acc: np.ndarray) -> None:
    """Hand the fiscal year's CBP seizures to the recorder (call in September) and reset them."""
    rec.flow(CBP_OUTPUT.name, m, acc[:, ACC["cbp"]])
    acc[:, ACC["cbp"]] = 0.0
