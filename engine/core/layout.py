"""The per-path state vector and the other array layouts shared by the blocks, the kernel and
the reduction, derived from :mod:`engine.registry` (compile-time constants for numba).

The state of a block of paths is a (rows x paths) array. Its rows, in order: every recorded core
row (so a record of the core state is a copy of the first ``N_REC`` rows), the internal core
rows, then the plumbing blocks' rows (when one of them is on or the Treasury block is), then,
with the Treasury block on, the fiscal blocks' rows. All rates are decimals per
year; amounts USD bn; flows USD bn per year.
"""

from __future__ import annotations

from ..registry import BLOCKS, BUCKETS, COMPONENTS, CORE_INTERNAL, EVENT_TARGETS, MATURITY, SHOCKS, Row

BLOCK_PATHS = 256  # paths per block, the unit of random streams (measured 1.5x faster per path-step than 1024)
N_B = len(BUCKETS)


def _names(row: Row) -> list[str]:
    return [f"{row.name}_{b}" for b in BUCKETS] if row.buckets else [row.name]


def _layout() -> tuple[list[tuple[str, Row]], int]:
    core = [(b.name, r) for b in BLOCKS if b.group == "core" for r in b.rows]
    recorded = [(blk, r) for blk, r in core if r.fan is not None]
    internal = [(blk, r) for blk, r in core if r.fan is None] + list(CORE_INTERNAL)
    plumbing = [(b.name, r) for b in BLOCKS if b.group == "plumbing" for r in b.rows]
    fiscal = [(b.name, r) for b in BLOCKS if b.group == "fiscal" for r in b.rows]
    return recorded + internal + plumbing + fiscal, len(recorded + internal)


_ROWS, N_STATE = _layout()
#: rows of the state with the plumbing blocks (the core rows, then theirs)
N_PLUMBING_STATE = N_STATE + sum(1 for b in BLOCKS if b.group == "plumbing" for r in b.rows)
#: state row index of every row name (bucket rows as ``<name>_<bucket>``)
ROW: dict[str, int] = {}
ROW_BLOCK: dict[str, str] = {}
for _blk, _row in _ROWS:
    for _n in _names(_row):
        ROW[_n] = len(ROW)
        ROW_BLOCK[_n] = _blk
N_FULL_STATE = len(ROW)  # with the fiscal blocks' rows
N_REC = sum(1 for _, r in _ROWS[:N_STATE] if r.fan is not None)  # recorded core rows: the first ones
#: names of the recorded core rows (``cum_rate`` is shown as the discount factor exp(-cum_rate))
REC_NAMES = tuple(str(r.fan) for _, r in _ROWS[:N_REC])

# core rows (compile-time constants)
GAP, INFL, INFL_EXP, RSTAR = ROW["output_gap"], ROW["inflation"], ROW["inflation_expectations"], ROW["neutral_rate"]
STANCE, SHADOW, POLICY, CUM_RATE = ROW["policy_stance"], ROW["shadow_rate"], ROW["policy_rate"], ROW["cum_rate"]
CYCLE = ROW["policy_cycle"]
TP, IRP, CY = ROW["term_premium"], ROW["inflation_risk_premium"], ROW["convenience_yield"]
WEDGE, FIRE, JUMP_THR = ROW["liquidity_wedge"], ROW["fire_sale"], ROW["jump_threshold"]
BILL, VOLREG = ROW["bill_wedge"], ROW["volatility_regime"]
#: the states the expected short-rate path depends on, in the order of the curve's coefficients
X_STATES = (GAP, INFL, INFL_EXP, RSTAR, STANCE, SHADOW)

# fiscal rows: first row of each bucket array, and single rows
NGDP, TGA, DEBT0, CPN0, GROSS0 = (
    ROW["nominal_gdp"],
    ROW["tga"],
    ROW["debt_bills"],
    ROW["coupon_bills"],
    ROW["gross_bills"],
)
REVENUE, OUTLAYS, INTEREST, TGA_CHANGE = ROW["revenue"], ROW["outlays"], ROW["interest"], ROW["tga_change"]
SOMA0, SCPN0, OTHER, RESERVES, RRP = (
    ROW["soma_bills"],
    ROW["soma_coupon_bills"],
    ROW["other_assets"],
    ROW["reserves"],
    ROW["rrp"],
)
CURRENCY, DEFERRED, REMIT, FED_INCOME = ROW["currency"], ROW["deferred_asset"], ROW["remittances"], ROW["fed_income"]
QT_RUNOFF, QE_BUY = ROW["qt_runoff"], ROW["fed_purchases"]
BTFP, EP_LEFT, EP_TIME, EP_FIRED = ROW["btfp"], ROW["ep_left"], ROW["ep_time"], ROW["ep_fired"]
BTFP_TIME, BTFP_FIRED = ROW["btfp_time"], ROW["btfp_fired"]
FOREIGN, BANK_LOSS, DOWNGRADES = ROW["foreign_official"], ROW["bank_loss"], ROW["downgrades"]
SUP_TP, SUP_CY, PRIV_DUR, PRIV_BILLS = (
    ROW["supply_term_premium"],
    ROW["supply_convenience_yield"],
    ROW["private_duration"],
    ROW["private_bills"],
)

# Gaussian shocks, in draw order
SHOCK_NAMES = tuple(s.name for s in SHOCKS)
N_SHOCK = len(SHOCKS)

# Random sources: each draws from its own stream per block of paths (engine.core.sampling), so
# scenarios that differ in events, parameters or in which blocks are on share every common
# source's draws path by path. Source i < N_SHOCK is Gaussian shock i; then the jump processes
# and the plumbing's draws. A source's stream is keyed by its name: append, never rename.
SOURCE_NAMES = (*SHOCK_NAMES, "term_premium.jumps", "stablecoins.cap", "stablecoins.runs")
N_SOURCE = len(SOURCE_NAMES)
SRC_JUMPS, SRC_STABLECOIN_CAP, SRC_STABLECOIN_RUNS = N_SHOCK, N_SHOCK + 1, N_SHOCK + 2
SH = {s.name: i for i, s in enumerate(SHOCKS)}
SH_GAP, SH_INFL, SH_INFL_EXP, SH_RSTAR = (
    SH["output_gap"],
    SH["inflation"],
    SH["inflation_expectations"],
    SH["neutral_rate"],
)
SH_POLICY, SH_STANCE, SH_TP, SH_IRP, SH_CY = (
    SH["policy_rate"],
    SH["policy_stance"],
    SH["term_premium"],
    SH["inflation_risk_premium"],
    SH["convenience_yield"],
)
SH_VOL, SH_CYCLE = SH["volatility_regime"], SH["policy_cycle"]
#: the shocks the volatility regime scales (engine.blocks.volatility)
REGIME_SHOCKS = tuple(i for i, s in enumerate(SHOCKS) if s.regime)

# yield components: the curve adds sign x loading x (factor + overlay) in this order
N_COMP = len(COMPONENTS)
COMP_ROW = tuple(ROW[c.row] for c in COMPONENTS)
COMP_SIGN = tuple(c.sign for c in COMPONENTS)
#: event targets (row moved by a level shock) and which of them take decaying overlays (column)
EVENT_ROW = {name: ROW[name] for name in EVENT_TARGETS}
#: the row of a level event that marks a decision (a policy_rate shock with ``sets_target``);
#: engine.blocks.policy.adopt_decisions turns it into a level shock to the policy stance
SETS_TARGET = -1
OVERLAY_COLUMN = {c.row: j for j, c in enumerate(COMPONENTS)}

# per-path metrics of each recorded tenor, kept by the kernel at every step
MET_RISE, MET_FALL, MET_RISE_W, MET_FALL_W, MET_SUMSQ, MET_PEAK, MET_TROUGH = range(7)
N_MET = 7

# recorded fiscal variables, after the core records: every fiscal block's outputs in order
FISCAL_OUTPUTS = tuple((o.name, o.unit) for b in BLOCKS if b.group == "fiscal" for o in b.outputs)
FISCAL_NAMES = tuple(n for n, _ in FISCAL_OUTPUTS)
FISCAL_UNITS = dict(FISCAL_OUTPUTS)
#: first recorded row (after the core records) of each fiscal block's outputs
OUT0 = {}
_k = N_REC
for _b in BLOCKS:
    if _b.group == "fiscal":
        OUT0[_b.name] = _k
        _k += len(_b.outputs)
#: recorded plumbing variables, after the core and (if on) the fiscal records; their first row is
#: known at run time only (engine.core.bundles.Plumbing.rec0), so offsets here are relative
PLUMBING_OUTPUTS = tuple((o.name, o.unit) for b in BLOCKS if b.group == "plumbing" for o in b.outputs)
PLUMBING_NAMES = tuple(n for n, _ in PLUMBING_OUTPUTS)
PLUMBING_UNITS = dict(PLUMBING_OUTPUTS)
PLUMBING_METRICS = tuple(o.name for b in BLOCKS if b.group == "plumbing" for o in b.outputs if o.metric)
#: the block of each plumbing output
PLUMBING_BLOCK = {o.name: b.name for b in BLOCKS if b.group == "plumbing" for o in b.outputs}
OUTP = {}
_k = 0
for _b in BLOCKS:
    if _b.group == "plumbing":
        OUTP[_b.name] = _k
        _k += len(_b.outputs)
del _k, _b, _blk, _row, _n

__all__ = ["BLOCK_PATHS", "BUCKETS", "MATURITY", "N_B", "N_FULL_STATE", "N_REC", "N_STATE", "REC_NAMES", "ROW"]
