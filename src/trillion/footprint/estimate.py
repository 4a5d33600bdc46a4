"""Energy, carbon, water and money of accelerator time, with P10/P50/P90 and every assumption.

Conventions (each figure in the output names its own):
- units: computed in joules, grams of CO2e, litres and USD (device time in device-hours, as
  prices and service lives are quoted); `Footprint.to_dict` converts to MWh, t CO2e and m3 for
  display, at the edge.
- energy: IT energy = devices x hours x IT power per device (`trillion.footprint.power`);
  facility energy = IT energy x PUE. ``energy_j`` (``energy_mwh`` in the JSON) is facility energy.
- carbon, location-based: facility energy x the grid's average intensity (GHG Protocol Scope 2
  location method); market-based: the same energy x a contract intensity or x (1 - renewable
  share); without either, market-based equals location-based (no instrument claimed).
- embodied: manufacturing carbon of accelerators (by the chosen method) and their server's share,
  allocated by device-hours over a service life (Luccioni et al. 2023; Morrison et al. 2025).
- water: on-site WUE x IT energy + off-site EWIF x facility energy (Li et al. 2023,
  E * [WUE_onsite + PUE * WUE_offsite]).
- money: cloud price x device-hours, or owned hardware: capex / service life x device-hours +
  electricity price x facility energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from trillion.dist import SAMPLES, Dist, percentiles
from trillion.errors import InputError
from trillion.footprint import data
from trillion.footprint.power import PowerSamples, activity_from_mfu, default_activity, power_samples
from trillion.spec.hardware import Accelerator
from trillion.units import G_PER_T, J_PER_KWH, J_PER_MWH, L_PER_M3

HOURS_PER_YEAR = 8766.0  # 365.25 days

PUE_DEFAULT = Dist(
    1.08,
    1.17,
    1.58,
    "pue.csv: Meta fleet 1.08 (2023) to the Uptime Institute industry average 1.58 (2023), most"
    " likely Microsoft's fleet 1.17 (FY2025)",
)
WUE_DEFAULT = Dist(
    0.15,
    0.27,
    1.8,
    "wue.csv: AWS 0.15 (2024) to the industry average ~1.8 L/kWh (GreenBiz), most likely Microsoft's"
    " fleet 0.27 (FY2025)",
)
OFFSITE_DEFAULT = Dist.uniform(
    1.29,
    3.10,
    "water_offsite.csv: the two grids Morrison et al. 2025 used (Austin Energy 1.29, Iowa 3.10 L/kWh,"
    " after Reig et al. 2020); no figure for this region",
)
INTENSITY_SPREAD = 0.10  # +-10%: an annual average stands for the run's actual hours
LIFETIME_DEFAULT = Dist(3.0, 4.0, 5.0, "service life: EcoLogits 3 y, Morrison et al. 2025 4 y, LLMCarbon 5 y")
EMBODIED_PREFERENCE = ("boavizta", "vendor", "hubblo", "component", "ecologits", "bloom", "die")
EMBODIED_METHODS = (*EMBODIED_PREFERENCE, "node", "all")
# methods whose scope already covers the host (or that count the die only): no server share added
_NO_SERVER_SHARE = {"die", "component", "node"}


@dataclass(frozen=True, slots=True)
class PowerError:
    """The power model's own error: a log-normal factor (median 1) on modelled system power, with
    sigma measured leave-one-out on runs with known energy (`trillion.footprint.validation`)."""

    sigma: float
    runs: int
    names: str


def _display(p: dict[str, float], k: float) -> dict[str, float]:
    return {q: v / k for q, v in p.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class Footprint:
    """One footprint estimate in SI units: joules, grams of CO2e, litres, USD; device time in
    device-hours. Each ``dict`` of percentiles has keys p10/p50/p90."""

    accelerator: str
    device_hours: dict[str, float]
    it_energy_j: dict[str, float]
    energy_j: dict[str, float]  # facility (IT x PUE)
    energy_breakdown_j: dict[str, float]  # P50 of each part
    co2e_g: dict[str, dict[str, float]]  # location, market, embodied, total_location
    embodied_by_method_g: dict[str, float]
    water_l: dict[str, Any]  # p10/p50/p90 of on-site + off-site, and each
    cost_usd: dict[str, float] | None
    cost_usd_per_million_tokens: dict[str, float] | None
    power_basis: str
    assumptions: list[dict[str, str]] = field(default_factory=list)
    # the Monte Carlo draws behind the percentiles (same order across keys), for derived figures
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, in display units (MWh, t CO2e, m3) named in each key."""
        water = {
            k: (_display(v, L_PER_M3) if isinstance(v, dict) else v / L_PER_M3)
            for k, v in self.water_l.items()
        }
        return {
            "accelerator": self.accelerator,
            "device_hours": self.device_hours,
            "it_energy_mwh": _display(self.it_energy_j, J_PER_MWH),
            "energy_mwh": {
                **_display(self.energy_j, J_PER_MWH),
                "basis": "facility (IT x PUE)",
                "breakdown_p50": _display(self.energy_breakdown_j, J_PER_MWH),
            },
            "co2e_t": {
                **{k: _display(v, G_PER_T) for k, v in self.co2e_g.items()},
                "embodied_by_method_p50": _display(self.embodied_by_method_g, G_PER_T),
            },
            "water_m3": water,
            "cost_usd": self.cost_usd,
            "cost_usd_per_million_tokens": self.cost_usd_per_million_tokens,
            "power_basis": self.power_basis,
            "assumptions": self.assumptions,
        }


def _samples(x: Dist | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if isinstance(x, Dist):
        return x.sample(rng, SAMPLES)
    arr = np.asarray(x, dtype=float).ravel()
    if arr.shape[0] != SAMPLES:
        arr = rng.choice(arr, SAMPLES)
    return arr


def _note(out: list[dict[str, str]], name: str, dist: Dist, unit: str) -> None:
    out.append({"name": name, "value": dist.label(unit), "source": dist.source})


def _embodied(
    acc: Accelerator, method: str, rng: np.random.Generator, out: list[dict[str, str]]
) -> tuple[np.ndarray, dict[str, float]]:
    """Embodied kg CO2e per device (samples) for `method`, and the median kg of every method."""
    rows = data.embodied_rows(acc.name)
    node_row = data.embodied_node_row()
    server, proxy = data.embodied_server_row(acc.name)
    server_kg = float(server["kg_co2e"]) / int(server["devices_per_server"])
    by_method: dict[str, float] = {}
    for r in rows:
        kg = float(r["kg_co2e"]) + (0.0 if r["method_id"] in _NO_SERVER_SHARE else server_kg)
        by_method.setdefault(r["method_id"], kg)
    by_method["node"] = float(node_row["kg_co2e"]) / int(node_row["devices_per_server"])
    if method == "all":
        lo, hi = min(by_method.values()), max(by_method.values())
        dist = Dist.uniform(lo, hi, "spread of every method in embodied_carbon.csv for this device")
        _note(out, "embodied carbon per device (all methods)", dist, "kg CO2e")
        return dist.sample(rng, SAMPLES), by_method
    if method == "default":
        method = next((m for m in EMBODIED_PREFERENCE if m in by_method), "node")
    if method not in by_method:
        have = ", ".join(sorted(by_method))
        raise InputError("embodied_method", None, f"no {method!r} estimate for {acc.name} (has: {have})")
    src_rows = [r for r in rows if r["method_id"] == method] or [node_row]
    text = f"{src_rows[0]['item']}: {src_rows[0]['source']}"
    if method not in _NO_SERVER_SHARE:
        text += (
            f"; plus 1/{server['devices_per_server']} of {server['item']} ({server_kg:.0f} kg)"
            + (f", a proxy: no host published for {acc.name}" if proxy else "")
            + f": {server['source']}"
        )
    out.append(
        {
            "name": f"embodied carbon per device ({method})",
            "value": f"{by_method[method]:.0f} kg CO2e",
            "source": text,
        }
    )
    return np.full(SAMPLES, by_method[method]), by_method


def estimate_footprint(
    acc: Accelerator,
    device_hours: Dist | np.ndarray,
    *,
    activity: Dist | np.ndarray | None = None,
    mfu: float | None = None,
    region: str = "World",
    year: int | None = None,
    intensity: Dist | None = None,
    pue: Dist | None = None,
    wue: Dist | None = None,
    water_offsite: Dist | None = None,
    renewable_share: Dist | None = None,
    market_intensity: Dist | None = None,
    ownership: Literal["cloud", "owned"] = "cloud",
    price: Dist | None = None,
    capex_usd: Dist | None = None,
    electricity_usd_per_kwh: Dist | None = None,
    embodied_method: str = "default",
    lifetime_years: Dist | None = None,
    power_w: Dist | None = None,
    accelerator_w: np.ndarray | None = None,
    tokens: float | None = None,
    exclude_runs: tuple[str, ...] = (),
    power_error: PowerError | None = None,
    seed: int = 0,
) -> Footprint:
    """Footprint of `device_hours` (samples or a distribution) on accelerator `acc`.

    Activity comes from `activity` (samples, e.g. a plan's phases), else from a known `mfu`, else
    a default range. Units: hours, W, g CO2e/kWh, L/kWh, USD per device-hour, USD per kWh, years; `tokens` (for the
    cost per million tokens) is a count. Pass `exclude_runs` to keep measured runs out of the power
    model (leave-one-out validation). `power_error` (measured by `trillion.footprint.validation`,
    passed in by the callers above this module) widens modelled power, not a given `power_w` or
    `accelerator_w`, by the model's own error.
    """
    if ownership not in ("cloud", "owned"):
        raise InputError("ownership", None, f"must be cloud or owned, got {ownership!r}")
    if embodied_method not in (*EMBODIED_METHODS, "default"):
        raise InputError(
            "embodied_method",
            None,
            f"must be one of {', '.join(EMBODIED_METHODS)}, got {embodied_method!r}",
        )
    rng = np.random.default_rng(seed)
    out: list[dict[str, str]] = []
    hours = _samples(device_hours, rng)
    if activity is not None:
        act = _samples(activity, rng)
    elif mfu is not None:
        if not 0 < mfu <= 1:
            raise InputError("mfu", None, f"must be in (0, 1], got {mfu}")
        act = activity_from_mfu(acc, mfu, rng, out)
    else:
        from trillion.footprint.power import ACTIVITY_DEFAULT

        act = default_activity(rng)
        _note(out, "activity (share of time at training intensity)", ACTIVITY_DEFAULT, "")
    power = power_samples(
        acc,
        act,
        rng,
        exclude_runs=exclude_runs,
        given_w=power_w,
        accelerator_w=accelerator_w,
        assumptions=out,
    )
    if power_error is not None and power_w is None and accelerator_w is None:
        power = _with_model_error(power, power_error, rng, out)

    pue = pue or PUE_DEFAULT
    _note(out, "PUE", pue, "")
    pue_s = pue.sample(rng, SAMPLES)
    it_j = hours * 3600 * power.total_w
    fac_j = it_j * pue_s
    fac_kwh = fac_j / J_PER_KWH

    if intensity is None:
        row = data.grid_intensity(region, year)
        spread = Dist.uniform(
            row.g_per_kwh * (1 - INTENSITY_SPREAD),
            row.g_per_kwh * (1 + INTENSITY_SPREAD),
            f"{row.region_name} ({row.region_id}) {row.year}: {row.g_per_kwh:g} g/kWh, {row.method}"
            f" [{row.gas_scope}]; {row.source}; +-{INTENSITY_SPREAD:.0%} for the run's hours vs the annual mean",
        )
        intensity = spread
        region_id = row.region_id
    else:
        region_id = region
    _note(out, "grid intensity (location-based)", intensity, "g CO2e/kWh")
    g_s = intensity.sample(rng, SAMPLES)
    location_g = fac_kwh * g_s
    if market_intensity is not None:
        _note(out, "market-based intensity (contracts)", market_intensity, "g CO2e/kWh")
        market_g = fac_kwh * market_intensity.sample(rng, SAMPLES)
    elif renewable_share is not None:
        _note(out, "renewable share claimed (market-based)", renewable_share, "")
        market_g = location_g * (1 - renewable_share.sample(rng, SAMPLES))
    else:
        out.append(
            {
                "name": "market-based",
                "value": "= location-based",
                "source": "no contract or renewable share given",
            }
        )
        market_g = location_g

    life = lifetime_years or LIFETIME_DEFAULT
    _note(out, "hardware service life", life, "years")
    kg_dev, by_method = _embodied(acc, embodied_method, rng, out)
    share = hours / (life.sample(rng, SAMPLES) * HOURS_PER_YEAR)
    embodied_g = kg_dev * 1000 * share
    embodied_by_method = {m: float(np.median(kg * 1000 * share)) for m, kg in sorted(by_method.items())}

    wue = wue or WUE_DEFAULT
    _note(out, "on-site water (WUE, per IT kWh)", wue, "L/kWh")
    if water_offsite is None:
        w_row = data.water_offsite(region_id)
        water_offsite = Dist.point(float(w_row["l_per_kwh"]), w_row["source"]) if w_row else OFFSITE_DEFAULT
    _note(out, "off-site water (per kWh generated)", water_offsite, "L/kWh")
    onsite_l = it_j / J_PER_KWH * wue.sample(rng, SAMPLES)
    offsite_l = fac_kwh * water_offsite.sample(rng, SAMPLES)

    cost = _cost(acc, hours, fac_kwh, ownership, price, capex_usd, electricity_usd_per_kwh, life, rng, out)

    breakdown = {
        "accelerators": float(np.median(hours * 3600 * power.accelerator_w)),
        "hosts": float(np.median(hours * 3600 * power.host_w)),
        "network": float(np.median(hours * 3600 * power.network_w)),
        "facility_overhead": float(np.median(fac_j - it_j)),
    }
    return Footprint(
        accelerator=acc.name,
        device_hours=percentiles(hours),
        it_energy_j=percentiles(it_j),
        energy_j=percentiles(fac_j),
        energy_breakdown_j=breakdown,
        co2e_g={
            "location": percentiles(location_g),
            "market": percentiles(market_g),
            "embodied": percentiles(embodied_g),
            "total_location": percentiles(location_g + embodied_g),
        },
        embodied_by_method_g=embodied_by_method,
        water_l={
            **percentiles(onsite_l + offsite_l),
            "onsite": percentiles(onsite_l),
            "offsite": percentiles(offsite_l),
        },
        cost_usd=percentiles(cost) if cost is not None else None,
        cost_usd_per_million_tokens=(
            percentiles(cost / tokens * 1e6) if cost is not None and tokens else None
        ),
        power_basis=power.basis,
        assumptions=out,
        samples={
            "energy_j": fac_j,
            "co2e_location_g": location_g,
            **({"cost_usd": cost} if cost is not None else {}),
        },
    )


def _with_model_error(
    power: PowerSamples, error: PowerError, rng: np.random.Generator, out: list[dict[str, str]]
) -> PowerSamples:
    """`power` times a log-normal factor (median 1) whose sigma is the power model's measured
    leave-one-out error."""
    if error.sigma == 0.0:
        return power
    factor = np.exp(rng.normal(0.0, error.sigma, SAMPLES))
    z90 = 1.2816  # standard normal quantile at 0.9: the factor's P10-P90 is exp(-+z90 sigma)
    out.append(
        {
            "name": "power model error (log-normal factor on system power)",
            "value": f"sigma {error.sigma:.3f} (P10-P90 x{math.exp(-z90 * error.sigma):.2f}-{math.exp(z90 * error.sigma):.2f})",
            "source": f"root mean square of ln(measured / predicted) over {error.runs} runs with measured energy, each"
            f" predicted leave-one-out ({error.names}; measured_power.csv)",
        }
    )
    return PowerSamples(
        power.accelerator_w * factor, power.host_w * factor, power.network_w * factor, power.basis
    )


def _cost(
    acc: Accelerator,
    hours: np.ndarray,
    fac_kwh: np.ndarray,
    ownership: str,
    price: Dist | None,
    capex_usd: Dist | None,
    electricity: Dist | None,
    life: Dist,
    rng: np.random.Generator,
    out: list[dict[str, str]],
) -> np.ndarray | None:
    if ownership == "owned":
        if capex_usd is None or electricity is None:
            raise InputError(
                "ownership",
                None,
                "owned hardware needs --capex (USD per device) and --electricity-price (USD/kWh)",
            )
        _note(out, "capex per device (incl. its server share)", capex_usd, "USD")
        _note(out, "electricity price", electricity, "USD/kWh")
        per_hour = capex_usd.sample(rng, SAMPLES) / (life.sample(rng, SAMPLES) * HOURS_PER_YEAR)
        return per_hour * hours + electricity.sample(rng, SAMPLES) * fac_kwh
    if price is None:
        rows = data.prices(acc.name)
        if not rows:
            out.append(
                {"name": "price", "value": "none", "source": f"no shipped price for {acc.name}: pass --price"}
            )
            return None
        values = [float(r["usd_per_device_hour"]) for r in rows]
        cites = "; ".join(
            f"{r['provider']} {r['kind']} {r['date']} ${float(r['usd_per_device_hour']):.2f}: {r['source']}"
            for r in rows
        )
        price = (
            Dist.point(values[0], cites)
            if len(values) == 1
            else Dist.uniform(min(values), max(values), cites)
        )
    _note(out, "price per device-hour (cloud)", price, "USD")
    return price.sample(rng, SAMPLES) * hours
