"""Treasury block: nominal GDP, revenue and outlays, debt held by the public by maturity bucket,
rollover at simulated yields, the issuance policy and the TGA.

Each step (length dt years), on every path:

    NGDP'     = NGDP * exp((g_potential(t) + inflation') dt + (gap' - gap))
    revenue   = revenue_share(t) NGDP' dt + Fed remittances (unless the path includes them)
    outlays   = outlays_share(t) NGDP' dt                 (non-interest)
    interest  = sum_b face_b coupon_b dt                  (on all debt held by the public, SOMA's too)
    dTGA      = (TGA target(t) - TGA) (1 - exp(-ln2 dt / half_life))
    outlays  -= b (debt/GDP - reference debt/GDP(t)) NGDP' dt   (the fiscal reaction, Bohn 1998)
    borrowing = outlays - revenue + interest + dTGA       (so debt' = debt + borrowing, exactly)
    maturing_b = face_b min(1, dt / maturity_b)           (a bucket issued evenly over its maturity
                                                           runs off at face/maturity a year)
    gross     = sum_b maturing_b + borrowing, allocated by the issuance policy; the TGA change
                is financed (or repaid) with bills
    coupon_b' = (coupon_b (face_b - maturing_b) + yield_b issued_b) / face_b'

The reaction: the primary surplus rises by ``surplus_response`` (b) per pp of debt/GDP at the
start of the step above the reference path (``reference``: the debt/GDP of a deterministic
scenario's run at the same date, written by engine.model), taken out of non-interest outlays, so
revenue stays on its path; b = 0, or no reference, is no reaction.

Issuance policies (``issuance.policy``: ``bill_share``, ``fixed_mix``, ``short_first``) are in
:mod:`engine.blocks.treasury.issuance`.

No bucket is paid down below what the Fed holds of it (the Fed's maturing holdings that it
reinvests are issued to it at auction), and coupons are never bought back; should a surplus ask
for more, the excess stays in the TGA, so the identity still holds. WAM is sum face_b maturity_b / 2 / debt
(each bucket's remaining maturities are uniform over its original maturity).

Defaults: CBO's March 2025 long-term budget outlook (CALIBRATION.md) for the revenue and outlay
paths; the intermediate 2035 points are read from CBO's January 2025 ten-year baseline
(revenue 18.3%, primary deficit ~2.0% of GDP; unverified). Debt held by the public $30.1tn
(Dec 2025, CALIBRATION.md); nominal GDP $31.0tn = FRB/US XGDPN 2024Q4 ($29.7tn) grown a year at
~4.4% (assumption). Bucket shares are an assumption set to match bills ~22% of marketable debt
(Oct 2025) and a WAM near 72 months (CALIBRATION.md): they are the steady state of the default
coupon mix (stock_b = issuance_b x maturity_b), which is the 2025 monthly auction sizes (2y $69bn,
3y $58bn, 5y $70bn, 7y $44bn, 10y ~$39bn, 20y ~$14bn, 30y ~$22bn with reopenings; Treasury
auction announcements, secondary), so the profile neither lengthens nor shortens by itself
(WAM 5.8 years = 70 months). Coupons are assumptions near the Treasury's ~3.4% average interest
rate on marketable debt in 2025.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, NamedTuple

import numpy as np
from numba import njit
from pydantic import create_model, model_validator

from ...core.layout import (
    BUCKETS,
    CPN0,
    DEBT0,
    GAP,
    GROSS0,
    INFL,
    INTEREST,
    MATURITY,
    N_B,
    NGDP,
    OUT0,
    OUTLAYS,
    REVENUE,
    SOMA0,
    TGA,
    TGA_CHANGE,
)
from ...schema import (
    Bool,
    Dated,
    DatedPath,
    Field,
    GdpShare,
    Money,
    PositiveMoney,
    Rate,
    Section,
    Share,
    Str,
    Tenor,
    fail,
)
from .issuance import POLICIES, Issuance, allocate

#: what the other fiscal blocks say of settings that act only with this block on
NEEDS_TREASURY = "needs treasury.enabled: true (the Treasury block carries the debt that these act on)"

_DEFAULT_SHARES = {
    "bills": ("22%", "4.0%"),
    "2y": ("5%", "3.9%"),
    "3y": ("6%", "3.7%"),
    "5y": ("12%", "3.4%"),
    "7y": ("10%", "3.1%"),
    "10y": ("13%", "2.9%"),
    "20y": ("9%", "3.2%"),
    "30y": ("23%", "3.1%"),
}


class Bucket(Section):
    share: Share
    coupon: Rate


def _bucket(name: str) -> Any:
    share, coupon = _DEFAULT_SHARES[name]
    return create_model(
        f"Bucket{name.capitalize()}",
        __base__=Bucket,
        share=(Share, Field(share, description="share of debt held by the public")),
        coupon=(Rate, Field(coupon, description="average coupon (bills: average discount yield)")),
    )


class _BucketsBase(Section):
    """Share of debt and average coupon of each maturity bucket."""

    def get(self, name: str) -> Bucket:
        return getattr(self, f"b_{name}")

    @model_validator(mode="after")
    def _total(self) -> _BucketsBase:
        s = sum(self.get(b).share.value for b in BUCKETS)
        if abs(s - 1.0) > 1e-9:
            fail(((), f"bucket shares sum to {s * 100:.6g}%; expected 100%"))
        return self


Buckets = create_model(
    "Buckets",
    __base__=_BucketsBase,  # type: ignore[call-overload]
    **{f"b_{b}": (_bucket(b), Field({}, alias=b)) for b in BUCKETS},
)


class Tga(Section):
    """Treasury General Account: a target level rebuilt with bills."""

    initial: Money = Field("850bn", description="TGA balance at the start")
    target: Annotated[DatedPath, Dated(Money)] = Field(
        "850bn", description="TGA target (Treasury's end-Sept 2025 target: $850bn)"
    )
    rebuild_half_life: Tenor = Field(
        "3w",
        description="half-life of the gap to the target (2025 rebuild: $282bn "
        "on Jul 11 to ~$850bn by end-Sept, ~3 weeks)",
    )


class Params(Section):
    """Treasury: GDP, revenue, outlays, debt by bucket, rollover, issuance policy, TGA."""

    enabled: Bool = Field(
        False, description="switch the Treasury, Fed balance-sheet, backstop, holder and supply blocks on"
    )
    nominal_gdp: PositiveMoney = Field("31.0tn", description="nominal GDP at the start, annual rate")
    potential_growth: Annotated[DatedPath, Dated(Rate)] = Field(
        "1.8%",
        description="real potential GDP growth per year (assumption; CBO's 2025 outlook: ~1.8% for the first "
        "decade, ~1.6% after; unverified)",
    )
    add_fed_remittances: Bool = Field(
        True,
        description="add the simulated Fed remittances to revenue (false when the "
        "revenue path already includes a projection of them, as "
        "CBO's does)",
    )
    revenue: Annotated[DatedPath, Dated(GdpShare)] = Field(
        {"2025-09-30": "17.1% of gdp", "2035-09-30": "18.3% of gdp", "2055-09-30": "19.3% of gdp"},
        description="federal revenue excluding Fed remittances, % of GDP (CBO March 2025)",
    )
    outlays: Annotated[DatedPath, Dated(GdpShare)] = Field(
        {"2025-09-30": "20.1% of gdp", "2035-09-30": "20.3% of gdp", "2055-09-30": "21.2% of gdp"},
        description="non-interest outlays, % of GDP (CBO March 2025: revenue plus the primary deficit, 3.0% in "
        "2025 and 1.9% in 2055)",
    )
    debt: PositiveMoney = Field("30.1tn", description="debt held by the public at the start (Dec 2025)")
    reference: Str | None = Field(
        None,
        description="the reference fiscal path: a scenario file or library name (like cbo_2025_no_vol) whose "
        "run with every random shock zero gives, date by date, the debt/GDP, deficit and private supply that the "
        "scenario's rates already assume; the fiscal reaction and the supply effects (supply.measured_against: "
        "reference) are measured from it. None: no reference (no fiscal reaction; supply effects measured from "
        "the start's levels)",
    )
    surplus_response: Share = Field(
        "5bp",
        description="fiscal reaction: rise of the primary surplus, % of GDP, per pp of debt/GDP above the "
        "reference path (taken out of non-interest outlays). Bohn (QJE 1998, 'The Behavior of U.S. Public Debt "
        "and Deficits') estimates about 0.05 pp per pp (5bp) for 1916-1995; not in CALIBRATION.md. 0bp: none. "
        "Acts only with a reference: without one the revenue and outlay paths are taken as given (replays)",
    )
    buckets: Buckets = Field({}, description="share of debt and average coupon of each maturity bucket")
    issuance: Issuance = Field({}, description="issuance policy")
    tga: Tga = Field({}, description="Treasury General Account: a target level rebuilt with bills")


# packed slots: remittances added to revenue (1/0), the TGA gap closed per step, the issuance
# policy, the bill-share target, the fiscal reaction (per unit of debt/GDP), each bucket's runoff
# per step min(1, dt/maturity), the issuance mix
ADD_REMIT, TGA_DECAY, POLICY, TARGET_BILL, RESPONSE = range(5)
RUNOFF0 = 5
MIX0 = RUNOFF0 + N_B
N_SLOT = MIX0 + N_B


class Packed(NamedTuple):
    """``P`` (slot); per time point k: revenue and outlays (shares of GDP), the TGA target (USD
    bn), potential growth (decimal per year) and the reference debt/GDP (decimal; the start's
    until engine.model writes the reference path)."""

    P: np.ndarray
    revenue: np.ndarray
    outlays: np.ndarray
    tga_target: np.ndarray
    growth: np.ndarray
    ref_debt: np.ndarray


def face(p: Params) -> np.ndarray:
    """Face of debt by bucket at the start, USD bn."""
    return np.array([p.buckets.get(b).share.value * p.debt.value for b in BUCKETS])


def pack(sc, cal) -> Packed:
    p: Params = sc.treasury
    P = np.zeros(N_SLOT)
    P[ADD_REMIT] = 1.0 if p.add_fed_remittances else 0.0
    P[TGA_DECAY] = 1.0 - math.exp(-math.log(2.0) * cal.dt / p.tga.rebuild_half_life.years)
    P[POLICY] = POLICIES.index(p.issuance.policy)
    P[TARGET_BILL] = p.issuance.bill_share.value
    # no reference plan, no reaction
    P[RESPONSE] = p.surplus_response.value / 0.01 if p.reference is not None else 0.0
    for b in range(N_B):
        P[RUNOFF0 + b] = min(1.0, cal.dt / MATURITY[b])
    for name, q in p.issuance.mix.items():
        P[MIX0 + BUCKETS.index(name)] = q.value
    days = cal.dates
    return Packed(
        P,
        np.array([p.revenue.at(d) for d in days]),
        np.array([p.outlays.at(d) for d in days]),
        np.array([p.tga.target.at(d) for d in days]),
        np.array([p.potential_growth.at(d) for d in days]),
        np.zeros(len(days)),
    )


def initial(sc, x: np.ndarray, pk: Packed, y0: np.ndarray) -> None:
    """The Treasury's rows of the initial state ``x``; flows are the run rates at the start."""
    p: Params = sc.treasury
    f = face(p)
    ngdp = p.nominal_gdp.value
    x[NGDP], x[TGA] = ngdp, p.tga.initial.value
    x[DEBT0 : DEBT0 + N_B] = f
    x[CPN0 : CPN0 + N_B] = [p.buckets.get(b).coupon.value for b in BUCKETS]
    x[REVENUE] = pk.revenue[0] * ngdp
    x[OUTLAYS] = pk.outlays[0] * ngdp
    x[INTEREST] = float(np.dot(f, x[CPN0 : CPN0 + N_B]))
    x[GROSS0 : GROSS0 + N_B] = f / np.array(MATURITY)
    pk.ref_debt[:] = f.sum() / ngdp


def wam(face: np.ndarray) -> float:
    """Weighted average maturity in years of a bucket profile (each bucket at half its maturity)."""
    return float(np.dot(face, MATURITY) / 2.0 / face.sum())


# ------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def grow(S, O, k, dt, tr):
    """Nominal GDP over step k from potential growth, inflation and the change of the gap."""
    g = tr.growth[k]
    for p in range(S.shape[1]):
        S[NGDP, p] = O[NGDP, p] * math.exp((g + S[INFL, p]) * dt + (S[GAP, p] - O[GAP, p]))


@njit(cache=True, nogil=True)
def finance(S, O, k, dt, tr, w):
    """Revenue, outlays, interest and the TGA change over step k; maturing debt rolled and new
    borrowing issued by the issuance policy at the bucket yields ``w.Y``, never paying a bucket
    down below what the Fed keeps of it (``w.SMAT``/``w.reinvest``, from the Fed's runoff);
    the new coupons, debt and gross issuance."""
    B = S.shape[1]
    Pt = tr.P
    MAT, SMAT, ISS, LO = w.MAT, w.SMAT, w.ISS, w.LO
    face, interest, revenue, outlays, d_tga, need = w.face, w.interest, w.revenue, w.outlays, w.d_tga, w.need
    face[:] = 0.0
    interest[:] = 0.0
    for b in range(N_B):
        ro = Pt[RUNOFF0 + b]
        for p in range(B):
            MAT[b, p] = O[DEBT0 + b, p] * ro
            interest[p] += O[DEBT0 + b, p] * O[CPN0 + b, p]
            face[p] += O[DEBT0 + b, p]
    rev_k, out_k, tga_k, ref_k = tr.revenue[k], tr.outlays[k], tr.tga_target[k], tr.ref_debt[k]
    add, decay, resp = Pt[ADD_REMIT], Pt[TGA_DECAY], Pt[RESPONSE]
    for p in range(B):
        interest[p] *= dt
        revenue[p] = rev_k * S[NGDP, p] * dt + w.remit[p] * add
        outlays[p] = (out_k - resp * (face[p] / O[NGDP, p] - ref_k)) * S[NGDP, p] * dt
        d_tga[p] = (tga_k - O[TGA, p]) * decay
        need[p] = outlays[p] - revenue[p] + interest[p]  # borrowing before the TGA change
    reinvest = w.reinvest
    for b in range(N_B):
        for p in range(B):
            gap = (O[SOMA0 + b, p] - SMAT[b, p] + SMAT[b, p] * reinvest[p]) - (O[DEBT0 + b, p] - MAT[b, p])
            LO[b, p] = gap if b == 0 else max(gap, 0.0)
    allocate(
        int(Pt[POLICY]), Pt[TARGET_BILL], Pt[MIX0 : MIX0 + N_B], face, O[DEBT0], MAT, need, d_tga, LO, ISS, w.gross
    )
    debt, Y = w.debt, w.Y
    debt[:] = 0.0
    for b in range(N_B):
        for p in range(B):
            left = O[DEBT0 + b, p] - MAT[b, p]
            iss = ISS[b, p]
            f = left + iss
            if f < 0.0:  # rounding only: allocate keeps every bucket >= 0
                f = 0.0
            S[CPN0 + b, p] = (O[CPN0 + b, p] * left + Y[b, p] * iss) / f if (iss > 0.0) & (f > 0.0) else O[CPN0 + b, p]
            S[DEBT0 + b, p] = f
            S[GROSS0 + b, p] = iss / dt
            debt[p] += f
    for p in range(B):
        S[TGA, p] = O[TGA, p] + d_tga[p]


@njit(cache=True, nogil=True)
def flows(S, dt, w):
    """The step's revenue, outlays, interest and TGA change as annual rates."""
    for p in range(S.shape[1]):
        S[REVENUE, p] = w.revenue[p] / dt
        S[OUTLAYS, p] = w.outlays[p] / dt
        S[INTEREST, p] = w.interest[p] / dt
        S[TGA_CHANGE, p] = w.d_tga[p] / dt


_R = OUT0["treasury"]
(
    R_NGDP,
    R_DEBT,
    R_DEBT_GDP,
    R_NI,
    R_NI_GDP,
    R_NI_REV,
    R_NI_OUT,
    R_DEF_GDP,
    R_PDEF_GDP,
    R_REV_GDP,
    R_AVG_RATE,
    R_WAM,
    R_BILL_SHARE,
    R_TGA,
) = range(_R, _R + 14)
R_GROSS0 = _R + 14
R_GROSS = R_GROSS0 + N_B


@njit(cache=True, nogil=True, error_model="numpy")
def record(S, out, w):
    """The Treasury's recorded variables (engine.registry) of every path into the rows of ``out``
    (recorded variable, paths); ``w`` holds the bucket totals (engine.core.buckets.totals)."""
    B = S.shape[1]
    debt, cost, wam_num, gross = w.debt, w.interest, w.face, w.gross
    out[R_NGDP] = S[NGDP]
    out[R_TGA] = S[TGA]
    for b in range(N_B):
        out[R_GROSS0 + b] = S[GROSS0 + b]
    out[R_DEBT] = debt
    out[R_GROSS] = gross
    for p in range(B):
        ngdp, ni, rev, outl = S[NGDP, p], S[INTEREST, p], S[REVENUE, p], S[OUTLAYS, p]
        out[R_DEBT_GDP, p] = debt[p] / ngdp
        out[R_NI, p] = ni
        out[R_NI_GDP, p] = ni / ngdp
        out[R_NI_REV, p] = ni / rev
        out[R_NI_OUT, p] = ni / (outl + ni)
        out[R_DEF_GDP, p] = (outl - rev + ni) / ngdp
        out[R_PDEF_GDP, p] = (outl - rev) / ngdp
        out[R_REV_GDP, p] = rev / ngdp
    for p in range(B):
        out[R_AVG_RATE, p] = cost[p] / debt[p]
        out[R_WAM, p] = wam_num[p] / debt[p]
        out[R_BILL_SHARE, p] = S[DEBT0, p] / debt[p]
