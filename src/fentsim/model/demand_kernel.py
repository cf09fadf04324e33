"""The compiled epidemic engine: one month of one run, and the layout of its arrays.

:func:`demand_month` advances one run one month and adds the month's outputs to that run's
annual accumulators. It is inlined into the drivers of :mod:`fentsim.model.demand_drivers`
(one month of every run, or every month of blocks of runs in SIMD) and into the coupled model's
kernel (:mod:`fentsim.model.coupled_run`).

Runs never interact, so any chunking gives identical results. The equations are documented in
:mod:`fentsim.model.demand`; parameters arrive as a ``(n_runs, N_P)`` matrix (:data:`PARAMS`
then the per-run constants of :data:`DERIVED`), the observed inputs and the lever levels, inputs
and cost weights of a month as rows built by :mod:`fentsim.model.demand_setup`. Lever costs and
the year's totals are kept by :mod:`fentsim.model.demand_ledger`.
"""

from __future__ import annotations

from numba import njit

from .clock import DT
from .flows import leave_fraction, leave_scale
from .vmath import vexp, vmax, vmin

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
    "rx_misuse_redefinition",
)  # fmt: skip
P = {name: i for i, name in enumerate(PARAMS)}
#: per-run constants appended to the parameter matrix by :func:`~fentsim.model.demand_setup.derived`
DERIVED: tuple[str, ...] = (
    "kit_decay", "kit_inflow", "risk_memory_weight", "moud_complete", "moud_dropout", "stabilise",
    "non_od_moud", "rescue_chain", "pandemic_step", "capacity_step", "rx_trend_step", "share_step",
    "stable_relapse_month", "rx_definition_scale",
)  # fmt: skip
N_P = len(PARAMS) + len(DERIVED)

LEVERS: tuple[str, ...] = (
    "naloxone", "moud_access", "moud_retention", "drug_checking",
    "prescribing_limits", "prevention", "recovery_support",
)  # fmt: skip

STOCKS: tuple[str, ...] = ("M", "R", "U", "H", "TR", "TH", "QR", "QH", "S")
#: the state row of a run: the stocks, kits in circulation, the perceived-risk memory, the
#: people ledger (cumulative entries and exits), the running values of the exponential trends
#: that start after a date (see :func:`_trend`) and the month's MOUD patients above the capacity
#: without the lever (a cost signal, see :mod:`~fentsim.model.demand_ledger`)
STATE: tuple[str, ...] = (
    *STOCKS, "kits", "risk_memory", "cum_in", "cum_out",
    "pandemic_trend", "capacity_trend", "rx_trend", "share_trend", "moud_added",
)  # fmt: skip

#: observed inputs, one row per month (see :func:`~fentsim.model.demand_setup.input_matrix`)
INPUTS: tuple[str, ...] = (
    "rx_initiation", "rx_initiation_redefined", "rx_initiation_base", "rx_initiation_past", "naloxone_kits",
    "naloxone_past_capped", "methadone", "bup_patients", "xr_naltrexone", "moud_past",
    "pandemic_past", "fentanyl_share", "fentanyl_share_last", "fentanyl_past", "potency",
    "log_potency", "pandemic_on", "moud_growing", "rx_projected", "share_projected",
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
 _PAN_EFF, _PAN_DECAY, _F_CEIL, _F_TAU, _RX_REDEF,
 _KIT_DECAY, _KIT_IN, _MEM_W, _COMPLETE, _DROPOUT, _STAB, _NON_OD_MOUD, _RESCUE, _PAN_STEP,
 _CAP_STEP, _RX_STEP, _F_STEP, _STAB_RELAPSE_M, _RX_SCALE) = range(N_P)  # fmt: skip
(_M, _R, _U, _H, _TR, _TH, _QR, _QH, _SS, _K, _MEM, _CIN, _COUT, _T_PAN, _T_CAP, _T_RX,
 _T_F, _ADDED) = range(len(STATE))  # fmt: skip
(_I_RX, _I_RX_NEW, _I_RX_BASE, _I_RX_PAST, _I_KITS, _I_KITS_PAST, _I_MMT, _I_BUP, _I_XR, _I_MOUD_PAST,
 _I_PAN, _I_FSHARE, _I_FLAST, _I_FPAST, _I_POT, _I_LOGPOT, _I_PAN_ON, _I_MOUD_ON, _I_RX_ON,
 _I_F_ON) = range(len(INPUTS))  # fmt: skip
(_A_D, _A_DRX, _A_DH, _A_DS, _A_OD, _A_REV, _A_OTHER, _A_INIT, _A_ENTRY, _A_KITS,
 _A_CAP, _A_HAND, _A_M, _A_R, _A_U, _A_H, _A_MOUD, _A_OUD, _A_REM, _A_TOTAL, _A_FSHARE, _A_POT,
 _A_COST) = range(len(FLOWS) + len(LEVELS) + 1)  # fmt: skip
N_ACC = len(ACC)
_LEVEL0, _LEVEL1 = len(FLOWS), len(FLOWS) + len(LEVELS)  # accumulator rows that are levels
N_LEVERS = len(LEVERS)
N_INPUTS = len(INPUTS)
#: rows of a month matrix (:func:`~fentsim.model.demand_setup.month_rows`): lever levels,
#: observed inputs, cost weights
_U_LV, _U_IN, _U_CW = 0, N_LEVERS, N_LEVERS + N_INPUTS
U_ROWS = _U_CW + 4 * N_LEVERS

KITS_PER_MILLION = 1e6  # the naloxone lever is in millions of kits per year
#: perceived risk: illicit initiation is scaled by exp(-sensitivity × recent deaths / this scale)
RISK_DEATHS_SCALE = 10_000.0  # deaths per year


@njit(cache=True, inline="always")
def _pick(on, a, b) -> float:
    """``a`` if ``on`` is 1.0, ``b`` if it is 0.0, by arithmetic: loops that use it have no branch."""
    return on * a + (1.0 - on) * b


@njit(cache=True, inline="always")
def _trend(x, col, j, on, step) -> float:
    """The trend in state column ``col`` of run ``j``, advanced by ``× step`` if ``on`` is 1.0
    (no branch, no exponential: the start values come from :func:`trend_seeds`)."""
    v = x[col, j] * _pick(on, step, 1.0)
    x[col, j] = v
    return v


@njit(cache=True, inline="always")
def observed_share(p, x, j, u, col) -> float:
    """The fentanyl share of the illicit opioid supply in the observed mode: NFLIS, then a trend
    towards ``fentanyl_share_ceiling`` (:func:`~fentsim.model.inputs.trend_share`)."""
    on = u[_U_IN + _I_F_ON, col]
    ceil = p[_F_CEIL, j]
    trend = ceil - (ceil - u[_U_IN + _I_FLAST, col]) * _trend(x, _T_F, j, on, p[_F_STEP, j])
    return _pick(on, trend, u[_U_IN + _I_FSHARE, col])


@njit(cache=True, inline="always")
def demand_month(p, x, j, u, col, f, pot, log_pot, risk_supply, acc):
    """Advance run ``j`` one month; add the month's outputs to its accumulators.

    ``p`` ``(N_P, runs)``: parameters (:data:`PARAMS` + :data:`DERIVED`); ``x``
    ``(len(STATE), runs)``: run states; ``acc`` ``(N_ACC, runs)``: annual accumulators — runs are
    columns, so a loop over ``j`` reads and writes contiguous memory and compiles to SIMD code (the
    month has no branch that depends on the run and no library call). ``u[:, col]``: the run's
    month rows (:func:`~fentsim.model.demand_setup.month_rows`: lever levels, observed inputs,
    cost weights); ``f``, ``pot``, ``risk_supply``: the fentanyl share, potency (and its log) and
    supply-driven overdose-risk multiplier this month. Returns ``(moud_entries,
    moud_patients_added)`` for the signals of :func:`~fentsim.model.demand_drivers.demand_step`;
    the patients added are also left in the state for
    :func:`~fentsim.model.demand_ledger.charge_lever`.
    """
    M, R, U, H, TR, TH = x[_M, j], x[_R, j], x[_U, j], x[_H, j], x[_TR, j], x[_TH, j]
    QR, QH, SS = x[_QR, j], x[_QH, j], x[_SS, j]
    naloxone, access, retention = u[_U_LV + 0, col], u[_U_LV + 1, col], u[_U_LV + 2, col]
    checking_cov, limits, prevention_cov, recovery_cov = (
        u[_U_LV + 3, col],
        u[_U_LV + 4, col],
        u[_U_LV + 5, col],
        u[_U_LV + 6, col],
    )

    # the pandemic's disruption of drug markets and services, from March 2020
    pandemic = u[_U_IN + _I_PAN_ON, col]
    risk_supply *= 1.0 + pandemic * p[_PAN_EFF, j] * _trend(x, _T_PAN, j, pandemic, p[_PAN_STEP, j])

    # naloxone chain
    kits_dist = (
        u[_U_IN + _I_KITS, col]
        + p[_NAL_GROWTH, j] * u[_U_IN + _I_KITS_PAST, col]
        + naloxone * KITS_PER_MILLION
    )
    kits = x[_K, j] * p[_KIT_DECAY, j] + kits_dist * p[_KIT_IN, j]
    x[_K, j] = kits
    at_risk = R + U + H
    on_hand = leave_fraction(p[_NAL_CARRY, j] * kits / vmax(at_risk, 1.0))
    rescue = p[_RESCUE, j] * on_hand
    gate = 1.0 - rescue

    # overdose incidence and case fatality
    fent_mult = p[_FENT_MULT, j]
    cfr_f = vmin(p[_CFR_F, j] * vexp(p[_POT_EL, j] * log_pot), 1.0)
    risk = risk_supply * (1.0 - checking_cov * p[_DC_EFF, j])
    od_h = p[_OD_H, j] * (1.0 - f) * risk
    od_f = p[_OD_H, j] * f * fent_mult * risk
    fx = p[_RX_FENT, j] * f
    mix_rx = (1.0 - fx) * risk_supply
    mix_f = fx * fent_mult * risk_supply
    d_h = od_h * p[_CFR_H, j] * gate
    d_f = od_f * cfr_f * gate
    rel_u = p[_OD_U_REL, j]
    d_rx_M = p[_OD_M, j] * mix_rx * p[_CFR_RX, j] * gate
    d_rxf_M = p[_OD_M, j] * mix_f * cfr_f * gate
    d_rx_R = p[_OD_R, j] * mix_rx * p[_CFR_RX, j] * gate
    d_rxf_R = p[_OD_R, j] * mix_f * cfr_f * gate
    moud = p[_MOUD_OD, j]
    non_od = p[_NON_OD, j]
    non_od_moud = p[_NON_OD_MOUD, j]

    # treatment entry, limited by free capacity
    base_capacity = (
        u[_U_IN + _I_MMT, col] + p[_BUP_FRAC, j] * u[_U_IN + _I_BUP, col] + u[_U_IN + _I_XR, col]
    )
    growing = u[_U_IN + _I_MOUD_ON, col]
    base_capacity *= _pick(growing, _trend(x, _T_CAP, j, growing, p[_CAP_STEP, j]), 1.0)
    capacity = base_capacity * (1.0 + access)
    free = vmax(capacity - TR - TH, 0.0)
    oud = R + H
    entry = vmin(p[_SEEK, j] * oud * DT, free)
    treat = entry / vmax(oud, 1.0) / DT

    # initiation
    prev_gate = 1.0 - prevention_cov * p[_PREV_EFF, j]
    # NSDUH counts from 2015 (broader "misuse") are brought to the earlier definition's scale
    projected = u[_U_IN + _I_RX_ON, col]
    rx_scale = p[_RX_SCALE, j]
    rx_trend = (
        u[_U_IN + _I_RX_BASE, col] * rx_scale * _trend(x, _T_RX, j, projected, p[_RX_STEP, j])
    )
    rx_init = _pick(
        projected, rx_trend, u[_U_IN + _I_RX, col] + u[_U_IN + _I_RX_NEW, col] * rx_scale
    )
    init_rx = rx_init * (1.0 - limits) * prev_gate * DT
    # perceived risk (SOURCE): recent overdose deaths deter initiation of illicit opioids
    deterrence = vexp(-p[_RISK_SENS, j] * x[_MEM, j] * (1.0 / RISK_DEATHS_SCALE))
    init_ill = p[_ILL_INIT, j] * prev_gate * deterrence * DT
    subst = 1.0 + limits * p[_RX_SUBST, j]

    # MOUD exits: completion (to remission) and dropout (back to OUD); retention cuts dropout
    complete = p[_COMPLETE, j]
    dropout = p[_DROPOUT, j] * (1.0 - retention)
    relapse = p[_RELAPSE, j] * (1.0 - recovery_cov * p[_REC_EFF, j])
    relapse_rx = relapse * p[_RELAPSE_RX, j]
    stab = p[_STAB, j]

    # overdoses (fatal + non-fatal) this month, from the stocks at the start of the month
    ods = ((M * p[_OD_M, j] + (R + TR * moud) * p[_OD_R, j]) * (mix_rx + mix_f)
           + (U * rel_u + H + TH * moud) * (od_h + od_f)) * DT  # fmt: skip

    # competing-risk outflows: each stock's outflow total leaves it and its flows go straight to
    # their destinations (new stocks n*, deaths by source), so few values are live at once
    r1, r2, r3 = p[_QUIT_M, j], p[_RX_OUD, j], p[_RX_ILL, j] * subst * deterrence
    t = r1 + r2 + r3 + d_rx_M + d_rxf_M
    k = leave_scale(M, t, DT)
    nM = M + init_rx - k * t
    nR = R + k * r2
    nU = U + init_ill + k * r3
    quits = k * r1
    rx_all = k * d_rx_M  # deaths from prescription opioids, split by rx_synthetic_share below
    synth = k * d_rxf_M  # deaths with fentanyl

    r1, r2 = p[_RXOUD_ILL, j] * subst, p[_REM_R, j]
    t = r1 + r2 + treat + d_rx_R + d_rxf_R + non_od
    k = leave_scale(R, t, DT)
    nR -= k * t
    nH = H + k * r1
    nQR = QR + k * r2
    r_treat = k * treat
    nTR = TR + r_treat
    rx_all += k * d_rx_R
    synth += k * d_rxf_R
    other = k * non_od

    r1, r2 = p[_QUIT_U, j], p[_ILL_OUD, j]
    t = r1 + r2 + (d_h + d_f) * rel_u
    k = leave_scale(U, t, DT)
    nU -= k * t
    quits += k * r1
    nH += k * r2
    heroin = k * d_h * rel_u  # heroin deaths without fentanyl
    synth += k * d_f * rel_u

    r1 = p[_REM_H, j]
    t = r1 + treat + d_h + d_f + non_od
    k = leave_scale(H, t, DT)
    nH -= k * t
    nQH = QH + k * r1
    h_treat = k * treat
    nTH = TH + h_treat
    heroin += k * d_h
    synth += k * d_f
    other += k * non_od

    t = complete + dropout + (d_rx_R + d_rxf_R) * moud + non_od_moud
    k = leave_scale(TR, t, DT)
    nTR -= k * t
    nQR += k * complete
    nR += k * dropout
    rx_all += k * d_rx_R * moud
    synth += k * d_rxf_R * moud
    other += k * non_od_moud

    t = complete + dropout + (d_h + d_f) * moud + non_od_moud
    k = leave_scale(TH, t, DT)
    nTH -= k * t
    nQH += k * complete
    nH += k * dropout
    heroin += k * d_h * moud
    synth += k * d_f * moud
    other += k * non_od_moud

    t = relapse_rx + stab
    k = leave_scale(QR, t, DT)
    nQR -= k * t
    nR += k * relapse_rx
    nSS = SS + k * stab
    t = relapse + stab
    k = leave_scale(QH, t, DT)
    nQH -= k * t
    nH += k * relapse
    nSS += k * stab
    s_relapse = SS * p[_STAB_RELAPSE_M, j]  # one hazard: the share is a per-run constant
    nSS -= s_relapse
    nH += s_relapse

    M, R, U, H, TR, TH, QR, QH, SS = nM, nR, nU, nH, nTR, nTH, nQR, nQH, nSS
    x[_M, j], x[_R, j], x[_U, j], x[_H, j], x[_TR, j], x[_TH, j] = M, R, U, H, TR, TH
    x[_QR, j], x[_QH, j], x[_SS, j] = QR, QH, SS

    # deaths by exclusive category
    syn = p[_RX_SYN, j]
    deaths_rx = rx_all * (1.0 - syn)
    deaths_h = heroin
    deaths_s = rx_all * syn + synth
    deaths = deaths_rx + deaths_h + deaths_s
    x[_MEM, j] += (deaths / DT - x[_MEM, j]) * p[_MEM_W, j]
    initiations = init_rx + init_ill
    x[_CIN, j] += initiations
    x[_COUT, j] += quits + deaths + other

    # annual accumulators: flows (the totals are summed at the year's close: demand_ledger)
    entries = r_treat + h_treat
    acc[_A_DRX, j] += deaths_rx
    acc[_A_DH, j] += deaths_h
    acc[_A_DS, j] += deaths_s
    acc[_A_OD, j] += vmax(ods - deaths, 0.0)
    acc[_A_REV, j] += deaths * rescue / vmax(gate, 1e-12)
    acc[_A_OTHER, j] += other
    acc[_A_INIT, j] += initiations
    acc[_A_ENTRY, j] += entries
    acc[_A_KITS, j] += kits_dist * DT
    # levels (at the end of the month)
    in_moud = TR + TH
    remission = QR + QH + SS
    acc[_A_CAP, j] += capacity
    acc[_A_HAND, j] += on_hand
    acc[_A_M, j] += M
    acc[_A_R, j] += R
    acc[_A_U, j] += U
    acc[_A_H, j] += H
    acc[_A_MOUD, j] += in_moud
    acc[_A_REM, j] += remission
    # patients above the capacity without the lever: the MOUD access lever's costed quantity
    added = vmax(in_moud - base_capacity, 0.0)
    x[_ADDED, j] = added
    return entries, added
