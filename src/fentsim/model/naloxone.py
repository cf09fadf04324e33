"""The naloxone chain: kits distributed → kits carried → overdose witnessed → used in time → survival.

Published models disagree about naloxone by a factor of ten (SOURCE: +20% kits averts 2.7% of
deaths; Stanford-Lancet: +30% availability averts ~25%) because they collapse this chain into
one number. fentsim keeps every link explicit and uncertain:

* kits in circulation ``K`` follow ``dK/dt = distributed · to_at_risk − K / kit_life``;
* the chance that a kit is on hand at an overdose is ``1 − exp(−carry · K / at_risk)``;
* a rescue needs the overdose witnessed, the kit used in time, and the dose to work.

The per-run scalar functions are numba-compiled so the demand kernel calls them directly.

Example:
    >>> round(rescue_probability(1e6, 1e6, 0.5, 0.8, 0.7, 0.9), 3)
    0.198
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, inline="always")
def kits_step(
    kits: float, distributed_per_yr: float, to_at_risk: float, kit_life: float, dt: float
) -> float:
    """Advance the stock of kits held by people at risk (and those around them) by ``dt`` years."""
    decay = math.exp(-dt / kit_life)
    return kits * decay + distributed_per_yr * to_at_risk * kit_life * (1.0 - decay)


def steady_state_kits(distributed_per_yr, to_at_risk, kit_life):
    """Kits in circulation when distribution has been constant for a long time."""
    return distributed_per_yr * to_at_risk * kit_life


@njit(cache=True, inline="always")
def p_kit_on_hand(kits: float, at_risk: float, carry: float) -> float:
    """Probability that a kit is at hand at an overdose (saturating in kits per person at risk)."""
    return -math.expm1(-carry * kits / max(at_risk, 1.0))


@njit(cache=True, inline="always")
def rescue_probability(
    kits: float,
    at_risk: float,
    carry: float,
    p_witnessed: float,
    p_used_in_time: float,
    efficacy: float,
) -> float:
    """Probability that an otherwise fatal overdose is reversed by lay naloxone."""
    return p_witnessed * p_kit_on_hand(kits, at_risk, carry) * p_used_in_time * efficacy
