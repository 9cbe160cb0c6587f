"""Treasury block: nominal GDP, revenue and outlays, debt held by the public by maturity bucket,
rollover at simulated yields, the issuance policy and the TGA.

Each step (length dt years), on every path:

    NGDP'     = NGDP * exp((g_potential(t) + inflation') dt + (gap' - gap))
    revenue   = revenue_share(t) NGDP' dt + Fed remittances (unless the path includes them)
    outlays   = outlays_share(t) NGDP' dt                 (non-interest)
    interest  = sum_b face_b coupon_b dt                  (on all debt held by the public, SOMA's too)
    dTGA      = (TGA target(t) - TGA) (1 - exp(-ln2 dt / half_life))
    borrowing = outlays - revenue + interest + dTGA       (so debt' = debt + borrowing, exactly)
    maturing_b = face_b min(1, dt / maturity_b)           (a bucket issued evenly over its maturity
                                                           runs off at face/maturity a year)
    gross     = sum_b maturing_b + borrowing, allocated by the issuance policy; the TGA change
                is financed (or repaid) with bills
    coupon_b' = (coupon_b (face_b - maturing_b) + yield_b issued_b) / face_b'

Issuance policies (``issuance.policy``):

* ``bill_share``: bills are issued so that they are ``bill_share`` of debt after the step; the
  rest of the gross need goes to coupons in the ``mix`` proportions (TBAC's 15-20% guide; the
  Treasury's practice of "regular and predictable" coupon sizes with bills as the shock absorber).
* ``fixed_mix``: every bucket gets its ``mix`` share of gross issuance (``mix`` covers bills too).
* ``short_first``: maturing coupons are rolled into the same bucket, all net new borrowing goes
  to bills ("borrow short": the bill share rises with the deficit).

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

import numpy as np
from numba import njit

from ..schema import Bool, DatedPath, NameMap, Q, Section, Str
from .fiscal_state import BUCKETS, MATURITY, N_B

POLICIES = ("bill_share", "fixed_mix", "short_first")
BILL_SHARE, FIXED_MIX, SHORT_FIRST = range(3)


def _bucket(share: str, coupon: str) -> Section:
    return Section({"share": Q("rate", "share of debt held by the public", share, lo=0.0, hi=1.0),
                    "coupon": Q("rate", "average coupon (bills: average discount yield)", coupon)})


_DEFAULT_SHARES = {"bills": ("22%", "4.0%"), "2y": ("5%", "3.9%"), "3y": ("6%", "3.7%"), "5y": ("12%", "3.4%"),
                   "7y": ("10%", "3.1%"), "10y": ("13%", "2.9%"), "20y": ("9%", "3.2%"), "30y": ("23%", "3.1%")}


def _check_buckets(b, path, ctx):
    s = sum(v["share"].value for v in b.values() if v and v["share"] is not None)
    if abs(s - 1.0) > 1e-9:
        ctx.error(path, f"bucket shares sum to {s * 100:.6g}%; expected 100%")


def _check_issuance(s, path, ctx):
    if s["policy"] is None or s["mix"] is None:
        return
    total = sum(q.value for q in s["mix"].values())
    if s["policy"] == "fixed_mix":
        if abs(total - 1.0) > 1e-9:
            ctx.error(path + ("mix",), f"shares sum to {total * 100:.6g}%; a fixed_mix covers every bucket "
                                       "including bills and must sum to 100%")
    else:
        if "bills" in s["mix"]:
            ctx.error(path + ("mix", "bills"), f"bills take no share of the coupon mix under {s['policy']}; "
                                               "the policy sets bill issuance")
        elif abs(total - 1.0) > 1e-9:
            ctx.error(path + ("mix",), f"coupon shares sum to {total * 100:.6g}%; expected 100%")


SCHEMA = Section({
    "enabled": Bool("switch the Treasury, Fed balance-sheet, backstop, holder and supply blocks on", False),
    "nominal_gdp": Q("money", "nominal GDP at the start, annual rate", "31.0tn", lo=0.0, lo_open=True),
    "potential_growth": DatedPath(Q("rate"), "real potential GDP growth per year (assumption; CBO's 2025 outlook: "
                                  "~1.8% for the first decade, ~1.6% after; unverified)", "1.8%"),
    "add_fed_remittances": Bool("add the simulated Fed remittances to revenue (false when the revenue path "
                                "already includes a projection of them, as CBO's does)", True),
    "revenue": DatedPath(Q("gdp_share", lo=0.0), "federal revenue excluding Fed remittances, % of GDP "
                         "(CBO March 2025)",
                         {"2025-09-30": "17.1% of gdp", "2035-09-30": "18.3% of gdp", "2055-09-30": "19.3% of gdp"}),
    "outlays": DatedPath(Q("gdp_share", lo=0.0), "non-interest outlays, % of GDP (CBO March 2025: revenue plus the "
                         "primary deficit, 3.0% in 2025 and 1.9% in 2055)",
                         {"2025-09-30": "20.1% of gdp", "2035-09-30": "20.3% of gdp", "2055-09-30": "21.2% of gdp"}),
    "debt": Q("money", "debt held by the public at the start (Dec 2025)", "30.1tn", lo=0.0, lo_open=True),
    "buckets": Section({b: _bucket(*_DEFAULT_SHARES[b]) for b in BUCKETS},
                       "share of debt and average coupon of each maturity bucket", check=_check_buckets),
    "issuance": Section({
        "policy": Str("how gross issuance is split across buckets", "bill_share", choices=list(POLICIES)),
        "bill_share": Q("rate", "target share of bills in debt (bill_share policy)", "22%", lo=0.0, hi=1.0),
        "mix": NameMap(BUCKETS, Q("rate", lo=0.0, hi=1.0), "issuance shares: over coupon buckets (bill_share, "
                       "short_first policies) or over all buckets (fixed_mix)",
                       {"2y": "22%", "3y": "18%", "5y": "22%", "7y": "14%", "10y": "12%", "20y": "5%", "30y": "7%"},
                       total=False),
    }, "issuance policy", check=_check_issuance),
    "tga": Section({
        "initial": Q("money", "TGA balance at the start", "850bn", lo=0.0),
        "target": DatedPath(Q("money", lo=0.0), "TGA target (Treasury's end-Sept 2025 target: $850bn)", "850bn"),
        "rebuild_half_life": Q("tenor", "half-life of the gap to the target (2025 rebuild: $282bn on Jul 11 to "
                               "~$850bn by end-Sept, ~3 weeks)", "3w"),
    }, "Treasury General Account: a target level rebuilt with bills"),
}, doc="Treasury: GDP, revenue, outlays, debt by bucket, rollover, issuance policy, TGA.")

# parameters
ADD_REMIT, TGA_DECAY, POLICY, TARGET_BILL, N_T0 = range(5)
RUNOFF0 = N_T0             # min(1, dt/maturity) per bucket
MIX0 = RUNOFF0 + N_B       # issuance mix per bucket
N_PARAM = MIX0 + N_B


def is_on(sc_data: dict) -> bool:
    return bool(sc_data["treasury"]["enabled"])


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[ADD_REMIT] = 1.0 if p["add_fed_remittances"] else 0.0
    out[TGA_DECAY] = 1.0 - math.exp(-math.log(2.0) * dt / p["tga"]["rebuild_half_life"].years)
    out[POLICY] = POLICIES.index(p["issuance"]["policy"])
    out[TARGET_BILL] = p["issuance"]["bill_share"].value
    for b in range(N_B):
        out[RUNOFF0 + b] = min(1.0, dt / MATURITY[b])
    for name, q in p["issuance"]["mix"].items():
        out[MIX0 + BUCKETS.index(name)] = q.value
    return out


def initial(p: dict) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(nominal GDP, TGA, face by bucket, coupon by bucket) at the start, USD bn / decimals."""
    debt = p["debt"].value
    face = np.array([p["buckets"][b]["share"].value * debt for b in BUCKETS])
    cpn = np.array([p["buckets"][b]["coupon"].value for b in BUCKETS])
    return p["nominal_gdp"].value, p["tga"]["initial"].value, face, cpn


def wam(face: np.ndarray) -> float:
    """Weighted average maturity in years of a bucket profile (each bucket at half its maturity)."""
    return float(np.dot(face, MATURITY) / 2.0 / face.sum())


@njit(cache=True, nogil=True)
def allocate(P, debt, bills, maturing, need, d_tga, lo, issued, gross):
    """Split gross issuance ``sum(maturing) + need`` (need: borrowing excluding the TGA change)
    plus the TGA change ``d_tga`` (in bills) across buckets into ``issued`` (USD bn this step),
    for every path (the columns; bucket-indexed arrays are (N_B, paths), the rest (paths)).
    ``debt``, ``bills``: debt and bills outstanding before the step.
    ``lo``: the least each bucket may get (coupons: 0, or the Fed's reinvestment; bills: what keeps
    them at or above the Fed's bills). ``d_tga`` becomes the TGA change actually financed:
    whatever a floor adds stays in the TGA (a surplus larger than the bills that can be paid
    down). ``gross``: a scratch row."""
    nb, B = issued.shape
    for p in range(B):
        gross[p] = need[p]
    for b in range(nb):
        for p in range(B):
            gross[p] += maturing[b, p]
    pol = int(P[POLICY])
    if pol == FIXED_MIX:
        for b in range(nb):
            m = P[MIX0 + b]
            for p in range(B):
                issued[b, p] = m * gross[p]
    elif pol == SHORT_FIRST:  # coupons roll over; bills take the rest
        issued[0, :] = 0.0
        for b in range(1, nb):
            for p in range(B):
                issued[b, p] = maturing[b, p]
                issued[0, p] += maturing[b, p]
        for p in range(B):
            issued[0, p] = gross[p] - issued[0, p]
    else:  # bill share target after the step; coupons take the rest by the mix
        target = P[TARGET_BILL]
        for p in range(B):
            new_bills = target * (debt[p] + need[p]) - (bills[p] - maturing[0, p])
            new_bills = min(max(new_bills, 0.0), max(gross[p], 0.0))
            issued[0, p] = new_bills
            gross[p] = gross[p] - new_bills
        for b in range(1, nb):
            m = P[MIX0 + b]
            for p in range(B):
                issued[b, p] = m * gross[p]
    for p in range(B):
        issued[0, p] += d_tga[p]
    for b in range(nb):
        for p in range(B):
            short = lo[b, p] - issued[b, p]
            d_tga[p] = d_tga[p] + short if short > 0.0 else d_tga[p]
            issued[b, p] = lo[b, p] if short > 0.0 else issued[b, p]
