"""The compiled monthly step of the epidemic engine: one call advances every run one month.

The kernel loops over runs in compiled code (numba, ``prange`` over the 2+ cores); runs never
interact, so any chunking gives identical results. The equations are documented in
:mod:`fentsim.model.demand`; parameters arrive as a ``(n_runs, len(PARAMS))`` matrix in the order
of :data:`PARAMS`, lever levels as ``(len(LEVERS), n_runs)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .clock import DT
from .flows import leave_scale
from .naloxone import kits_step, rescue_probability

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
)  # fmt: skip
P = {name: i for i, name in enumerate(PARAMS)}

LEVERS: tuple[str, ...] = (
    "naloxone", "moud_access", "moud_retention", "drug_checking",
    "prescribing_limits", "prevention", "recovery_support",
)  # fmt: skip

STOCKS: tuple[str, ...] = ("M", "R", "U", "H", "TR", "TH", "QR", "QH", "S")
OUT: tuple[str, ...] = (
    "deaths", "deaths_rx", "deaths_heroin", "deaths_synth", "overdoses", "reversed", "other_deaths",
    "initiations", "moud_entries", "capacity", "kits_distributed", "p_on_hand", "exits",
)  # fmt: skip

# indices, as module constants so numba folds them
(_QUIT_M, _RX_OUD, _RX_ILL, _RXOUD_ILL, _ILL_INIT, _QUIT_U, _ILL_OUD, _REM_H, _REM_R, _RELAPSE,
 _RELAPSE_RX, _STAB_T, _STAB_RELAPSE, _NON_OD, _SEEK, _DUR, _EXIT_REM, _MOUD_OD, _MOUD_NON_OD,
 _BUP_FRAC, _CAP_GROWTH, _OD_M, _OD_R, _OD_H, _OD_U_REL, _FENT_MULT, _CFR_RX, _CFR_H, _CFR_F,
 _POT_EL, _RX_FENT, _RX_SYN, _NAL_RISK, _NAL_LIFE, _NAL_CARRY, _P_WIT, _P_TIME, _NAL_EFF,
 _RX_TREND, _NAL_GROWTH, _PREV_EFF, _REC_EFF, _DC_EFF, _RX_SUBST, _RISK_SENS, _RISK_TAU) = range(len(PARAMS))  # fmt: skip

KITS_PER_MILLION = 1e6  # the naloxone lever is in millions of kits per year
#: perceived risk: illicit initiation is scaled by exp(-sensitivity × recent deaths / this scale)
RISK_DEATHS_SCALE = 10_000.0  # deaths per year


@njit(cache=True, parallel=True, fastmath=True)
def demand_step(
    S, K, MEM, P, L, f_arr, pot_arr, risk_arr, out,
    rx_init_data, rx_init_base, rx_past, kits_data, kits_past_capped,
    mmt, bup, xr, moud_past,
):  # fmt: skip
    """Advance stocks ``S`` (n, 9) and kits ``K`` (n,) one month; write monthly flows into ``out``."""
    n = S.shape[0]
    for i in prange(n):
        p = P[i]
        M, R, U, H, TR, TH, QR, QH, SS = (
            S[i, 0],
            S[i, 1],
            S[i, 2],
            S[i, 3],
            S[i, 4],
            S[i, 5],
            S[i, 6],
            S[i, 7],
            S[i, 8],
        )
        naloxone, access, retention, checking_cov, limits, prevention_cov, recovery_cov = (
            L[0, i],
            L[1, i],
            L[2, i],
            L[3, i],
            L[4, i],
            L[5, i],
            L[6, i],
        )
        f = f_arr[i]
        risk_supply = risk_arr[i]

        # naloxone chain
        kits_dist = kits_data + p[_NAL_GROWTH] * kits_past_capped + naloxone * KITS_PER_MILLION
        kits = kits_step(K[i], kits_dist, p[_NAL_RISK], p[_NAL_LIFE], DT)
        K[i] = kits
        at_risk = R + U + H
        rescue = rescue_probability(
            kits, at_risk, p[_NAL_CARRY], p[_P_WIT], p[_P_TIME], p[_NAL_EFF]
        )
        gate = 1.0 - rescue

        # overdose incidence and case fatality
        fent_mult = p[_FENT_MULT]
        pot = pot_arr[i]
        cfr_f = p[_CFR_F] if pot == 1.0 else min(p[_CFR_F] * pot ** p[_POT_EL], 1.0)
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
        non_od_moud = non_od * p[_MOUD_NON_OD]

        # treatment entry, limited by free capacity
        capacity = (mmt + p[_BUP_FRAC] * bup + xr) * (1.0 + access)
        if moud_past > 0.0:
            capacity *= math.exp(p[_CAP_GROWTH] * moud_past)
        free = max(capacity - TR - TH, 0.0)
        oud = R + H
        entry = min(p[_SEEK] * oud * DT, free)
        treat = entry / max(oud, 1.0) / DT

        # initiation
        prev_gate = 1.0 - prevention_cov * p[_PREV_EFF]
        rx_init = rx_init_base * math.exp(p[_RX_TREND] * rx_past) if rx_past > 0.0 else rx_init_data
        init_rx = rx_init * (1.0 - limits) * prev_gate * DT
        # perceived risk (SOURCE): recent overdose deaths deter initiation of illicit opioids
        deterrence = math.exp(-p[_RISK_SENS] * MEM[i] / RISK_DEATHS_SCALE)
        init_ill = p[_ILL_INIT] * prev_gate * deterrence * DT
        subst = 1.0 + limits * p[_RX_SUBST]

        # MOUD exits: completion (to remission) and dropout (back to OUD); retention cuts dropout
        complete = p[_EXIT_REM] / p[_DUR]
        dropout = (1.0 - p[_EXIT_REM]) * (1.0 - retention) / p[_DUR]
        relapse = p[_RELAPSE] * (1.0 - recovery_cov * p[_REC_EFF])
        relapse_rx = relapse * p[_RELAPSE_RX]
        stab = 1.0 / p[_STAB_T]

        # competing-risk outflows
        r1, r2, r3 = p[_QUIT_M], p[_RX_OUD], p[_RX_ILL] * subst * deterrence
        k = leave_scale(M, r1 + r2 + r3 + d_rx_M + d_rxf_M, DT)
        m_quit, m_to_r, m_to_u, m_d_rx, m_d_f = k * r1, k * r2, k * r3, k * d_rx_M, k * d_rxf_M

        r1, r2 = p[_RXOUD_ILL] * subst, p[_REM_R]
        k = leave_scale(R, r1 + r2 + treat + d_rx_R + d_rxf_R + non_od, DT)
        r_to_h, r_rem, r_treat, r_d_rx, r_d_f, r_other = (
            k * r1,
            k * r2,
            k * treat,
            k * d_rx_R,
            k * d_rxf_R,
            k * non_od,
        )

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

        S[i, 0] = M + init_rx - m_quit - m_to_r - m_to_u - m_d_rx - m_d_f
        S[i, 1] = (
            R + m_to_r + qr_relapse + tr_drop - r_to_h - r_rem - r_treat - r_d_rx - r_d_f - r_other
        )
        S[i, 2] = U + init_ill + m_to_u - u_quit - u_to_h - u_d_h - u_d_f
        S[i, 3] = (
            H
            + u_to_h
            + r_to_h
            + qh_relapse
            + s_relapse
            + th_drop
            - h_rem
            - h_treat
            - h_d_h
            - h_d_f
            - h_other
        )
        S[i, 4] = TR + r_treat - tr_done - tr_drop - tr_d_rx - tr_d_f - tr_other
        S[i, 5] = TH + h_treat - th_done - th_drop - th_d_h - th_d_f - th_other
        S[i, 6] = QR + r_rem + tr_done - qr_relapse - qr_stable
        S[i, 7] = QH + h_rem + th_done - qh_relapse - qh_stable
        S[i, 8] = SS + qr_stable + qh_stable - s_relapse

        # deaths by exclusive category
        rx_all = m_d_rx + r_d_rx + tr_d_rx
        syn = p[_RX_SYN]
        deaths_rx = rx_all * (1.0 - syn)
        deaths_h = u_d_h + h_d_h + th_d_h
        deaths_s = rx_all * syn + m_d_f + r_d_f + tr_d_f + u_d_f + h_d_f + th_d_f
        deaths = deaths_rx + deaths_h + deaths_s
        other = r_other + h_other + tr_other + th_other
        # overdoses (fatal + non-fatal) this month, and lay-naloxone reversals
        ods = ((M * p[_OD_M] + (R + TR * moud) * p[_OD_R]) * (mix_rx + mix_f)
               + (U * rel_u + H + TH * moud) * (od_h + od_f)) * DT  # fmt: skip
        MEM[i] += (deaths / DT - MEM[i]) * (1.0 - math.exp(-DT / p[_RISK_TAU]))
        out[0, i] = deaths
        out[1, i] = deaths_rx
        out[2, i] = deaths_h
        out[3, i] = deaths_s
        out[4, i] = max(ods - deaths, 0.0)
        out[5, i] = deaths * rescue / max(gate, 1e-12)
        out[6, i] = other
        out[7, i] = init_rx + init_ill
        out[8, i] = r_treat + h_treat
        out[9, i] = capacity
        out[10, i] = kits_dist * DT
        out[11, i] = rescue / (p[_P_WIT] * p[_P_TIME] * p[_NAL_EFF])
        out[12, i] = m_quit + u_quit + deaths + other


def lever_matrix(levels: list, n: int) -> np.ndarray:
    """Stack lever levels (floats or arrays over runs) into a ``(len(LEVERS), n)`` matrix."""
    out = np.empty((len(levels), n))
    for j, v in enumerate(levels):
        out[j] = v
    return out
