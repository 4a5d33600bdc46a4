"""Options shared by several commands: the footprint flags (`trillion train`, `serve`, `footprint`,
`afford` take the same ones) and their parsing into `estimate_footprint` keyword arguments.

Every uncertain flag takes a number or a range (``--pue 1.1-1.2``); bad values name the flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer

from trillion.errors import InputError

Opt = typer.Option


@dataclass(frozen=True)
class FootprintFlags:
    """The footprint flags as given (strings), parsed by `kwargs()` into `estimate_footprint`'s."""

    region: str = "World"
    year: int | None = None
    pue: str | None = None
    wue: str | None = None
    water_offsite: str | None = None
    intensity: str | None = None
    renewable_share: str | None = None
    market_intensity: str | None = None
    price: str | None = None
    ownership: str = "cloud"
    capex: str | None = None
    electricity_price: str | None = None
    embodied_method: str = "default"
    lifetime: str | None = None
    power: str | None = None

    def kwargs(self) -> dict[str, Any]:
        from trillion.dist import parse_dist
        from trillion.footprint import data

        if self.year is not None and not 1990 <= self.year <= 2100:
            raise InputError("--year", None, f"must be between 1990 and 2100, got {self.year}")
        kw: dict[str, Any] = {"region": self.region, "year": self.year, "ownership": self.ownership}
        kw["embodied_method"] = self.embodied_method
        if self.intensity is None:
            data.grid_intensity(self.region, self.year)  # an unknown region fails before any work
        if self.pue is not None:
            site = data.site_row(self.pue, "pue")
            kw["pue"] = (
                _site_dist(site, "pue_low", "pue_high")
                if site
                else parse_dist(self.pue, "--pue", minimum=1.0, maximum=3.0)
            )
        if self.wue is not None:
            site = data.site_row(self.wue, "wue")
            kw["wue"] = (
                _site_dist(site, "l_per_kwh", "l_per_kwh")
                if site
                else parse_dist(self.wue, "--wue", maximum=20.0, strip=("L/kWh", "l/kwh"))
            )
        simple: dict[str, tuple[str, str | None, dict[str, Any]]] = {
            "water_offsite": (
                "--water-offsite",
                self.water_offsite,
                {"maximum": 100.0, "strip": ("L/kWh", "l/kwh")},
            ),
            "intensity": (
                "--intensity",
                self.intensity,
                {"maximum": 2000.0, "strip": ("gCO2e/kWh", "g/kWh")},
            ),
            "renewable_share": ("--renewable-share", self.renewable_share, {"maximum": 1.0}),
            "market_intensity": (
                "--market-intensity",
                self.market_intensity,
                {"maximum": 2000.0, "strip": ("g/kWh",)},
            ),
            "price": ("--price", self.price, {"strip": ("$/h", "USD/h", "usd/h", "$", "USD", "usd")}),
            "capex_usd": ("--capex", self.capex, {"strip": ("$", "USD", "usd")}),
            "electricity_usd_per_kwh": (
                "--electricity-price",
                self.electricity_price,
                {"maximum": 10.0, "strip": ("$/kWh", "$")},
            ),
            "lifetime_years": (
                "--lifetime",
                self.lifetime,
                {"minimum": 0.5, "maximum": 20.0, "strip": ("years", "y")},
            ),
            "power_w": ("--power", self.power, {"minimum": 1.0, "maximum": 1e5, "strip": ("W", "w")}),
        }
        for key, (flag, text, opts) in simple.items():
            if text is not None:
                kw[key] = parse_dist(text, flag, **opts)
        if self.intensity is not None:
            kw["region"] = "given"
        return kw


def _site_dist(row: dict[str, str], lo: str, hi: str):
    from trillion.dist import Dist

    a, b = float(row[lo]), float(row[hi])
    src = f"{row['site_name']} ({row['year']}): {row['source']}"
    return Dist.point(a, src) if a == b else Dist.uniform(a, b, src)


RegionOpt = Annotated[
    str, Opt(help="Grid region: country (US, CN, FRA), US-VA, CN-GD, gcp:us-central1, EM:DE ...")
]
YearOpt = Annotated[int | None, Opt(help="Grid-intensity year (default: latest).")]
PueOpt = Annotated[
    str | None, Opt(help="PUE, a range (1.1-1.2) or a site id (google_fleet, industry_avg_2023).")
]
PriceOpt = Annotated[str | None, Opt(help="USD per device-hour, or a range (2-4).")]
EmbodiedOpt = Annotated[
    str, Opt("--embodied-method", help="boavizta, vendor, die, hubblo, ecologits, node or all.")
]
