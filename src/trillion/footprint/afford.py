"""What a budget buys: the largest compute-optimal model trainable for a sum of money, energy or
carbon, on which accelerator, and in how long.

Budget -> device-hours through the footprint model's price, power x PUE, or carbon intensity;
device-hours -> training FLOP at an MFU range; FLOP -> parameters and tokens by Chinchilla's rule
(Hoffmann et al. 2022: ~20 tokens per parameter at the compute optimum, C = 6 N D, so
N* = sqrt(C / 120)). Budgets are read by the one unit registry, in USD, J and g CO2e.

Two figures, as in every plan: "speed of light" spends every paid device-hour on steps at the MFU
range; "expected" (the headline) keeps only the share runs like this really get, goodput from the
reliability model on `devices` (`trillion.plan.reliability.run_goodput`) divided by the reality gap
(`trillion.plan.reliability.reality_gap`, published / planned hours of whole runs). Wall-clock days
are the paid device-hours over the devices: failures are paid for, not free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from trillion.dist import SAMPLES, Dist, percentiles
from trillion.errors import InputError
from trillion.footprint import estimate as est
from trillion.footprint.validation import power_model_error
from trillion.plan.optimizers import state_bytes
from trillion.plan.reliability import RATE_SOURCE, REALITY_GAP_SOURCE, Reliability, reality_gap, run_goodput
from trillion.spec.hardware import Accelerator
from trillion.units import G_PER_T, J_PER_MWH

TOKENS_PER_PARAM = 20.0  # Hoffmann et al. 2022 (Chinchilla), Table 3 / Sec 3: ~20 tokens per parameter
MFU_DEFAULT = Dist.uniform(
    0.38, 0.43, "Llama 3 405B on 8-16K H100: BF16 MFU 38-43% (Dubey et al. 2024 Table 4)"
)
UNIT = {"money": "USD", "energy": "J", "carbon": "g CO2e"}
# bounded work: budgets past the world's yearly totals are refused (they are typos, and their
# device-hours overflow): world GDP ~1.1e14 USD (IMF WEO 2025), electricity generation ~3.1e10 MWh
# (Ember Global Electricity Review 2025: 30.9 PWh in 2024), emissions ~5.7e10 t CO2e (UNEP
# Emissions Gap Report 2024: 57.1 Gt in 2023). Canonical units: USD, J, g CO2e.
MAX_BUDGET = {
    "money": (1.1e14, "the world's yearly GDP (~1.1e14 USD)"),
    "energy": (3.1e10 * J_PER_MWH, "the world's yearly electricity (~3.1e10 MWh)"),
    "carbon": (5.7e10 * G_PER_T, "the world's yearly emissions (~5.7e10 t CO2e)"),
}
BUDGET_KINDS = ("money", "energy", "carbon")
# without a device count: the fewest whole nodes, a power of two, that spend the budget in about
# this many days (trillion's choice: a three-month run, the order of the frontier's published
# pre-training runs, e.g. Llama 3 405B ~54 days of a longer schedule, DeepSeek-V3 under two months)
TARGET_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class Budget:
    """A sum to spend: ``kind`` money (USD), energy (J, facility) or carbon (g CO2e, location-based)."""

    kind: Literal["money", "energy", "carbon"]
    amount: float

    def label(self) -> str:
        """The amount in the unit a reader expects (USD, MWh, t CO2e)."""
        if self.kind == "money":
            return f"{self.amount:,.0f} USD"
        if self.kind == "energy":
            return f"{self.amount / J_PER_MWH:,.4g} MWh"
        return f"{self.amount / G_PER_T:,.4g} t CO2e"


def parse_budget(text: str, where: str = "budget") -> Budget:
    """``"10M$"``, ``"$2.5B"``, ``"500 MWh"``, ``"2 GWh"``, ``"1000 tCO2e"`` -> a `Budget`, read by the
    one unit registry (`trillion.units.parse_quantity`): its dimension says which kind of budget."""
    from trillion.units import parse_quantity

    errors = []
    for kind in BUDGET_KINDS:
        try:
            value = parse_quantity(text, kind, where)
        except InputError as e:
            errors.append(e)
            continue
        if not value > 0:
            raise InputError(where, None, f"must be positive, got {text!r}")
        cap, label = MAX_BUDGET[kind]
        if not value <= cap:
            raise InputError(where, None, f"{text!r} is beyond {label}")
        return Budget(kind, value)  # type: ignore[arg-type]
    specific = [e for e in errors if "is not in" not in e.message and "cannot read" not in e.message]
    if specific:  # a unit problem (mWh, an ambiguous case, too long): say that, not "not a budget"
        raise specific[0]
    raise InputError(
        where, None, f"cannot read {text!r}: give money, energy or carbon, e.g. 10M$, 500MWh or 1000tCO2e"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Affordable:
    accelerator: str
    budget: Budget
    devices: int
    device_hours: dict[str, float]
    train_flop: dict[str, float]
    params: dict[str, float]
    tokens: dict[str, float]
    days: dict[str, float]
    # every paid device-hour on steps (no failures, no reality gap): FLOP and parameters
    speed_of_light: dict[str, dict[str, float]] = field(default_factory=dict)
    goodput: dict[str, float] = field(default_factory=dict)
    gap: dict[str, float] = field(default_factory=dict)
    assumptions: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerator": self.accelerator,
            "budget": {
                "kind": self.budget.kind,
                "amount": self.budget.amount,
                "unit": UNIT[self.budget.kind],
                "label": self.budget.label(),
            },
            "devices": self.devices,
            "device_hours": self.device_hours,
            "train_flop": self.train_flop,
            "params": self.params,
            "tokens": self.tokens,
            "wall_clock_days": self.days,
            "speed_of_light": self.speed_of_light,
            "goodput": self.goodput,
            "reality_gap": self.gap,
            "rule": f"Chinchilla: {TOKENS_PER_PARAM:g} tokens per parameter, C = 6 N D",
            "assumptions": self.assumptions,
        }


def afford(
    acc: Accelerator,
    budget: Budget,
    *,
    devices: int | None = None,
    mfu: Dist | None = None,
    dtype: str = "bf16",
    seed: int = 0,
    **footprint_kwargs: Any,
) -> Affordable:
    """The compute-optimal model `budget` trains on `devices` x `acc` (keyword arguments as
    `estimate_footprint`, e.g. region, pue, price)."""
    if devices is not None and devices <= 0:
        raise InputError("gpus", None, f"must be positive, got {devices}")
    # one device-hour's cost, energy and carbon, with the same sampled assumptions
    footprint_kwargs.setdefault("power_error", power_model_error())
    unit = est.estimate_footprint(acc, Dist.point(1.0), seed=seed, **footprint_kwargs)
    key = {"money": "cost_usd", "energy": "energy_j", "carbon": "co2e_location_g"}[budget.kind]
    if key not in unit.samples:
        raise InputError(
            "price", None, f"no shipped price for {acc.name}: pass --price (USD per device-hour)"
        )
    rng = np.random.default_rng(seed + 7)
    hours = budget.amount / unit.samples[key]
    chosen = devices is None
    if devices is None:
        devices = 8
        while devices < 2**21 and float(np.median(hours)) / devices / 24 > TARGET_DAYS:
            devices *= 2
    mfu = mfu or MFU_DEFAULT
    sol_flop = hours * 3600 * acc.peak(dtype) * mfu.sample(rng, SAMPLES)
    sol_params = np.sqrt(sol_flop / (6 * TOKENS_PER_PARAM))
    # the checkpoint the goodput model writes: the speed-of-light model's weights and AdamW states
    ckpt_bytes = float(np.median(sol_params)) * (2.0 + state_bytes("adamw", dtype))
    goodput = run_goodput(devices, ckpt_bytes, Reliability(), rng)["goodput"]
    gap = reality_gap(rng)
    flop = sol_flop * goodput / gap
    params = np.sqrt(flop / (6 * TOKENS_PER_PARAM))
    wall_days = hours / devices / 24
    notes = list(unit.assumptions)
    notes.append({"name": "MFU", "value": mfu.label(), "source": mfu.source})
    notes.append(
        {
            "name": "tokens per parameter",
            "value": f"{TOKENS_PER_PARAM:g}",
            "source": "Hoffmann et al. 2022 (Chinchilla)",
        }
    )
    notes.append(
        {
            "name": "goodput",
            "value": f"P50 {np.median(goodput):.1%} on {devices:,} devices",
            "source": f"trillion.plan.reliability: {RATE_SOURCE}; checkpoints at Young's optimum",
        }
    )
    if chosen:
        notes.append(
            {"name": "devices", "value": f"{devices:,} (trillion's choice)",
             "source": f"the fewest power-of-two devices that spend the budget in {TARGET_DAYS:g} days or less (P50); pass --gpus"}
        )  # fmt: skip
    notes.append({"name": "reality gap", "value": f"P50 x{np.median(gap):.3f}", "source": REALITY_GAP_SOURCE})
    return Affordable(
        accelerator=acc.name,
        budget=budget,
        devices=devices,
        device_hours=percentiles(hours),
        train_flop=percentiles(flop),
        params=percentiles(params),
        tokens=percentiles(params * TOKENS_PER_PARAM),
        days=percentiles(wall_days),
        speed_of_light={"train_flop": percentiles(sol_flop), "params": percentiles(sol_params)},
        goodput=percentiles(goodput),
        gap=percentiles(gap),
        assumptions=notes,
    )
