"""Observed exogenous inputs of the epidemic engine, interpolated to months, with extrapolation rules.

Annual observations are placed at mid-year and interpolated linearly between years; before the
first observation the first value is held. Past the last observation each input follows a
documented rule whose uncertain parts are registry parameters (per run):

=======================  ====================================  ===============================================
input                    data (shipped copy)                   after the last data year
=======================  ====================================  ===============================================
Rx-misuse initiation     NSDUH initiates 1999–2020; those      mean of the last 3 years × exp(rx_initiation_trend · years),
                         from 2015 (the survey's broader       divided by rx_misuse_redefinition like the
                         "misuse") divided by                  data it comes from
                         rx_misuse_redefinition
naloxone kits / yr       SOURCE data files 1999–2020           + naloxone_kits_growth per year for 5 years, then flat
MOUD capacity (persons)  methadone OTP single-day clients +    last value × exp(moud_capacity_growth · years)
                         bup_point_fraction × bup patients/yr
                         + XR-naltrexone patients, 1999–2020
fentanyl share           NFLIS heroin+fentanyl reports         approaches fentanyl_share_ceiling with time constant
                         1999–2021                             fentanyl_share_tau (observed-exposure mode only)
potency index            DEA powder purity 2022-2024,          1.0 before 2022 (no national series), last
                         relative to its 2022-23 mean          value held after
pandemic                 US national emergency, March 2020     OD incidence x (1 + pandemic_od_effect x
                                                               exp(-years since / pandemic_decay))
=======================  ====================================  ===============================================

Example:
    >>> from fentsim.model.clock import Clock
    >>> inp = observed_inputs(Clock(1999, 2030))
    >>> inp.fentanyl_share.shape
    (384,)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .clock import Clock

#: years of data averaged for the Rx-initiation extrapolation base (2020 alone is a COVID-era low)
RX_INIT_BASE_YEARS = 3
#: NSDUH's 2015 questionnaire redesign replaced "nonmedical use" of prescription pain relievers
#: (use only for the feeling it causes) with the broader "misuse" (any use not directed by a
#: doctor): from this survey year the initiates count a wider group. The kernel divides those
#: years by the per-run ``rx_misuse_redefinition`` ratio, so the inflow stays on one definition.
NSDUH_REDEFINITION_YEAR = 2015
#: the COVID-19 national emergency declaration (13 March 2020), as a decimal year
PANDEMIC_START = 2020.0 + 2.5 / 12.0
#: years whose DEA readings define potency 1.0
REFERENCE_YEARS = (2022, 2023)
#: naloxone distribution keeps growing for this many years past the data (OTC approval 2023), then flat
NALOXONE_GROWTH_YEARS = 5.0


@dataclass(frozen=True)
class ObservedInputs:
    """Monthly input arrays (shape ``(n_months,)``) and years past each series' last datum."""

    rx_initiation: np.ndarray  # persons/yr, the part interpolated from the years before 2015
    rx_initiation_redefined: np.ndarray  # persons/yr, the part from 2015 on (new definition)
    rx_initiation_base: float  # persons/yr, mean of the last data years (new definition)
    rx_initiation_past: np.ndarray  # years past the last datum (0 inside the data)
    naloxone_kits: np.ndarray  # kits/yr
    naloxone_past: np.ndarray
    methadone: np.ndarray  # persons (single-day clients)
    bup_patients: np.ndarray  # persons per year
    xr_naltrexone: np.ndarray  # persons
    moud_past: np.ndarray
    fentanyl_share: np.ndarray  # share
    fentanyl_share_last: float
    fentanyl_past: np.ndarray
    potency: np.ndarray  # index, 1.0 = 2022-23 mean purity
    pandemic_past: np.ndarray  # years since March 2020 (-1 before)


def _interp(
    times: np.ndarray, years: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation at mid-year points; the value and the years past the last point."""
    x = years + 0.5
    v = np.interp(times, x, values)
    past = np.maximum(times - x[-1], 0.0)
    return v, past


def _annual_frame():
    from .. import data

    return data.load("demand_series")


def _dea_points(column: str) -> tuple[np.ndarray, np.ndarray]:
    """One DEA laboratory measure by decimal year (annual rows at mid-year, ``2019Q1`` at Feb 15)."""
    from .. import data

    df = data.load("dea_purity")
    times, values = [], []
    for _, row in df.iterrows():
        val = row.get(column)
        if val is None or not np.isfinite(float(val)):
            continue
        period = str(row.get("period", row["year"])).strip().upper()
        if period.isdigit():
            t = float(period) + 0.5
        elif len(period) == 6 and period[4] == "Q":
            t = float(period[:4]) + (int(period[5]) - 0.5) / 4.0
        elif period.startswith("FY") and period[2:].isdigit():
            t = float(period[2:]) - 0.25  # Oct-Sep fiscal year: its middle is ~1 April
        else:
            continue
        times.append(t)
        values.append(float(val))
    order = np.argsort(times)
    return np.asarray(times)[order], np.asarray(values)[order]


def trend_share(ceiling, last, past, tau):
    """The fentanyl share ``past`` years after the last NFLIS datum ``last``: it approaches
    ``ceiling`` with time constant ``tau`` (scalars or arrays; compiled into the demand kernel).

    Example:
        >>> round(float(trend_share(0.95, 0.85, 2.0, 2.0)), 4)
        0.9132
    """
    return ceiling - (ceiling - last) * np.exp(-past / tau)


def potency_index(times: np.ndarray) -> np.ndarray:
    """Observed potency index at ``times``: DEA fentanyl powder purity relative to its 2022–23 mean.

    1.0 before the first reading (2022): there is no national purity series before it, and the
    share of counterfeit pills with ≥ 2 mg (from 2017) measures pill dosing, not the potency of the
    powder most overdose deaths involve. The last reading is held after 2024.
    """
    tw, vw = _dea_points("powder_purity_pct")
    ref = vw[(tw >= REFERENCE_YEARS[0]) & (tw < REFERENCE_YEARS[1] + 1)].mean()
    return np.where(times < tw[0], 1.0, np.interp(times, tw, vw / ref))


@lru_cache(maxsize=16)
def observed_inputs(clock: Clock) -> ObservedInputs:
    """The observed inputs on ``clock``'s months (cached per clock)."""
    df = _annual_frame()
    times = clock.times()

    def series(col: str, keep=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sub = df[["year", col]].dropna()
        yrs = sub["year"].to_numpy(dtype=float)
        vals = sub[col].to_numpy(dtype=float)
        # interpolation is linear in the values: the parts of a split series add up to the whole
        v, past = _interp(times, yrs, vals if keep is None else np.where(keep(yrs), vals, 0.0))
        return v, past, vals

    def redefined(yrs: np.ndarray) -> np.ndarray:
        return yrs >= NSDUH_REDEFINITION_YEAR

    rx, rx_past, rx_vals = series("rx_misuse_initiates_nsduh", lambda yrs: ~redefined(yrs))
    rx_new, _, _ = series("rx_misuse_initiates_nsduh", redefined)
    nal, nal_past, _ = series("naloxone_kits_total")
    mmt, moud_past, _ = series("methadone_otp_clients_single_day")
    bup, _, _ = series("buprenorphine_patients_per_year")
    xr, _, _ = series("xr_naltrexone_patients_point")
    fent, fent_past, fent_vals = series("fentanyl_share_heroin_fentanyl_nflis")

    potency = potency_index(times)

    return ObservedInputs(
        rx_initiation=rx,
        rx_initiation_redefined=rx_new,
        rx_initiation_base=float(rx_vals[-RX_INIT_BASE_YEARS:].mean()),
        rx_initiation_past=rx_past,
        naloxone_kits=nal,
        naloxone_past=nal_past,
        methadone=mmt,
        bup_patients=bup,
        xr_naltrexone=xr,
        moud_past=moud_past,
        fentanyl_share=fent,
        fentanyl_share_last=float(fent_vals[-1]),
        fentanyl_past=fent_past,
        potency=potency,
        pandemic_past=np.where(times >= PANDEMIC_START, times - PANDEMIC_START, -1.0),
    )
