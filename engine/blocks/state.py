"""Indices of the per-path state vector and of the model's shocks (compile-time constants).

All rates are decimals per year (0.0414 = 4.14%).
"""
GAP = 0          # output gap, decimal of potential GDP
INFL = 1         # inflation (core PCE y/y), decimal
INFL_EXP = 2     # long-run inflation expectations, decimal
RSTAR = 3        # neutral real rate r*, decimal
SHADOW = 4       # shadow policy rate (the rule's rate, not floored), decimal
POLICY = 5       # policy rate (fed funds) actually set, decimal
TP = 6           # 10y term-premium factor, decimal
IRP = 7          # 10y inflation-risk-premium factor, decimal
CY = 8           # 3m convenience-yield factor, decimal
WEDGE = 9        # 10y supply/liquidity wedge factor, decimal
FIRE = 10        # 10y fire-sale dislocation factor, decimal
CUM_RATE = 11    # integral of the policy rate since start (years x decimal); discount = exp(-x)
STANCE = 12      # policy stance: discretionary deviation of the Fed's target from the rule, decimal
JUMP_THR = 13    # next term-premium jump threshold in integrated intensity (internal)
N_STATE = 14

STATE_NAMES = ("output_gap", "inflation", "inflation_expectations", "neutral_rate", "policy_stance",
               "shadow_rate", "policy_rate", "term_premium", "inflation_risk_premium", "convenience_yield",
               "liquidity_wedge", "fire_sale", "cum_rate")

# Gaussian shocks, in the order used by the correlation matrix.
SHOCKS = ("output_gap", "inflation", "inflation_expectations", "neutral_rate", "policy_rate",
          "term_premium", "inflation_risk_premium", "convenience_yield", "policy_stance")
N_SHOCK = len(SHOCKS)
SH_GAP, SH_INFL, SH_INFL_EXP, SH_RSTAR, SH_POLICY, SH_TP, SH_IRP, SH_CY, SH_STANCE = range(N_SHOCK)

# State a named event shock moves (level shocks add to it).
EVENT_TARGETS = {
    "output_gap": GAP, "inflation": INFL, "inflation_expectations": INFL_EXP, "neutral_rate": RSTAR,
    "policy_stance": STANCE, "policy_rate": POLICY, "term_premium": TP, "inflation_risk_premium": IRP,
    "convenience_yield": CY, "liquidity_wedge": WEDGE, "fire_sale": FIRE,
}
# Additive yield components: these may also take shocks that decay with a half-life (overlays).
OVERLAY_STATES = (TP, IRP, CY, WEDGE, FIRE)
N_OVERLAY = len(OVERLAY_STATES)
