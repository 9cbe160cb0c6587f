"""The Treasury's issuance policies: how gross issuance is split across the maturity buckets.

* ``bill_share``: bills are issued so that they are ``bill_share`` of debt after the step; the
  rest of the gross need goes to coupons in the ``mix`` proportions (TBAC's 15-20% guide; the
  Treasury's practice of "regular and predictable" coupon sizes with bills as the shock absorber).
* ``fixed_mix``: every bucket gets its ``mix`` share of gross issuance (``mix`` covers bills too).
* ``short_first``: maturing coupons are rolled into the same bucket, all net new borrowing goes
  to bills ("borrow short": the bill share rises with the deficit).
"""

from __future__ import annotations

from typing import Annotated

from numba import njit
from pydantic import model_validator

from ...core.layout import BUCKETS
from ...schema import Field, NameMap, Quantity, Section, Share, Text, fail

POLICIES = ("bill_share", "fixed_mix", "short_first")
BILL_SHARE, FIXED_MIX, SHORT_FIRST = range(3)


class Issuance(Section):
    """Issuance policy."""

    policy: Annotated[str, Text(POLICIES)] = Field(
        "bill_share",
        description="how gross issuance is split across buckets",
    )
    bill_share: Share = Field("22%", description="target share of bills in debt (bill_share policy)")
    mix: Annotated[dict[str, Quantity], NameMap(BUCKETS, Share)] = Field(
        {"2y": "22%", "3y": "18%", "5y": "22%", "7y": "14%", "10y": "12%", "20y": "5%", "30y": "7%"},
        description="issuance shares: over coupon buckets (bill_share, short_first policies) or over all buckets "
        "(fixed_mix)",
    )

    @model_validator(mode="after")
    def _mix(self) -> Issuance:
        total = sum(q.value for q in self.mix.values())
        if self.policy == "fixed_mix":
            if abs(total - 1.0) > 1e-9:
                fail(
                    (
                        ("mix",),
                        f"shares sum to {total * 100:.6g}%; a fixed_mix covers every bucket including bills "
                        "and must sum to 100%",
                    )
                )
        elif "bills" in self.mix:
            fail(
                (
                    ("mix", "bills"),
                    f"bills take no share of the coupon mix under {self.policy}; the policy sets bill issuance",
                )
            )
        elif abs(total - 1.0) > 1e-9:
            fail((("mix",), f"coupon shares sum to {total * 100:.6g}%; expected 100%"))
        return self


@njit(cache=True, nogil=True)
def allocate(policy, target, mix, debt, bills, maturing, need, d_tga, lo, issued, gross):
    """Split gross issuance ``sum(maturing) + need`` (need: borrowing excluding the TGA change)
    by ``policy`` (index in POLICIES; ``target``: the bill share; ``mix``: shares by bucket)
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
    if policy == FIXED_MIX:
        for b in range(nb):
            m = mix[b]
            for p in range(B):
                issued[b, p] = m * gross[p]
    elif policy == SHORT_FIRST:  # coupons roll over; bills take the rest
        issued[0, :] = 0.0
        for b in range(1, nb):
            for p in range(B):
                issued[b, p] = maturing[b, p]
                issued[0, p] += maturing[b, p]
        for p in range(B):
            issued[0, p] = gross[p] - issued[0, p]
    else:  # bill share target after the step; coupons take the rest by the mix
        for p in range(B):
            new_bills = target * (debt[p] + need[p]) - (bills[p] - maturing[0, p])
            new_bills = min(max(new_bills, 0.0), max(gross[p], 0.0))
            issued[0, p] = new_bills
            gross[p] = gross[p] - new_bills
        for b in range(1, nb):
            m = mix[b]
            for p in range(B):
                issued[b, p] = m * gross[p]
    for p in range(B):
        issued[0, p] += d_tga[p]
    for b in range(nb):
        for p in range(B):
            short = lo[b, p] - issued[b, p]
            d_tga[p] = d_tga[p] + short if short > 0.0 else d_tga[p]
            issued[b, p] = lo[b, p] if short > 0.0 else issued[b, p]
