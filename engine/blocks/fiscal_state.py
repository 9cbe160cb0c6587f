"""Indices of the fiscal/balance-sheet part of the per-path state (rows after the core state).

With the Treasury block on, every path carries these rows below the core state of
:mod:`engine.blocks.state`. Amounts are USD bn; flows are USD bn per year (annualised over the
last step); coupons and rates are decimals per year; durations are years.
"""
from .state import N_STATE as _CORE

BUCKETS = ("bills", "2y", "3y", "5y", "7y", "10y", "20y", "30y")
N_B = len(BUCKETS)
# original maturity of each bucket, years; bills are rolled at the 3-month yield
MATURITY = (0.25, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0)

_i = _CORE
NGDP = _i;             _i += 1   # nominal GDP, USD bn per year
TGA = _i;              _i += 1   # Treasury General Account at the Fed
DEBT0 = _i;            _i += N_B  # face of debt held by the public, by bucket
CPN0 = _i;             _i += N_B  # average coupon of each bucket
SOMA0 = _i;            _i += N_B  # Fed (SOMA) face holdings, by bucket
SCPN0 = _i;            _i += N_B  # average coupon of SOMA holdings, by bucket
GROSS0 = _i;           _i += N_B  # gross issuance by bucket (flow)
FOREIGN = _i;          _i += 1   # foreign official holdings
OTHER = _i;            _i += 1   # Fed's other assets (agency MBS and the rest)
RESERVES = _i;         _i += 1   # bank reserves (the balance-sheet residual)
RRP = _i;              _i += 1   # overnight reverse repo
CURRENCY = _i;         _i += 1   # currency in circulation
DEFERRED = _i;         _i += 1   # Fed's deferred asset (cumulative unremitted losses)
BTFP = _i;             _i += 1   # par-value lending facility balance
EP_LEFT = _i;          _i += 1   # emergency purchases still to make
EP_TIME = _i;          _i += 1   # years the emergency purchases still run (<= 0: not running)
EP_FIRED = _i;         _i += 1   # 1 once the emergency purchases have been triggered
BTFP_TIME = _i;        _i += 1   # years the lending facility still runs
BTFP_FIRED = _i;       _i += 1   # 1 once the facility has been triggered
DOWNGRADES = _i;       _i += 1   # rating downgrades so far
SUP_TP = _i;           _i += 1   # supply + downgrade part of the 10y term premium, decimal
SUP_CY = _i;           _i += 1   # supply + downgrade part of the 3m convenience yield, decimal
REVENUE = _i;          _i += 1   # revenue incl. Fed remittances (flow)
OUTLAYS = _i;          _i += 1   # non-interest outlays (flow)
INTEREST = _i;         _i += 1   # interest on debt held by the public (flow)
TGA_CHANGE = _i;       _i += 1   # change in the TGA (flow)
REMIT = _i;            _i += 1   # Fed remittances to the Treasury (flow)
FED_INCOME = _i;       _i += 1   # Fed net income before remittances (flow)
QT_RUNOFF = _i;        _i += 1   # SOMA redemptions not reinvested (flow)
QE_BUY = _i;           _i += 1   # SOMA purchases: QE and emergency purchases (flow)
BANK_LOSS = _i;        _i += 1   # banks' unrealized securities losses (positive = loss)
PRIV_DUR = _i;         _i += 1   # duration supply held privately, 10y equivalents / GDP (decimal)
PRIV_BILLS = _i;       _i += 1   # bills held privately / GDP (decimal)
N_FISCAL_STATE = _i

# Recorded fiscal variables (fans), in order, with their units.
RECORDED = (
    ("nominal_gdp", "usd_bn"), ("debt", "usd_bn"), ("debt_to_gdp", "pct"), ("net_interest", "usd_bn/yr"),
    ("net_interest_to_gdp", "pct"), ("net_interest_to_revenue", "pct"), ("net_interest_to_outlays", "pct"),
    ("deficit_to_gdp", "pct"), ("primary_deficit_to_gdp", "pct"), ("revenue_to_gdp", "pct"),
    ("average_interest_rate", "pct"), ("wam_years", "years"), ("bill_share", "pct"), ("tga", "usd_bn"),
) + tuple((f"gross_issuance_{b}", "usd_bn/yr") for b in BUCKETS) + (
    ("gross_issuance", "usd_bn/yr"),
    ("soma", "usd_bn"), ("fed_assets", "usd_bn"), ("reserves", "usd_bn"), ("on_rrp", "usd_bn"),
    ("fed_net_income", "usd_bn/yr"), ("remittances", "usd_bn/yr"), ("deferred_asset", "usd_bn"),
    ("qt_runoff", "usd_bn/yr"), ("fed_purchases", "usd_bn/yr"), ("btfp", "usd_bn"),
    ("foreign_official", "usd_bn"), ("bank_treasuries", "usd_bn"), ("other_private", "usd_bn"),
    ("bank_unrealized_loss", "usd_bn"), ("bank_loss_to_capital", "pct"), ("bank_stress", "share"),
    ("private_duration_to_gdp", "pct"), ("private_bills_to_gdp", "pct"),
    ("supply_term_premium_10y", "pct"), ("supply_convenience_yield_3m", "pct"), ("downgrades", "count"),
)
RECORDED_NAMES = tuple(n for n, _ in RECORDED)
RECORDED_UNITS = dict(RECORDED)
N_RECORDED = len(RECORDED)
R_GROSS0 = RECORDED_NAMES.index("gross_issuance_bills")
