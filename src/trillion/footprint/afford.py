"""What a budget buys: the largest compute-optimal model trainable for a sum of money, energy or
carbon, on which accelerator, and in how long.

Budget -> device-hours through the footprint model's price, power x PUE, or carbon intensity;
device-hours -> training FLOP at an MFU range; FLOP -> parameters and tokens by Chinchilla's rule
(Hoffmann et al. 2022: ~20 tokens per parameter at the compute optimum, C = 6 N D, so
N* = sqrt(C / 120)). The scaling-law module will replace the rule with a fitted law.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from trillion.dist import SAMPLES, Dist, percentiles
from trillion.errors import InputError
from trillion.footprint import estimate as est
from trillion.spec.hardware import Accelerator

TOKENS_PER_PARAM = 20.0  # Hoffmann et al. 2022 (Chinchilla), Table 3 / Sec 3: ~20 tokens per parameter
MFU_DEFAULT = Dist.uniform(
    0.38, 0.43, "Llama 3 405B on 8-16K H100: BF16 MFU 38-43% (Dubey et al. 2024 Table 4)"
)
GOODPUT = Dist(
    0.75, 0.90, 0.97, "goodput triangular(0.75, 0.90, 0.97) after Llama 3 Sec 3.3.4 (as the planner)"
)
_BUDGET = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kMGB]?)\s*(\$|usd|mwh|gwh|kwh|tco2e|t|tonnes?)\s*$", re.I
)
# bounded work: budgets past the world's yearly totals are refused (they are typos, and their
# device-hours overflow): world GDP ~1.1e14 USD (IMF WEO 2025), electricity generation ~3.1e10 MWh
# (Ember Global Electricity Review 2025: 30.9 PWh in 2024), emissions ~5.7e10 t CO2e (UNEP
# Emissions Gap Report 2024: 57.1 Gt in 2023).
MAX_BUDGET = {
    "usd": (1.1e14, "the world's yearly GDP (~1.1e14 USD)"),
    "mwh": (3.1e10, "the world's yearly electricity (~3.1e10 MWh)"),
    "tco2e": (5.7e10, "the world's yearly emissions (~5.7e10 t CO2e)"),
}
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9}  # case-insensitive, as the pattern: 10K$, 10m$


@dataclass(frozen=True, slots=True)
class Budget:
    kind: Literal["usd", "mwh", "tco2e"]
    amount: float


def parse_budget(text: str, where: str = "--budget") -> Budget:
    """``"10M$"``, ``"$10M"``, ``"500 MWh"``, ``"2 GWh"``, ``"1000 tCO2e"`` -> a `Budget`."""
    t = text.strip()
    if t.startswith("$"):
        t = t[1:] + "$"
    m = _BUDGET.match(t)
    if not m:
        raise InputError(where, None, f"cannot read {text!r}: give e.g. 10M$, 500MWh or 1000tCO2e")
    if len(m.group(1)) > 64:
        raise InputError(where, None, f"a number of {len(m.group(1)):,} characters is too long")
    value = float(m.group(1)) * _SCALE[m.group(2).lower()]
    unit = m.group(3).lower()
    if not value > 0:
        raise InputError(where, None, f"must be positive, got {text!r}")
    if unit in ("$", "usd"):
        budget = Budget("usd", value)
    elif unit.endswith("wh"):
        budget = Budget("mwh", value * {"kwh": 1e-3, "mwh": 1.0, "gwh": 1e3}[unit])
    else:
        budget = Budget("tco2e", value)
    cap, label = MAX_BUDGET[budget.kind]
    if not budget.amount <= cap:  # also refuses inf and nan
        raise InputError(where, None, f"{text!r} is beyond {label}")
    return budget


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
    assumptions: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerator": self.accelerator,
            "budget": {"kind": self.budget.kind, "amount": self.budget.amount},
            "devices": self.devices,
            "device_hours": self.device_hours,
            "train_flop": self.train_flop,
            "params": self.params,
            "tokens": self.tokens,
            "wall_clock_days": self.days,
            "rule": f"Chinchilla: {TOKENS_PER_PARAM:g} tokens per parameter, C = 6 N D",
            "assumptions": self.assumptions,
        }


def afford(
    acc: Accelerator,
    budget: Budget,
    *,
    devices: int = 1024,
    mfu: Dist | None = None,
    dtype: str = "bf16",
    seed: int = 0,
    **footprint_kwargs: Any,
) -> Affordable:
    """The compute-optimal model `budget` trains on `devices` x `acc` (keyword arguments as
    `estimate_footprint`, e.g. region, pue, price)."""
    if devices <= 0:
        raise InputError("--gpus", None, f"must be positive, got {devices}")
    # one device-hour's cost, energy and carbon, with the same sampled assumptions
    unit = est.estimate_footprint(acc, Dist.point(1.0), seed=seed, **footprint_kwargs)
    key = {"usd": "cost_usd", "mwh": "energy_mwh", "tco2e": "co2e_location_t"}[budget.kind]
    if key not in unit.samples:
        raise InputError(
            "--price", None, f"no shipped price for {acc.name}: pass --price (USD per device-hour)"
        )
    rng = np.random.default_rng(seed + 7)
    hours = budget.amount / unit.samples[key]
    mfu = mfu or MFU_DEFAULT
    flop = hours * 3600 * acc.peak(dtype) * mfu.sample(rng, SAMPLES)
    params = np.sqrt(flop / (6 * TOKENS_PER_PARAM))
    wall_days = hours / devices / 24 / GOODPUT.sample(rng, SAMPLES)
    notes = list(unit.assumptions)
    notes.append({"name": "MFU", "value": mfu.label(), "source": mfu.source})
    notes.append(
        {
            "name": "tokens per parameter",
            "value": f"{TOKENS_PER_PARAM:g}",
            "source": "Hoffmann et al. 2022 (Chinchilla)",
        }
    )
    notes.append({"name": "goodput", "value": GOODPUT.label(), "source": GOODPUT.source})
    return Affordable(
        accelerator=acc.name,
        budget=budget,
        devices=devices,
        device_hours=percentiles(hours),
        train_flop=percentiles(flop),
        params=percentiles(params),
        tokens=percentiles(params * TOKENS_PER_PARAM),
        days=percentiles(wall_days),
        assumptions=notes,
    )
