"""Published rates on one footing with trillion's fits: every published doubling time, halving
time, decline factor or change over a period becomes a factor per year (y(t+1)/y(t)), with its
stated interval where it has one, so a fit can be set beside it and checked for agreement.

Agreement: trillion's P50 inside the published interval when one is stated, else the published
value inside trillion's 95% interval. A published figure with neither an interval nor a single
value per year (a one-off price cut, a value in one year) is not a rate and is listed, not compared.
"""

from __future__ import annotations

from typing import Any

from trillion.trends.fit import Fit


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def factor_per_year(row: dict[str, str], value: float) -> float | None:
    """One published figure (the row's quantity and unit, a value of it) as y's factor per year."""
    q, unit = row["quantity"], row["unit"]
    period = _num(row.get("period_years", ""))
    months = unit.startswith("month") or q.endswith("_months")
    if q.startswith("doubling_time") or q.startswith("halving_time"):
        years = value / 12 if months else value
        if years <= 0:
            return None
        return (2.0 if q.startswith("doubling") else 0.5) ** (1 / years)
    if q in ("decline_factor_per_year",):
        return 1 / value
    if q in ("growth_factor", "annual_improvement_factor", "algorithmic_efficiency_factor_per_year"):
        return value
    if q == "annual_improvement":
        return 1 + value
    if q == "annual_cost_decline":  # y is performance per dollar: a 30% cheaper FLOP is 1/0.7 more FLOP per $
        return 1 / (1 - value)
    if q in ("total_decline",) and period:
        return (1 - value) ** (1 / period)
    if q.startswith("change_") and period:
        return (1 + value) ** (1 / period)
    if q.startswith("change_per_year"):
        return 1 + value
    return None


def compare(fit: Fit, row: dict[str, str]) -> dict[str, Any] | None:
    """The published row beside `fit`: both as factors per year, and whether they agree (module
    docstring); None when the row is not a rate."""
    value, low, high = (_num(row[k]) for k in ("published_value", "low", "high"))
    pub = factor_per_year(row, value) if value is not None else None
    ends = [e for e in (factor_per_year(row, v) for v in (low, high) if v is not None) if e is not None]
    if pub is None and len(ends) < 2:
        return None
    ours = fit.factor_per_year()
    lo: float | None
    hi: float | None
    if len(ends) == 2:
        lo, hi = sorted(ends)
        agrees = lo <= ours["p50"] <= hi
        rule = "trillion's P50 inside the published interval"
    else:
        lo = hi = None
        assert pub is not None
        agrees = ours["low"] <= pub <= ours["high"]
        rule = "the published value inside trillion's 95% interval"
    return {
        "trend": row["trend"], "quantity": row["quantity"], "published": row["published_value"],
        "published_low": row["low"], "published_high": row["high"], "unit": row["unit"],
        "published_factor_per_year": pub, "published_factor_low": lo, "published_factor_high": hi,
        "trillion_factor_per_year": ours, "agrees": bool(agrees), "rule": rule,
        "basis": row["basis"], "source": row["source"],
    }  # fmt: skip
