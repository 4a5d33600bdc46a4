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


INF = float("inf")
# every unit-bearing footprint flag: (kind in the one registry, lowest, highest in its canonical unit);
# a bare number is in the unit its help text names (the kind's canonical unit)
FLAG_UNITS: dict[str, tuple[str, float, float]] = {
    "--pue": ("number", 1.0, 3.0),
    "--wue": ("water_intensity", 0.0, 20.0),
    "--water-offsite": ("water_intensity", 0.0, 100.0),
    "--intensity": ("carbon_intensity", 0.0, 2000.0),
    "--renewable-share": ("number", 0.0, 1.0),
    "--market-intensity": ("carbon_intensity", 0.0, 2000.0),
    "--price": ("price_per_hour", 0.0, INF),
    "--capex": ("money", 0.0, INF),
    "--electricity-price": ("price_per_energy", 0.0, 10.0),
    "--lifetime": ("years", 0.5, 20.0),
    "--power": ("power", 1.0, 1e5),
}


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
                else parse_dist(self.wue, "--wue", kind="water_intensity", maximum=20.0)
            )
        for key, (flag, text) in {
            "water_offsite": ("--water-offsite", self.water_offsite),
            "intensity": ("--intensity", self.intensity),
            "renewable_share": ("--renewable-share", self.renewable_share),
            "market_intensity": ("--market-intensity", self.market_intensity),
            "price": ("--price", self.price),
            "capex_usd": ("--capex", self.capex),
            "electricity_usd_per_kwh": ("--electricity-price", self.electricity_price),
            "lifetime_years": ("--lifetime", self.lifetime),
            "power_w": ("--power", self.power),
        }.items():
            if text is not None:
                kind, lo, hi = FLAG_UNITS[flag]
                kw[key] = parse_dist(text, flag, kind=kind, minimum=lo, maximum=hi)
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
    str | None, Opt(help="PUE, e.g. 1.1, 1.1-1.2; or a site id (google_fleet, industry_avg_2023).")
]
PriceOpt = Annotated[str | None, Opt(help="USD per device-hour: 2.5, 2.5 $/h or a range (2-4 USD/h).")]
EmbodiedOpt = Annotated[
    str, Opt("--embodied-method", help="boavizta, vendor, die, hubblo, ecologits, node or all.")
]
