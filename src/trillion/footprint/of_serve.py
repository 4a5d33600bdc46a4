"""The footprint of a serving plan: its device time per output token, priced like any other.

The serving plan (`trillion.serve.plan`) ends at device-seconds per output token and the
accelerators' power at its operating point (the serving model, fitted on ML.ENERGY). Here that
device time becomes IT and facility energy (host share, network, PUE), carbon, water and money
through `estimate_footprint`, per output token and per query (``output`` tokens; prefill is
inside the time per output token). The accelerator power is the serving model's, so the power
model's own error is not added (`power_error` is for modelled training power).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trillion.dist import Dist
from trillion.errors import InputError
from trillion.footprint.estimate import estimate_footprint
from trillion.serve.plan import ServePlan
from trillion.spec.hardware import Accelerator

TOKENS = 1e6  # the block of output tokens priced (costs are quoted per million tokens)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServingFootprint:
    """Per output token and per query, in SI units (J, g CO2e, L) and USD; P10/P50/P90 dicts."""

    energy_j_per_output_token: dict[str, float]  # P50 of accelerators, IT, facility
    energy_j_per_query: dict[str, float]  # facility
    co2e_g_per_query: dict[str, float]  # location-based
    water_l_per_query: dict[str, float]
    cost_usd_per_million_tokens: dict[str, float] | None
    cost_usd_per_query: dict[str, float] | None
    assumptions: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, in display units named in each key (Wh, g, mL per query)."""
        return {
            "energy_j_per_output_token": self.energy_j_per_output_token,
            "energy_wh_per_query": {k: v / 3600 for k, v in self.energy_j_per_query.items()},
            "co2e_g_per_query": self.co2e_g_per_query,
            "water_ml_per_query": {k: v * 1000 for k, v in self.water_l_per_query.items()},
            "cost_usd_per_million_tokens": self.cost_usd_per_million_tokens,
            "cost_usd_per_query": self.cost_usd_per_query,
        }


def footprint_of_serving(plan: ServePlan, acc: Accelerator, **kwargs: Any) -> ServingFootprint:
    """Energy, carbon, water and cost of serving with `plan` on `acc` (keyword arguments as
    `estimate_footprint`: region, pue, price, ...)."""
    if not plan.fits:
        raise InputError("plan", None, f"does not fit, so no footprint: {plan.reason}")
    fp = estimate_footprint(
        acc,
        Dist.point(plan.device_s_per_output_token * TOKENS / 3600),
        activity=np.full(1, plan.activity),
        accelerator_w=np.asarray([plan.accelerator_w]),
        tokens=TOKENS,
        **kwargs,
    )
    per_query = plan.output / TOKENS  # share of the priced block one query's output tokens are

    def scaled(p: dict[str, float], k: float) -> dict[str, float]:
        return {q: p[q] * k for q in ("p10", "p50", "p90")}

    return ServingFootprint(
        energy_j_per_output_token={
            "accelerators": plan.accelerator_j_per_output_token,
            "it": fp.it_energy_j["p50"] / TOKENS,
            "facility": fp.energy_j["p50"] / TOKENS,
        },
        energy_j_per_query=scaled(fp.energy_j, per_query),
        co2e_g_per_query=scaled(fp.co2e_g["location"], per_query),
        water_l_per_query=scaled(fp.water_l, per_query),
        cost_usd_per_million_tokens=fp.cost_usd,
        cost_usd_per_query=scaled(fp.cost_usd, per_query) if fp.cost_usd else None,
        assumptions=fp.assumptions,
    )


HOURS_PER_YEAR = 8760.0


def annual_footprint_of_serving(
    plan: ServePlan, acc: Accelerator, queries_per_day: float, **kwargs: Any
) -> dict[str, Any]:
    """A year of serving `queries_per_day` with the fleet `plan` sized (``plan.load``): every device
    of the fleet powered all year (a provisioned fleet costs and idles whether or not it is busy),
    the accelerators' mean power between idle and the operating point in proportion to the load's
    utilisation; priced through `estimate_footprint` (keyword arguments as there). Returns the
    JSON form: devices, accelerator-hours, facility MWh, t CO2e (location), m3 water, USD,
    each P10/P50/P90, and the same per query."""
    from trillion.catalog.hardware import IDLE_OF_TDP

    if not plan.fits or not plan.load:
        raise InputError("plan", None, "needs a fitted plan under load (give --qps or --queries-per-day)")
    tdp = acc.tdp_w or 0.0
    idle = IDLE_OF_TDP.median * tdp
    busy = min(1.0, float(plan.load["utilisation"]))
    mean_w = idle + (plan.accelerator_w - idle) * busy
    activity = plan.activity * busy
    hours = plan.devices * HOURS_PER_YEAR
    queries = queries_per_day * 365.0
    fp = estimate_footprint(acc, Dist.point(hours), activity=np.full(1, activity), accelerator_w=np.asarray([mean_w]),
                            tokens=queries * plan.output, **kwargs)  # fmt: skip

    def per_year(p: dict[str, float] | None, scale: float) -> dict[str, float] | None:
        return {q: p[q] * scale for q in ("p10", "p50", "p90")} if p else None

    return {
        "queries_per_day": queries_per_day, "devices": plan.devices, "accelerator_hours": hours,
        "utilisation": busy, "accelerator_w_mean": mean_w,
        "energy_mwh": per_year(fp.energy_j, 1 / 3.6e9), "co2e_t": per_year(fp.co2e_g["location"], 1e-6),
        "water_m3": per_year(fp.water_l, 1e-3), "cost_usd": per_year(fp.cost_usd, 1.0),
        "energy_wh_per_query": per_year(fp.energy_j, 1 / 3600 / queries),
        "cost_usd_per_query": per_year(fp.cost_usd, 1 / queries),
        "assumptions": fp.assumptions + [{"name": "fleet year", "value": f"{plan.devices} devices x {HOURS_PER_YEAR:.0f} h, "
                                          f"busy {busy:.0%} of capacity at the mean rate", "source": "trillion (provisioned fleet)"}],
    }  # fmt: skip
