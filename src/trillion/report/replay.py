"""Published figures beside trillion's replay of them, with the difference and the basis of each.

A published training figure (``catalog/compare/published_training.csv``) is never shown alone next
to an estimate made on another basis. Each row pairs it with trillion's replay on the published
run's own terms where they are published:

- accelerator-hours: the training planner's expected hours for the run's published set-up (its
  cluster, precision, batch) against the published hours;
- energy and CO2e: the footprint model on the *published* accelerator-hours, on the published
  accelerator, at the published power basis, PUE, grid intensity and MFU where given, else
  trillion's (then the row says which inputs were trillion's: that is the reconciliation);
- cost: the published hours at trillion's price range for the accelerator.
"""

from __future__ import annotations

from typing import Any

from trillion.dist import Dist
from trillion.units import G_PER_T, J_PER_MWH


def _num(row: dict[str, str], key: str) -> float | None:
    return float(row[key]) if row.get(key, "").strip() else None


def replay_rows(
    pub: dict[str, str], plan: Any, region: str, price: Dist | None = None
) -> list[dict[str, Any]]:
    """Rows ``{quantity, unit, published, replay, difference, basis, source}`` for one published
    run `pub` (a published_training.csv row); `plan` is trillion's plan of the run (or None)."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.footprint.estimate import estimate_footprint
    from trillion.footprint.validation import power_model_error

    rows: list[dict[str, Any]] = []

    def add(quantity: str, unit: str, published: float, replay: dict[str, float], basis: str) -> None:
        rows.append({"quantity": quantity, "unit": unit, "published": published, "replay": replay,
                     "difference": replay["p50"] / published - 1, "basis": basis, "source": pub["source"]})  # fmt: skip

    hours = _num(pub, "accelerator_hours")
    acc = find_accelerator(pub["accelerator"])
    if hours and plan is not None and plan.fits:
        add("accelerator-hours", f"{acc.name}-hours", hours, plan.accelerator_hours,
            f"the training planner, expected, on {plan.cluster.name} ({plan.cluster.num_devices:,} devices)")  # fmt: skip
    if not hours:
        return rows
    power_w, pue, intensity, mfu = (_num(pub, k) for k in ("power_w", "pue", "g_co2e_per_kwh", "mfu"))
    kw: dict[str, Any] = {"region": region, "power_error": power_model_error()}
    basis = [f"the published {hours:,.0f} {acc.name}-hours"]
    ours = []
    if power_w:
        kw["power_w"] = Dist.point(power_w)
        basis.append(f"{power_w:g} W per device (published basis)")
    elif mfu:
        kw["mfu"] = mfu
        basis.append(f"trillion's power model at the published MFU {mfu:.1%}")
    else:
        ours.append("power (trillion's model, default activity)")
    if pue:
        kw["pue"] = Dist.point(pue)
        basis.append(f"PUE {pue:g} (published)")
    else:
        ours.append("PUE (trillion's range)")
    if intensity:
        kw["intensity"] = Dist.point(intensity)
        basis.append(f"{intensity:g} g CO2e/kWh (published)")
    else:
        ours.append(f"grid intensity ({region}; the run's is unpublished)")
    if price is not None:
        kw["price"] = price
    fp = estimate_footprint(acc, Dist.point(hours), **kw)
    how = "; ".join(basis) + (f"; trillion's: {', '.join(ours)}" if ours else "")
    energy = _num(pub, "energy_mwh")
    if energy:
        add("energy", "MWh", energy, {k: v / J_PER_MWH for k, v in fp.energy_j.items()}, how)
    tco2e = _num(pub, "tco2e")
    if tco2e:
        add(
            "CO2e, location-based",
            "t",
            tco2e,
            {k: v / G_PER_T for k, v in fp.co2e_g["location"].items()},
            how,
        )
    cost = _num(pub, "cost_usd")
    if cost and fp.cost_usd:
        add(
            "cost",
            "USD",
            cost,
            fp.cost_usd,
            f"the published {hours:,.0f} {acc.name}-hours at trillion's price range",
        )
    return rows
