"""Rich tables for affordability over time and the efficiency levers (the CLI's human output)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from trillion.units import format_count


def year_text(p: dict[str, float], base: float, never: float) -> str:
    """A year's P50 (P10-P90): "today" at or before `base`, "never" at the cap (the trend draws
    whose slope never gets there), else whole years."""

    def one(y: float) -> str:
        if y >= never:
            return "never"
        return "today" if y <= base + 1e-9 else f"{y:.0f}"

    a, b, c = one(p["p50"]), one(p["p10"]), one(p["p90"])
    return a if a == b == c else f"{a} ({b}-{c})"


def usd(p: dict[str, float] | None) -> str:
    if not p:
        return "-"
    return f"${format_count(p['p50'])} (${format_count(p['p10'])}-${format_count(p['p90'])})"


def flop(x: float) -> str:
    """FLOP as "7.70e24" (counts of this size read best as powers of ten)."""
    return f"{x:.2e}".replace("e+", "e")


def count_range(p: dict[str, float], f: Any = format_count) -> str:
    return f"{f(p['p50'])} ({f(p['p10'])}-{f(p['p90'])})"


def model_year_tables(o: dict[str, Any]) -> list[Any]:
    """Costs of one model today and in the asked year, and when each budget trains / serves it."""
    from trillion.footprint.over_time import NEVER

    y, base = o["year"], o["base"]
    t = Table(title=f"{o['model']} over time: final training run ({flop(o['train_flop'])} FLOP on "
                    f"{o['train_gpu']}) and one serving replica-year ({o['serve_gpu']}); P50 (P10-P90), USD")  # fmt: skip
    t.add_column("cost")
    t.add_column(f"today ({base:.1f})", justify="right")
    t.add_column(f"{y:g}, same model", justify="right")
    t.add_column(f"{y:g}, same capability", justify="right")
    tc = o["train_cost_usd"]
    t.add_row(
        "train (final run)", usd(o["train_cost_today_usd"]), usd(tc["same_model"]), usd(tc["same_capability"])
    )
    if o.get("serve_year_usd"):
        sc = o["serve_year_usd"]
        t.add_row(
            "serve one replica a year",
            usd(o["serve_year_today_usd"]),
            usd(sc["same_model"]),
            usd(sc["same_capability"]),
        )
    else:
        t.add_row("serve one replica a year", "-", "-", f"does not fit: {o.get('serve_note', '')}")
    b = Table(title=f"Who can afford {o['model']}, and when (year: P50 (P10-P90); 'today' = already)")
    for col in (
        "budget (id; --json has its label and source)",
        "USD",
        "trains it",
        "trains its capability",
        "serves it a year",
    ):
        b.add_column(col, justify="left" if col.startswith("budget") else "right")
    for r in o["budgets"]:
        b.add_row(r["id"], f"${format_count(r['usd'])}",
                  year_text(r["trains_same_model"], base, NEVER), year_text(r["trains_same_capability"], base, NEVER),
                  year_text(r["serves_same_model"], base, NEVER) if "serves_same_model" in r else "-")  # fmt: skip
    return [t, b]


def budget_year_table(today: Any, later: dict[str, Any]) -> Table:
    """What one budget trains today and in a later year."""
    t = Table(title=f"What {today.budget.label()} trains on {today.accelerator}: today and in {later['year']:g} "
                    f"({later['basis']}); P50 (P10-P90)")  # fmt: skip
    t.add_column("quantity")
    t.add_column("today", justify="right")
    t.add_column(f"{later['year']:g}", justify="right")
    t.add_row("training FLOP", count_range(today.train_flop, flop), count_range(later["train_flop"], flop))
    t.add_row("parameters (compute-optimal)", count_range(today.params), count_range(later["params"]))
    t.add_row("tokens", count_range(today.tokens), count_range(later["tokens"]))
    t.add_row("FLOP today's algorithms would need for that capability", count_range(today.train_flop, flop),
              count_range(later["capability_equivalent_flop"], flop))  # fmt: skip
    return t


def assumption_lines(rows: list[dict[str, str]]) -> list[str]:
    return [f"[dim]assumes {a['name']} {a['value']}: {a['source']}[/]" for a in rows]


def _x(v: float | None) -> str:
    return "-" if v is None else f"x{v:.2f}"


def levers_table(o: dict[str, Any]) -> list[Table]:
    """Each lever's effect as a ratio to the baseline (trillion's estimate), then the published
    quality effect each rests on, in a table of its own (never mixed with the estimate)."""
    t = Table(title=f"Efficiency levers for {o['model']}: x the baseline (trillion's estimate)")
    for col in ("lever", "train $", "train MWh", "train CO2e", "serve $/tok", "serve Wh", "serve CO2e"):
        t.add_column(col, justify="left" if col == "lever" else "right")
    for r in o["levers"]:
        x = r["ratio"]
        t.add_row(r["lever"], _x(x["train_cost_usd"]), _x(x["train_energy_mwh"]), _x(x["train_co2e_t"]),
                  _x(x["serve_usd_per_m_tokens"]), _x(x["serve_wh_per_query"]), _x(x["serve_g_co2e_per_query"]))  # fmt: skip
    q = Table(title="Published quality effect (lever score / baseline score; not trillion's estimate)")
    for col in ("lever", "recovery, median (range)", "rows", "published variant"):
        q.add_column(col, justify="right" if col == "rows" else "left")
    for r in o["levers"]:
        e = r["quality"]
        if not e:
            continue
        rec = (
            f"{e['median_pct']:.0f}% ({e['min_pct']:.0f}-{e['max_pct']:.0f}%)"
            if "median_pct" in e
            else "claims only"
        )
        q.add_row(r["lever"], rec, str(e["rows"]), f"{e['lever']}: {e['variant']}")
    return [t, q]


def trends_table(rows: list[dict[str, Any]]) -> list[Any]:
    """Each trend's fit beside the published figure it should reproduce, and its back-test; the
    published figures' names and the trends without one in notes under the table."""
    t = Table(title="Trends: factor per year (95% CI), doubling (+) / halving (-) time, published, back-test")
    for col in ("trend", "n", "x per year", "doubling/halving", "published", "agrees", "back-test"):
        t.add_column(col, justify="left" if col in ("trend", "back-test") else "right")
    notes: list[str] = []
    unpublished: list[str] = []
    for r in rows:
        f = r["fit"]
        fy = f["factor_per_year"]
        d = f["doubling_or_halving_years"]
        sign = "+" if fy["p50"] > 1 else "-"
        dt = "-" if d is None else f"{sign}{d['p50']:.2g}y ({d['low']:.2g}-{d['high']:.2g})"
        p = r["published"][0] if r["published"] else None
        if p:
            pf, lo, hi = p["published_factor_per_year"], p["published_factor_low"], p["published_factor_high"]
            pt = (f"{pf:.3g}" if pf else "") + (f" ({lo:.3g}-{hi:.3g})" if lo else "")
            ag = "yes" if p["agrees"] else "no"
            notes.append(f"{r['id']}: published {p['trend']} = {p['published']} {p['unit']}"
                         + (f" ({p['published_low']}-{p['published_high']})" if p["published_low"] else "")
                         + f"; {p['source']}")  # fmt: skip
        else:
            pt, ag = "none", "-"
            unpublished.append(r["id"])
        b = r["backtest"]
        bt = f"{b['inside']}/{b['n_test']} inside" if b.get("fitted") else f"n/a ({b['n_fit']} to 2021)"
        t.add_row(r["id"], str(f["n"]), f"{fy['p50']:.3g} ({fy['low']:.3g}-{fy['high']:.3g})", dt, pt, ag, bt)
    lines: list[Any] = [t] + [f"[dim]{n}[/]" for n in notes]
    if unpublished:
        lines.append(f"[dim]no published rate found for: {', '.join(unpublished)}[/]")
    return lines
