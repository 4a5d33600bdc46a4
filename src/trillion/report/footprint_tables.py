"""Rich tables for footprint estimates and budgets (the CLI's human output)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from trillion.footprint.afford import Affordable
from trillion.footprint.estimate import Footprint
from trillion.units import format_count


def _r(p: dict[str, float] | None, fmt: str = ",.1f", scale: float = 1.0) -> str:
    if not p:
        return "-"
    if p["p10"] == p["p90"]:
        return f"{p['p50'] * scale:{fmt}}"
    return f"{p['p50'] * scale:{fmt}} ({p['p10'] * scale:{fmt}}-{p['p90'] * scale:{fmt}})"


def footprint_tables(fp: Footprint, title: str) -> list[Any]:
    d = fp.to_dict()  # display units: MWh, t CO2e, m3
    t = Table(title=title)
    t.add_column("quantity")
    t.add_column("P50 (P10-P90)", justify="right")
    t.add_row("device-hours", _r(fp.device_hours, ",.0f"))
    t.add_row("energy, facility (MWh)", _r(d["energy_mwh"]))
    for k, v in d["energy_mwh"]["breakdown_p50"].items():
        if v:
            t.add_row(f"  {k.replace('_', ' ')} (MWh, P50)", f"{v:,.1f}")
    co2 = d["co2e_t"]
    t.add_row("CO2e location-based (t)", _r(co2["location"]))
    t.add_row("CO2e market-based (t)", _r(co2["market"]))
    t.add_row("CO2e embodied (t)", _r(co2["embodied"], ",.2f"))
    spread = ", ".join(f"{m} {v:,.2f}" for m, v in co2["embodied_by_method_p50"].items())
    t.add_row("  embodied by method (t, P50)", spread)
    t.add_row("water, on-site + off-site (m3)", _r(d["water_m3"]))
    t.add_row("cost (USD)", _r(fp.cost_usd, ",.0f") if fp.cost_usd else "no price: pass --price")
    if fp.cost_usd_per_million_tokens:
        t.add_row("cost per 1M training tokens (USD)", _r(fp.cost_usd_per_million_tokens, ",.3f"))
    a = Table(title="assumptions (each with its source)", show_lines=False)
    a.add_column("assumption")
    a.add_column("value")
    a.add_column("source", overflow="fold")
    for row in fp.assumptions:
        a.add_row(row["name"], row["value"], row["source"])
    return [t, f"[dim]power basis: {fp.power_basis}[/]", a]


def afford_table(results: list[Affordable]) -> Table:
    b = results[0].budget
    t = Table(title=f"What {b.label()} trains (Chinchilla rule, 20 tokens per parameter; P50, P10-P90)")
    cols = ("accelerator", "devices", "device-hours", "parameters, expected", "at speed of light",
            "goodput / gap", "days")  # fmt: skip
    for col in cols:
        t.add_column(col, justify="right")
    for r in results:
        p, sol = r.params, r.speed_of_light["params"]
        t.add_row(
            r.accelerator,
            f"{r.devices:,}",
            format_count(r.device_hours["p50"]),
            f"{format_count(p['p50'])} ({format_count(p['p10'])}-{format_count(p['p90'])})",
            format_count(sol["p50"]),
            f"{r.goodput['p50']:.0%} / {r.gap['p50']:.2f}",
            _r(r.days, ",.0f"),
        )
    return t
