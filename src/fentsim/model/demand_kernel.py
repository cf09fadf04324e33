"""The compiled epidemic engine: one month of one run, and the layout of its arrays.

:func:`demand_month` advances one run one month and adds the month's outputs to that run's
annual accumulators. It is inlined into the drivers of :mod:`fentsim.model.demand_drivers`
(one month of every run, or every month of blocks of runs in SIMD) and into the coupled model's
kernel (:mod:`fentsim.model.coupled_run`).

Runs never interact, so any chunking gives identical results. The equations are documented in
:mod:`fentsim.model.demand`; parameters arrive as a ``(n_runs, N_P)`` matrix (:data:`PARAMS`
then the per-run constants of :func:`derived`), the observed inputs as :func:`input_matrix`,
lever levels, inputs and cost weights of a month as the rows of :func:`month_rows`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .clock import DT
from .flows import leave_fraction, leave_scale
from .inputs import NALOXONE_GROWTH_YEARS, ObservedInputs
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
 _PAN_EFF, _PAN_DECAY, _F_CEIL, _F_TAU,
 _KIT_DECAY, _KIT_IN, _MEM_W, _COMPLETE, _DROPOUT, _STAB, _NON_OD_MOUD, _RESCUE, _PAN_STEP,
 _CAP_STEP, _RX_STEP, _F_STEP) = range(N_P)  # fmt: skip
(_M, _R, _U, _H, _TR, _TH, _QR, _QH, _SS, _K, _MEM, _CIN, _COUT, _T_PAN, _T_CAP, _T_RX,
 _T_F) = range(len(STATE))  # fmt: skip
(_I_RX, _I_RX_BASE, _I_RX_PAST, _I_KITS, _I_KITS_PAST, _I_MMT, _I_BUP, _I_XR, _I_MOUD_PAST,
 _I_PAN, _I_FSHARE, _I_FLAST, _I_FPAST, _I_POT, _I_LOGPOT, _I_PAN_ON, _I_MOUD_ON, _I_RX_ON,
 _I_F_ON) = range(len(INPUTS))  # fmt: skip
(_A_D, _A_DRX, _A_DH, _A_DS, _A_OD, _A_REV, _A_OTHER, _A_INIT, _A_ENTRY, _A_KITS,
 _A_CAP, _A_HAND, _A_M, _A_R, _A_U, _A_H, _A_MOUD, _A_OUD, _A_REM, _A_TOTAL, _A_FSHARE, _A_POT,
 _A_COST) = range(len(FLOWS) + len(LEVELS) + 1)  # fmt: skip
N_ACC = len(ACC)
_LEVEL0, _LEVEL1 = len(FLOWS), len(FLOWS) + len(LEVELS)  # accumulator rows that are levels
N_LEVERS = len(LEVERS)
N_INPUTS = len(INPUTS)
#: rows of a month matrix (:func:`month_rows`): lever levels, observed inputs, cost weights
_U_LV, _U_IN, _U_CW = 0, N_LEVERS, N_LEVERS + N_INPUTS
U_ROWS = _U_CW + 4 * N_LEVERS
assert N_LEVERS == 7, "demand_month charges each lever on its own line"

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


def cost_weights(codes: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The kernel's cost weights ``(len(LEVERS), 4)`` from each lever's cost signal code (an index
    into :data:`COST_SIGNALS`) and units per level.

    A month adds ``w[k, 0] × patients added + level_k × (w[k, 1] × people in MOUD + w[k, 2] ×
    illicit users + w[k, 3] × people in remission)`` to lever ``k``'s costed quantity.

    Example:
        >>> cost_weights(np.array([0, 1, 3]), np.array([1.0, 1.0, 0.5]))[1:, :3].tolist()
        [[0.08333333333333333, 0.0, 0.0], [0.0, 0.0, 0.041666666666666664]]
    """
    w = np.zeros((len(codes), 4))
    for k, code in enumerate(codes):
        if code:
            w[k, code - 1] = units[k] * DT
    return w


def month_rows(levels: np.ndarray, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """What :func:`demand_month` reads besides parameters and state, as ``(U_ROWS, cols)`` rows:
    lever levels ``(len(LEVERS), cols)``, observed inputs ``(len(INPUTS), cols)`` and the
    :func:`cost_weights` (the same in every column). Columns are months or runs.

    Example:
        >>> u = month_rows(np.zeros((7, 2)), np.ones((len(INPUTS), 2)), np.full((7, 4), 0.5))
        >>> u.shape == (U_ROWS, 2), float(u[7, 1]), float(u[-1, 0])
        (True, 1.0, 0.5)
    """
    cols = levels.shape[1]
    cw = np.broadcast_to(weights.reshape(-1, 1), (weights.size, cols))
    return np.ascontiguousarray(np.vstack([levels, inputs, cw]))


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
        # 1.0 in the months an exponential trend runs (see TRENDS), else 0.0
        "pandemic_on": inp.pandemic_past >= 0.0,
        "moud_growing": inp.moud_past > 0.0,
        "rx_projected": inp.rx_initiation_past > 0.0,
        "share_projected": inp.fentanyl_past > 0.0,
    }
    return np.ascontiguousarray(np.column_stack([cols[k] for k in INPUTS]).astype(float))


#: the exponential trends of :data:`STATE`: (state column, input column of the time since the
#: trend started, input column that is 1.0 in the months it runs)
TRENDS: tuple[tuple[int, int, int], ...] = (
    (_T_PAN, _I_PAN, _I_PAN_ON), (_T_CAP, _I_MOUD_PAST, _I_MOUD_ON), (_T_RX, _I_RX_PAST, _I_RX_ON),
    (_T_F, _I_FPAST, _I_F_ON),
)  # fmt: skip


def trend_seeds(P: np.ndarray, IN: np.ndarray) -> np.ndarray:
    """Initial values ``(n, len(TRENDS))`` of the trend columns of the state for inputs ``IN``.

    A trend is ``exp(rate × past)``; the kernel advances it by ``× exp(rate × DT)`` in each month
    it runs (:func:`_trend`), so it starts one step before its value in the first such month.
    """
    rates = (-1.0 / P[:, _PAN_DECAY], P[:, _CAP_GROWTH], P[:, _RX_TREND], -1.0 / P[:, _F_TAU])
    seeds = np.ones((P.shape[0], len(TRENDS)))
    for j, (_, col, on) in enumerate(TRENDS):
        running = np.flatnonzero(IN[:, on])
        if running.size:
            seeds[:, j] = np.exp(rates[j] * (IN[running[0], col] - DT))
    return seeds


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
def _cost(acc, j, k, u, col, added, in_moud, illicit_users, remission) -> None:
    """Add a month of lever ``k``'s costed quantity to run ``j``'s accumulator."""
    acc[_A_COST + k, j] += u[_U_CW + 4 * k + 0, col] * added + u[_U_LV + k, col] * (
        u[_U_CW + 4 * k + 1, col] * in_moud
        + u[_U_CW + 4 * k + 2, col] * illicit_users
        + u[_U_CW + 4 * k + 3, col] * remission
    )


@njit(cache=True, inline="always")
def demand_month(p, x, j, u, col, f, pot, log_pot, risk_supply, acc):
    """Advance run ``j`` one month; add the month's outputs to its accumulators.

    ``p`` ``(N_P, runs)``: parameters (:data:`PARAMS` + :data:`DERIVED`); ``x``
    ``(len(STATE), runs)``: run states; ``acc`` ``(N_ACC, runs)``: annual accumulators — runs are
    columns, so a loop over ``j`` reads and writes contiguous memory and compiles to SIMD code (the
    month has no branch that depends on the run and no library call). ``u[:, col]``: the run's
    month rows (:func:`month_rows`: lever levels, observed inputs, cost weights); ``f``, ``pot``,
    ``risk_supply``: the fentanyl share, potency (and its log) and supply-driven overdose-risk
    multiplier this month. Returns
    ``(moud_entries, moud_patients_added)`` for the signals of
    :func:`~fentsim.model.demand_drivers.demand_step`.
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
    projected = u[_U_IN + _I_RX_ON, col]
    rx_trend = u[_U_IN + _I_RX_BASE, col] * _trend(x, _T_RX, j, projected, p[_RX_STEP, j])
    rx_init = _pick(projected, rx_trend, u[_U_IN + _I_RX, col])
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

    # competing-risk outflows
    r1, r2, r3 = p[_QUIT_M, j], p[_RX_OUD, j], p[_RX_ILL, j] * subst * deterrence
    k = leave_scale(M, r1 + r2 + r3 + d_rx_M + d_rxf_M, DT)
    m_quit, m_to_r, m_to_u, m_d_rx, m_d_f = k * r1, k * r2, k * r3, k * d_rx_M, k * d_rxf_M

    r1, r2 = p[_RXOUD_ILL, j] * subst, p[_REM_R, j]
    k = leave_scale(R, r1 + r2 + treat + d_rx_R + d_rxf_R + non_od, DT)
    r_to_h, r_rem, r_treat = k * r1, k * r2, k * treat
    r_d_rx, r_d_f, r_other = k * d_rx_R, k * d_rxf_R, k * non_od

    r1, r2 = p[_QUIT_U, j], p[_ILL_OUD, j]
    k = leave_scale(U, r1 + r2 + (d_h + d_f) * rel_u, DT)
    u_quit, u_to_h, u_d_h, u_d_f = k * r1, k * r2, k * d_h * rel_u, k * d_f * rel_u

    r1 = p[_REM_H, j]
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
    s_relapse = leave_scale(SS, p[_STAB_RELAPSE, j], DT) * p[_STAB_RELAPSE, j]

    # overdoses (fatal + non-fatal) this month, from the stocks at the start of the month
    ods = ((M * p[_OD_M, j] + (R + TR * moud) * p[_OD_R, j]) * (mix_rx + mix_f)
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
    x[_M, j], x[_R, j], x[_U, j], x[_H, j], x[_TR, j], x[_TH, j] = M, R, U, H, TR, TH
    x[_QR, j], x[_QH, j], x[_SS, j] = QR, QH, SS

    # deaths by exclusive category
    rx_all = m_d_rx + r_d_rx + tr_d_rx
    syn = p[_RX_SYN, j]
    deaths_rx = rx_all * (1.0 - syn)
    deaths_h = u_d_h + h_d_h + th_d_h
    deaths_s = rx_all * syn + m_d_f + r_d_f + tr_d_f + u_d_f + h_d_f + th_d_f
    deaths = deaths_rx + deaths_h + deaths_s
    other = r_other + h_other + tr_other + th_other
    x[_MEM, j] += (deaths / DT - x[_MEM, j]) * p[_MEM_W, j]
    initiations = init_rx + init_ill
    x[_CIN, j] += initiations
    x[_COUT, j] += m_quit + u_quit + deaths + other

    # annual accumulators: flows
    entries = r_treat + h_treat
    acc[_A_D, j] += deaths
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
    illicit_users = U + H + TH
    acc[_A_CAP, j] += capacity
    acc[_A_HAND, j] += on_hand
    acc[_A_M, j] += M
    acc[_A_R, j] += R
    acc[_A_U, j] += U
    acc[_A_H, j] += H
    acc[_A_MOUD, j] += in_moud
    acc[_A_OUD, j] += R + H + in_moud
    acc[_A_REM, j] += remission
    acc[_A_TOTAL, j] += M + R + U + H + in_moud + remission
    # costed quantities: patients above the capacity without the lever, or level × people covered
    added = vmax(in_moud - base_capacity, 0.0)
    # one line per lever, not a loop: the month must stay a single loop body to vectorise
    _cost(acc, j, 0, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 1, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 2, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 3, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 4, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 5, u, col, added, in_moud, illicit_users, remission)
    _cost(acc, j, 6, u, col, added, in_moud, illicit_users, remission)
    return entries, added
