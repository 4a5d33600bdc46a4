"""The footprint catalog (``catalog/footprint/*.csv``): grid intensity, PUE, WUE, off-site water,
embodied carbon, node power, measured run power and prices — read once, looked up by name.

Every row carries its source; lookups return it so the estimate's assumptions can print it.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from trillion.errors import InputError

# ISO 3166 alpha-2 -> the alpha-3 ids the Ember rows use, for the countries in grid_intensity.csv
_ISO2 = {
    "CA": "CAN", "FR": "FRA", "DE": "DEU", "GB": "GBR", "UK": "GBR", "IE": "IRL", "NL": "NLD",
    "BE": "BEL", "SE": "SWE", "NO": "NOR", "FI": "FIN", "DK": "DNK", "PL": "POL", "ES": "ESP",
    "PT": "PRT", "IT": "ITA", "CH": "CHE", "AT": "AUT", "CZ": "CZE", "IS": "ISL", "CN": "CHN",
    "JP": "JPN", "KR": "KOR", "IN": "IND", "SG": "SGP", "TW": "TWN", "HK": "HKG", "MY": "MYS",
    "ID": "IDN", "AU": "AUS", "BR": "BRA", "CL": "CHL", "MX": "MEX", "ZA": "ZAF", "AE": "ARE",
    "SA": "SAU", "QA": "QAT", "IL": "ISR",
}  # fmt: skip


def _path(name: str) -> Path:
    return Path(str(resources.files("trillion.catalog") / "footprint" / name))


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``catalog/footprint/<name>.csv`` as dicts of strings."""
    with _path(f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@dataclass(frozen=True, slots=True)
class Intensity:
    """One grid-intensity row: g CO2e per kWh of electricity for `region_id` in `year`."""

    region_id: str
    region_name: str
    g_per_kwh: float
    year: int
    method: str
    gas_scope: str
    source: str


def _year(text: str) -> int:
    digits = "".join(ch for ch in text[:4] if ch.isdigit())
    return int(digits) if len(digits) == 4 else 0


def region_ids() -> list[str]:
    return sorted({r["region_id"] for r in table("grid_intensity")})


def _match_region(region: str) -> list[dict[str, str]]:
    rows = table("grid_intensity")
    key = region.strip().lower()
    for want in (key, _ISO2.get(region.strip().upper(), "").lower(), f"em:{key}", f"gcp:{key}"):
        hits = [r for r in rows if want and r["region_id"].lower() == want]
        if hits:
            return hits
    by_name = [r for r in rows if r["region_name"].lower() == key]
    ids = {r["region_id"] for r in by_name}
    if len(ids) > 1:  # a name several sources share (China: CHN from Ember, EM:CN from Electricity Maps)
        first = {r["region_id"] for r in by_name if r["region_type"] in NAME_PREFERS}
        if len(first) == 1:
            return [r for r in by_name if r["region_id"] in first]
        raise InputError("region", None, f"{region!r} is ambiguous: {' or '.join(sorted(ids))} (give the id)")
    return by_name


# a name shared by several rows means the country (or aggregate) figure first, never a grid zone
NAME_PREFERS = ("country", "aggregate")


def region_list() -> list[dict[str, object]]:
    """Every region id with its name, type and latest row (intensity, year, method, source)."""
    out = []
    for rid in region_ids():
        i = grid_intensity(rid)
        kind = next(r["region_type"] for r in table("grid_intensity") if r["region_id"] == rid)
        out.append({"id": rid, "name": i.region_name, "type": kind, "g_co2e_per_kwh": i.g_per_kwh,
                    "year": i.year, "method": i.method, "source": i.source})  # fmt: skip
    return out


def grid_intensity(region: str, year: int | None = None, where: str = "region") -> Intensity:
    """The grid intensity of `region` (id such as ``USA``, ``CN``, ``US-VA``, ``gcp:us-central1``,
    or an unambiguous name) for `year`: that year's row, else the latest year before it, else the
    earliest after it; without a year the latest. Unknown regions raise `InputError`."""
    try:
        hits = _match_region(region)
    except InputError as e:
        raise InputError(where, None, e.message) from None
    if not hits:
        names = region_ids() + sorted({r["region_name"] for r in table("grid_intensity")})
        close = difflib.get_close_matches(region, names, n=4, cutoff=0.6)
        hint = f"; close: {', '.join(close)}" if close else "; see `trillion footprint --list-regions`"
        raise InputError(where, None, f"unknown region {region!r}{hint}")
    years = sorted({_year(r["year"]) for r in hits})
    if year is None:
        pick = years[-1]
    else:
        before = [y for y in years if y <= year]
        pick = before[-1] if before else years[0]
    row = next(r for r in hits if _year(r["year"]) == pick)
    return Intensity(
        region_id=row["region_id"],
        region_name=row["region_name"],
        g_per_kwh=float(row["g_co2e_per_kwh"]),
        year=pick,
        method=row["method"],
        gas_scope=row["gas_scope"],
        source=row["source"],
    )


def site_row(name: str, kind: str) -> dict[str, str] | None:
    """A PUE (`kind` ``pue``) or WUE (``wue``) row by its site id, or None."""
    for r in table(kind):
        if r["site_id"].lower() == name.strip().lower():
            return r
    return None


def water_offsite(region_id: str) -> dict[str, str] | None:
    for r in table("water_offsite"):
        if r["region_id"].lower() == region_id.lower():
            return r
    return None


def node_power(accelerator: str) -> dict[str, str] | None:
    for r in table("power"):
        if r["accelerator"] == accelerator:
            return r
    return None


def measured_runs(accelerator: str, exclude: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Published runs with measured system power per device on `accelerator`, minus `exclude`."""
    return [r for r in table("measured_power") if r["accelerator"] == accelerator and r["run"] not in exclude]


def embodied_rows(accelerator: str) -> list[dict[str, str]]:
    """Embodied-carbon rows for one accelerator (one per method), from embodied_carbon.csv."""
    return [r for r in table("embodied_carbon") if accelerator in r["accelerators"].split(";")]


def embodied_server_row(accelerator: str) -> tuple[dict[str, str], bool]:
    """(the host server row for `accelerator`, whether it is only a proxy): the server row whose
    ``host_for`` names the accelerator, else the one marked ``default`` (a proxy for this device)."""
    servers = [r for r in table("embodied_carbon") if r["method_id"] == "server" and r["devices_per_server"]]
    for r in servers:
        if accelerator in r["host_for"].split(";"):
            return r, False
    default = [r for r in servers if "default" in r["host_for"].split(";")]
    if len(default) != 1:
        raise InputError(
            "embodied_carbon.csv", "host_for", f"needs exactly one default server row, has {len(default)}"
        )
    return default[0], True


def embodied_node_row() -> dict[str, str]:
    """The whole-node row (method ``node``), with its devices per server."""
    nodes = [r for r in table("embodied_carbon") if r["method_id"] == "node" and r["devices_per_server"]]
    if len(nodes) != 1:
        raise InputError("embodied_carbon.csv", "method_id", f"needs exactly one node row, has {len(nodes)}")
    return nodes[0]


def prices(accelerator: str) -> list[dict[str, str]]:
    return [r for r in table("prices") if r["accelerator"] == accelerator]
