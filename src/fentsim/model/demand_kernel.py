"""The compiled epidemic engine: one month of one run, and the two loops that drive it.

:func:`demand_month` advances one run one month and adds the month's outputs to that run's
annual accumulators; it is inlined into two compiled drivers:

* :func:`demand_step` — one month for every run (``prange``), used when other components
  (supply, market, violence) exchange signals with the epidemic every month;
* :func:`demand_run` — every month for every run in one call, with fentanyl exposure from the
  observed series (the ``observed`` mode): no Python between months, outputs accumulated in place.

Runs never interact, so any chunking gives identical results. The equations are documented in
:mod:`fentsim.model.demand`; parameters arrive as a ``(n_runs, N_P)`` matrix (:data:`PARAMS`
then the per-run constants of :func:`derived`), lever levels as ``(n_runs, len(LEVERS))`` rows,
the observed inputs of a month as one row of :func:`input_matrix`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .clock import DT
from .flows import leave_scale
from .inputs import NALOXONE_GROWTH_YEARS, ObservedInputs

PARAMS: tuple[str, ...] = (
    "rx_misuse_quit_rate", "rx_oud_rate", "rx_to_illicit_rate", "rx_oud_to_illicit_rate",
    "illicit_init_base", "illicit_use_quit_rate", "illicit_oud_rate", "illicit_oud_remission_rate",
    "rx_oud_remission_rate", "relapse_rate", "relapse_rx_relative", "stabilise_time",
    "stable_relapse_rate", "non_od_death_rate", "moud_seek_rate", "moud_duration",
    "moud_exit_to_remission", "moud_od_multiplier", "moud_non_od_multiplier", "bup_point_fraction",
    "moud_capacity_growth", "od_rate_rx_misuse", "od_rate_rx_oud", "od_rate_illicit_oud",
    "od_rate_illicit_use_relative", "fentanyl_od_multiplier", "cfr_rx", "cfr_heroin", "cfr_fentanyl",
    "potency_cfr_elasticity", "rx_fentanyl_exposure", "rx_synthetic_share", "naloxone_to_at_risk",
    "naloxone_kit_life", "naloxone_carry", "p_witnessed", "p_used_in_time", "naloxone_efficacy",
    "rx_initiation_trend", "naloxone_kits_growth", "prevention_effect", "recovery_relapse_reduction",
    "drug_checking_effect", "rx_limit_substitution", "perceived_risk_sensitivity", "perceived_risk_tau",
    "pandemic_od_effect", "pandemic_decay", "fentanyl_share_ceiling", "fentanyl_share_tau",
)  # fmt: skip
P = {name: i for i, name in enumerate(PARAMS)}
#: per-run constants appended to the parameter matrix by :func:`derived`
DERIVED: tuple[str, ...] = (
    "kit_decay", "kit_inflow", "risk_memory_weight", "moud_complete", "moud_dropout", "stabilise",
    "non_od_moud", "rescue_chain", "pandemic_step", "capacity_step", "rx_trend_step", "share_step",
)  # fmt: skip
N_P = len(PARAMS) + len(DERIVED)

LEVERS: tuple[str, ...] = (
    "naloxone", "moud_access", "moud_retention", "drug_checking",
    "prescribing_limits", "prevention", "recovery_support",
)  # fmt: skip

STOCKS: tuple[str, ...] = ("M", "R", "U", "H", "TR", "TH", "QR", "QH", "S")
#: the state row of a run: the stocks, kits in circulation, the perceived-risk memory, the
#: people ledger (cumulative entries and exits) and the running values of the exponential trends
#: that start after a date (see :func:`_trend`)
STATE: tuple[str, ...] = (
    *STOCKS, "kits", "risk_memory", "cum_in", "cum_out",
    "pandemic_trend", "capacity_trend", "rx_trend", "share_trend",
)  # fmt: skip

#: observed inputs, one row per month (see :func:`input_matrix`)
INPUTS: tuple[str, ...] = (
    "rx_initiation", "rx_initiation_base", "rx_initiation_past", "naloxone_kits",
    "naloxone_past_capped", "methadone", "bup_patients", "xr_naltrexone", "moud_past",
    "pandemic_past", "fentanyl_share", "fentanyl_share_last", "fentanyl_past", "potency",
    "log_potency",
)  # fmt: skip

#: annual accumulators of a run: flows (monthly amounts summed), levels (monthly values summed,
#: divided by 12 when recorded), the observed exposure (``demand_run`` only) and the costed
#: quantity of each lever (person-years, see :func:`cost_signal_codes`)
FLOWS: tuple[str, ...] = (
    "deaths", "deaths_rx", "deaths_heroin", "deaths_synth", "overdoses", "reversed",
    "other_deaths", "initiations", "moud_entries", "kits_distributed",
)  # fmt: skip
LEVELS: tuple[str, ...] = (
    "capacity", "p_on_hand", "rx_misuse", "rx_oud", "illicit_use", "illicit_oud",
    "people_in_moud", "people_with_oud", "remission", "people_total",
    "fentanyl_share", "potency",
)  # fmt: skip
ACC: tuple[str, ...] = (*FLOWS, *LEVELS, *(f"cost_quantity_{lv}" for lv in LEVERS))
#: signals the epidemic publishes to other components each month (rows of ``demand_step``'s ``SIG``)
SIGNALS: tuple[str, ...] = (
    "illicit_users", "illicit_oud", "people_in_moud", "moud_entries", "people_in_remission",
    "moud_patients_added",
)  # fmt: skip
#: the cost signal codes of :func:`cost_signal_codes`
COST_SIGNALS: tuple[str, ...] = (
    "", "moud_patients_added", "people_in_moud", "illicit_users", "people_in_remission",
)  # fmt: skip

# indices, as module constants so numba folds them
(_QUIT_M, _RX_OUD, _RX_ILL, _RXOUD_ILL, _ILL_INIT, _QUIT_U, _ILL_OUD, _REM_H, _REM_R, _RELAPSE,
 _RELAPSE_RX, _STAB_T, _STAB_RELAPSE, _NON_OD, _SEEK, _DUR, _EXIT_REM, _MOUD_OD, _MOUD_NON_OD,
 _BUP_FRAC, _CAP_GROWTH, _OD_M, _OD_R, _OD_H, _OD_U_REL, _FENT_MULT, _CFR_RX, _CFR_H, _CFR_F,
 _POT_EL, _RX_FENT, _RX_SYN, _NAL_RISK, _NAL_LIFE, _NAL_CARRY, _P_WIT, _P_TIME, _NAL_EFF,
 _RX_TREND, _NAL_GROWTH, _PREV_EFF, _REC_EFF, _DC_EFF, _RX_SUBST, _RISK_SENS, _RISK_TAU,
 _PAN_EFF, _PAN_DECAY, _F_CEIL, _F_TAU,
 _KIT_DECAY, _KIT_IN, _MEM_W, _COMPLETE, _DROPOUT, _STAB, _NON_OD_MOUD, _RESCUE, _PAN_STEP,
 _CAP_STEP, _RX_STEP, _F_STEP) = range(N_P)  # fmt: skip
(_M, _R, _U, _H, _TR, _TH, _QR, _QH, _SS, _K, _MEM, _CIN, _COUT, _T_PAN, _T_CAP, _T_RX,
 _T_F) = range(len(STATE))  # fmt: skip
(_I_RX, _I_RX_BASE, _I_RX_PAST, _I_KITS, _I_KITS_PAST, _I_MMT, _I_BUP, _I_XR, _I_MOUD_PAST,
 _I_PAN, _I_FSHARE, _I_FLAST, _I_FPAST, _I_POT, _I_LOGPOT) = range(len(INPUTS))  # fmt: skip
(_A_D, _A_DRX, _A_DH, _A_DS, _A_OD, _A_REV, _A_OTHER, _A_INIT, _A_ENTRY, _A_KITS,
 _A_CAP, _A_HAND, _A_M, _A_R, _A_U, _A_H, _A_MOUD, _A_OUD, _A_REM, _A_TOTAL, _A_FSHARE, _A_POT,
 _A_COST) = range(len(FLOWS) + len(LEVELS) + 1)  # fmt: skip
N_ACC = len(ACC)
_LEVEL0, _LEVEL1 = len(FLOWS), len(FLOWS) + len(LEVELS)  # accumulator rows that are levels
N_LEVERS = len(LEVERS)

KITS_PER_MILLION = 1e6  # the naloxone lever is in millions of kits per year
#: perceived risk: illicit initiation is scaled by exp(-sensitivity × recent deaths / this scale)
RISK_DEATHS_SCALE = 10_000.0  # deaths per year


def derived(P: np.ndarray) -> np.ndarray:
    """The parameter matrix ``(n, len(PARAMS))`` with the per-run constants of :data:`DERIVED`."""
    decay = np.exp(-DT / P[:, _NAL_LIFE])
    cols = (
        decay,
        P[:, _NAL_RISK] * P[:, _NAL_LIFE] * (1.0 - decay),
        1.0 - np.exp(-DT / P[:, _RISK_TAU]),
        P[:, _EXIT_REM] / P[:, _DUR],
        (1.0 - P[:, _EXIT_REM]) / P[:, _DUR],
        1.0 / P[:, _STAB_T],
        P[:, _NON_OD] * P[:, _MOUD_NON_OD],
        P[:, _P_WIT] * P[:, _P_TIME] * P[:, _NAL_EFF],
        np.exp(-DT / P[:, _PAN_DECAY]),
        np.exp(P[:, _CAP_GROWTH] * DT),
        np.exp(P[:, _RX_TREND] * DT),
        np.exp(-DT / P[:, _F_TAU]),
    )
    return np.ascontiguousarray(np.column_stack([P, *cols]))


def input_matrix(inp: ObservedInputs) -> np.ndarray:
    """The observed inputs as a ``(n_months, len(INPUTS))`` matrix (one row per month)."""
    n = inp.rx_initiation.shape[0]
    cols = {
        "rx_initiation": inp.rx_initiation,
        "rx_initiation_base": np.full(n, inp.rx_initiation_base),
        "rx_initiation_past": inp.rx_initiation_past,
        "naloxone_kits": inp.naloxone_kits,
        "naloxone_past_capped": np.minimum(inp.naloxone_past, NALOXONE_GROWTH_YEARS),
        "methadone": inp.methadone,
        "bup_patients": inp.bup_patients,
        "xr_naltrexone": inp.xr_naltrexone,
        "moud_past": inp.moud_past,
        "pandemic_past": inp.pandemic_past,
        "fentanyl_share": inp.fentanyl_share,
        "fentanyl_share_last": np.full(n, inp.fentanyl_share_last),
        "fentanyl_past": inp.fentanyl_past,
        "potency": inp.potency,
        "log_potency": np.log(inp.potency),
    }
    return np.ascontiguousarray(np.column_stack([cols[k] for k in INPUTS]).astype(float))


@njit(cache=True, inline="always")
def _trend(x, col, rate, past, step) -> float:
    """``exp(rate × past)`` for a ``past`` that grows by ``DT`` a month once positive.

    The first value is computed, later ones by the recurrence ``× step`` (``step = exp(rate × DT)``),
    kept in the run's state column ``col`` (0 until the trend starts): one multiplication a month
    instead of an exponential.
    """
    v = x[col]
    v = math.exp(rate * past) if v == 0.0 else v * step
    x[col] = v
    return v


@njit(cache=True, inline="always")
def observed_share(p, x, xin) -> float:
    """The fentanyl share of the illicit opioid supply in the observed mode: NFLIS, then a trend
    towards ``fentanyl_share_ceiling`` (:func:`~fentsim.model.inputs.trend_share`)."""
    past = xin[_I_FPAST]
    if past <= 0.0:
        return xin[_I_FSHARE]
    ceil = p[_F_CEIL]
    return ceil - (ceil - xin[_I_FLAST]) * _trend(x, _T_F, -1.0 / p[_F_TAU], past, p[_F_STEP])


@njit(cache=True, inline="always")
def demand_month(p, x, lv, xin, f, pot, log_pot, risk_supply, cmap, cunit, acc):
    """Advance run state ``x`` one month; add the month's outputs to ``acc``.

    ``p``: parameter row (:data:`PARAMS` + :data:`DERIVED`); ``lv``: lever levels
    (:data:`LEVERS`); ``xin``: the month's observed inputs; ``f``, ``pot``, ``risk_supply``: the
    fentanyl share, potency (and its log) and supply-driven overdose-risk multiplier this month; ``cmap``,
    ``cunit``: each lever's cost signal code and units per level. Returns
    ``(moud_entries, moud_patients_added)`` for the signals of :func:`demand_step`.
    """
    M, R, U, H, TR, TH, QR, QH, SS = x[_M], x[_R], x[_U], x[_H], x[_TR], x[_TH], x[_QR], x[_QH], x[_SS]  # fmt: skip
    naloxone, access, retention = lv[0], lv[1], lv[2]
    checking_cov, limits, prevention_cov, recovery_cov = lv[3], lv[4], lv[5], lv[6]

    # the pandemic's disruption of drug markets and services, from March 2020
    since = xin[_I_PAN]
    if since >= 0.0:
        risk_supply *= 1.0 + p[_PAN_EFF] * _trend(
            x, _T_PAN, -1.0 / p[_PAN_DECAY], since, p[_PAN_STEP]
        )

    # naloxone chain
    kits_dist = xin[_I_KITS] + p[_NAL_GROWTH] * xin[_I_KITS_PAST] + naloxone * KITS_PER_MILLION
    kits = x[_K] * p[_KIT_DECAY] + kits_dist * p[_KIT_IN]
    x[_K] = kits
    at_risk = R + U + H
    on_hand = -math.expm1(-p[_NAL_CARRY] * kits / max(at_risk, 1.0))
    rescue = p[_RESCUE] * on_hand
    gate = 1.0 - rescue

    # overdose incidence and case fatality
    fent_mult = p[_FENT_MULT]
    cfr_f = p[_CFR_F] if pot == 1.0 else min(p[_CFR_F] * math.exp(p[_POT_EL] * log_pot), 1.0)
    risk = risk_supply * (1.0 - checking_cov * p[_DC_EFF])
    od_h = p[_OD_H] * (1.0 - f) * risk
    od_f = p[_OD_H] * f * fent_mult * risk
    fx = p[_RX_FENT] * f
    mix_rx = (1.0 - fx) * risk_supply
    mix_f = fx * fent_mult * risk_supply
    d_h = od_h * p[_CFR_H] * gate
    d_f = od_f * cfr_f * gate
    rel_u = p[_OD_U_REL]
    d_rx_M = p[_OD_M] * mix_rx * p[_CFR_RX] * gate
    d_rxf_M = p[_OD_M] * mix_f * cfr_f * gate
    d_rx_R = p[_OD_R] * mix_rx * p[_CFR_RX] * gate
    d_rxf_R = p[_OD_R] * mix_f * cfr_f * gate
    moud = p[_MOUD_OD]
    non_od = p[_NON_OD]
    non_od_moud = p[_NON_OD_MOUD]

    # treatment entry, limited by free capacity
    base_capacity = xin[_I_MMT] + p[_BUP_FRAC] * xin[_I_BUP] + xin[_I_XR]
    moud_past = xin[_I_MOUD_PAST]
    if moud_past > 0.0:
        base_capacity *= _trend(x, _T_CAP, p[_CAP_GROWTH], moud_past, p[_CAP_STEP])
    capacity = base_capacity * (1.0 + access)
    free = max(capacity - TR - TH, 0.0)
    oud = R + H
    entry = min(p[_SEEK] * oud * DT, free)
    treat = entry / max(oud, 1.0) / DT

    # initiation
    prev_gate = 1.0 - prevention_cov * p[_PREV_EFF]
    rx_past = xin[_I_RX_PAST]
    if rx_past > 0.0:
        rx_init = xin[_I_RX_BASE] * _trend(x, _T_RX, p[_RX_TREND], rx_past, p[_RX_STEP])
    else:
        rx_init = xin[_I_RX]
    init_rx = rx_init * (1.0 - limits) * prev_gate * DT
    # perceived risk (SOURCE): recent overdose deaths deter initiation of illicit opioids
    deterrence = math.exp(-p[_RISK_SENS] * x[_MEM] / RISK_DEATHS_SCALE)
    init_ill = p[_ILL_INIT] * prev_gate * deterrence * DT
    subst = 1.0 + limits * p[_RX_SUBST]

    # MOUD exits: completion (to remission) and dropout (back to OUD); retention cuts dropout
    complete = p[_COMPLETE]
    dropout = p[_DROPOUT] * (1.0 - retention)
    relapse = p[_RELAPSE] * (1.0 - recovery_cov * p[_REC_EFF])
    relapse_rx = relapse * p[_RELAPSE_RX]
    stab = p[_STAB]

    # competing-risk outflows
    r1, r2, r3 = p[_QUIT_M], p[_RX_OUD], p[_RX_ILL] * subst * deterrence
    k = leave_scale(M, r1 + r2 + r3 + d_rx_M + d_rxf_M, DT)
    m_quit, m_to_r, m_to_u, m_d_rx, m_d_f = k * r1, k * r2, k * r3, k * d_rx_M, k * d_rxf_M

    r1, r2 = p[_RXOUD_ILL] * subst, p[_REM_R]
    k = leave_scale(R, r1 + r2 + treat + d_rx_R + d_rxf_R + non_od, DT)
    r_to_h, r_rem, r_treat = k * r1, k * r2, k * treat
    r_d_rx, r_d_f, r_other = k * d_rx_R, k * d_rxf_R, k * non_od

    r1, r2 = p[_QUIT_U], p[_ILL_OUD]
    k = leave_scale(U, r1 + r2 + (d_h + d_f) * rel_u, DT)
    u_quit, u_to_h, u_d_h, u_d_f = k * r1, k * r2, k * d_h * rel_u, k * d_f * rel_u

    r1 = p[_REM_H]
    k = leave_scale(H, r1 + treat + d_h + d_f + non_od, DT)
    h_rem, h_treat, h_d_h, h_d_f, h_other = k * r1, k * treat, k * d_h, k * d_f, k * non_od

    k = leave_scale(TR, complete + dropout + (d_rx_R + d_rxf_R) * moud + non_od_moud, DT)
    tr_done, tr_drop = k * complete, k * dropout
    tr_d_rx, tr_d_f, tr_other = k * d_rx_R * moud, k * d_rxf_R * moud, k * non_od_moud

    k = leave_scale(TH, complete + dropout + (d_h + d_f) * moud + non_od_moud, DT)
    th_done, th_drop = k * complete, k * dropout
    th_d_h, th_d_f, th_other = k * d_h * moud, k * d_f * moud, k * non_od_moud

    k = leave_scale(QR, relapse_rx + stab, DT)
    qr_relapse, qr_stable = k * relapse_rx, k * stab
    k = leave_scale(QH, relapse + stab, DT)
    qh_relapse, qh_stable = k * relapse, k * stab
    s_relapse = leave_scale(SS, p[_STAB_RELAPSE], DT) * p[_STAB_RELAPSE]

    # overdoses (fatal + non-fatal) this month, from the stocks at the start of the month
    ods = ((M * p[_OD_M] + (R + TR * moud) * p[_OD_R]) * (mix_rx + mix_f)
           + (U * rel_u + H + TH * moud) * (od_h + od_f)) * DT  # fmt: skip

    M = M + init_rx - m_quit - m_to_r - m_to_u - m_d_rx - m_d_f
    R = R + m_to_r + qr_relapse + tr_drop - r_to_h - r_rem - r_treat - r_d_rx - r_d_f - r_other
    U = U + init_ill + m_to_u - u_quit - u_to_h - u_d_h - u_d_f
    H = (H + u_to_h + r_to_h + qh_relapse + s_relapse + th_drop
         - h_rem - h_treat - h_d_h - h_d_f - h_other)  # fmt: skip
    TR = TR + r_treat - tr_done - tr_drop - tr_d_rx - tr_d_f - tr_other
    TH = TH + h_treat - th_done - th_drop - th_d_h - th_d_f - th_other
    QR = QR + r_rem + tr_done - qr_relapse - qr_stable
    QH = QH + h_rem + th_done - qh_relapse - qh_stable
    SS = SS + qr_stable + qh_stable - s_relapse
    x[_M], x[_R], x[_U], x[_H], x[_TR], x[_TH], x[_QR], x[_QH], x[_SS] = M, R, U, H, TR, TH, QR, QH, SS  # fmt: skip

    # deaths by exclusive category
    rx_all = m_d_rx + r_d_rx + tr_d_rx
    syn = p[_RX_SYN]
    deaths_rx = rx_all * (1.0 - syn)
    deaths_h = u_d_h + h_d_h + th_d_h
    deaths_s = rx_all * syn + m_d_f + r_d_f + tr_d_f + u_d_f + h_d_f + th_d_f
    deaths = deaths_rx + deaths_h + deaths_s
    other = r_other + h_other + tr_other + th_other
    x[_MEM] += (deaths / DT - x[_MEM]) * p[_MEM_W]
    initiations = init_rx + init_ill
    x[_CIN] += initiations
    x[_COUT] += m_quit + u_quit + deaths + other

    # annual accumulators: flows
    entries = r_treat + h_treat
    acc[_A_D] += deaths
    acc[_A_DRX] += deaths_rx
    acc[_A_DH] += deaths_h
    acc[_A_DS] += deaths_s
    acc[_A_OD] += max(ods - deaths, 0.0)
    acc[_A_REV] += deaths * rescue / max(gate, 1e-12)
    acc[_A_OTHER] += other
    acc[_A_INIT] += initiations
    acc[_A_ENTRY] += entries
    acc[_A_KITS] += kits_dist * DT
    # levels (at the end of the month)
    in_moud = TR + TH
    remission = QR + QH + SS
    illicit_users = U + H + TH
    acc[_A_CAP] += capacity
    acc[_A_HAND] += on_hand
    acc[_A_M] += M
    acc[_A_R] += R
    acc[_A_U] += U
    acc[_A_H] += H
    acc[_A_MOUD] += in_moud
    acc[_A_OUD] += R + H + in_moud
    acc[_A_REM] += remission
    acc[_A_TOTAL] += M + R + U + H + in_moud + remission
    # costed quantities: patients above the capacity without the lever, or level × people covered
    added = max(in_moud - base_capacity, 0.0)
    for j in range(N_LEVERS):
        code = cmap[j]
        if code == 0:
            continue
        if code == 1:
            q = added
        elif code == 2:
            q = lv[j] * in_moud
        elif code == 3:
            q = lv[j] * illicit_users
        else:
            q = lv[j] * remission
        acc[_A_COST + j] += q * cunit[j] * DT
    return entries, added


@njit(cache=True, parallel=True, fastmath=True)
def demand_step(X, P, L, xin, f_arr, pot_arr, risk_arr, cmap, cunit, A, SIG):
    """Advance every run one month (coupled mode).

    ``X`` (n, len(STATE)) run states; ``P`` (n, N_P); ``L`` (n, len(LEVERS)); ``xin`` the month's
    inputs; ``f_arr``, ``pot_arr``, ``risk_arr`` (n,) exposure from the market; ``A``
    (n, N_ACC) annual accumulators; ``SIG`` (len(SIGNALS), n) receives the published signals.
    """
    n = X.shape[0]
    for i in prange(n):
        x = X[i]
        pot = pot_arr[i]
        log_pot = math.log(pot) if pot != 1.0 else 0.0
        entries, added = demand_month(
            P[i], x, L[i], xin, f_arr[i], pot, log_pot, risk_arr[i], cmap, cunit, A[i]
        )
        SIG[0, i] = x[_U] + x[_H] + x[_TH]
        SIG[1, i] = x[_H]
        SIG[2, i] = x[_TR] + x[_TH]
        SIG[3, i] = entries
        SIG[4, i] = x[_QR] + x[_QH] + x[_SS]
        SIG[5, i] = added


@njit(cache=True, parallel=True, fastmath=True)
def demand_run(X, P, LS, LR, lmap, IN, cmap, cunit, Y):
    """Run every month for every run with observed exposure (the ``observed`` mode).

    ``LS`` (n_months, len(LEVERS)) lever levels shared by all runs; ``LR`` (k, n_months, n) the
    levels of the ``k`` levers that vary by run, ``lmap[j]`` their row (−1: shared); ``IN``
    (n_months, len(INPUTS)); ``Y`` (N_ACC, n, n_years) receives the annual values: flows summed,
    levels averaged over the year's months.
    """
    n = X.shape[0]
    n_months = IN.shape[0]
    per_run = LR.shape[0] > 0
    for i in prange(n):
        x = X[i]
        p = P[i]
        lv = np.empty(N_LEVERS)
        acc = np.zeros(N_ACC)
        for m in range(n_months):
            if per_run:
                for j in range(N_LEVERS):
                    r = lmap[j]
                    lv[j] = LS[m, j] if r < 0 else LR[r, m, i]
            else:
                lv = LS[m]
            xin = IN[m]
            f = observed_share(p, x, xin)
            pot = xin[_I_POT]
            demand_month(p, x, lv, xin, f, pot, xin[_I_LOGPOT], 1.0, cmap, cunit, acc)
            acc[_A_FSHARE] += f
            acc[_A_POT] += pot
            if m % 12 == 11:
                y = m // 12
                for k in range(N_ACC):
                    Y[k, i, y] = acc[k] * (1.0 / 12.0) if _LEVEL0 <= k < _LEVEL1 else acc[k]
                    acc[k] = 0.0
