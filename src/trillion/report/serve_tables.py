"""Rich tables for a serving plan."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from trillion.footprint.of_serve import ServingFootprint
from trillion.serve.plan import ServePlan
from trillion.units import format_bytes


def _p(d: dict[str, float] | None, fmt: str) -> str:
    if not d:
        return "-"
    if d["p10"] == d["p90"]:
        return f"{d['p50']:{fmt}}"
    return f"{d['p50']:{fmt}} ({d['p10']:{fmt}}-{d['p90']:{fmt}})"


def serve_tables(p: ServePlan, fp: ServingFootprint | None) -> list[Any]:
    title = f"Serving {p.model} on {p.accelerator}: weights {p.weights}, KV {p.kv}, {p.prompt} in / {p.output} out"
    t = Table(title=title)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    out: list[Any] = [t]
    if not p.fits:
        t.add_row("fits", f"NO: {p.reason}")
    else:
        lay = p.layout
        pools = f"prefill {p.disaggregated['prefill_devices']} + decode: " if p.disaggregated else ""
        t.add_row("devices", f"{p.devices} ({pools}{lay['replicas']} replica(s) of {p.devices_per_replica})")
        t.add_row(
            "layout per replica",
            f"tp={lay['tp']} pp={lay['pp']}"
            + (f" dp={lay['dp']}" if lay.get("dp", 1) > 1 else "")
            + (f" ep={lay['ep']}" if lay["ep"] > 1 else ""),
        )
        m = p.memory_bytes
        t.add_row("memory per device: weights", format_bytes(m["weights"]))
        t.add_row("memory per device: KV room", format_bytes(m["kv_capacity"]))
        t.add_row("max concurrent sequences", f"{p.max_concurrency:,}")
        t.add_row("batch (concurrent sequences)", f"{p.batch:,}")
        t.add_row("time to first token (idle)", f"{p.ttft_s * 1e3:,.1f} ms")
        ok = "" if p.meets_latency_target else f" (misses the {p.latency_target_s * 1e3:.0f} ms target)"
        t.add_row("time per output token", f"{p.tpot_s * 1e3:,.1f} ms{ok}")
        t.add_row("output tokens/s per device", f"{p.tokens_per_s_per_device:,.0f}")
        if p.disaggregated:
            g = p.disaggregated
            t.add_row("disaggregated: prefill pool", f"{g['prefill_devices']} devices ({g['prefill_layout']}), "
                      f"{g['prefill_requests_per_s']:,.1f} requests/s")  # fmt: skip
            t.add_row("disaggregated: decode pool", f"{g['decode_devices']} devices (layout above), "
                      f"{g['decode_requests_per_s']:,.1f} requests/s")  # fmt: skip
            t.add_row("  sustained (the slower pool)", f"{g['requests_per_s']:,.1f} requests/s ({g['bottleneck']} bound; "
                      f"balanced at ~{g['balanced_prefill_devices']:,.0f} prefill devices)")  # fmt: skip
            t.add_row(
                "  KV transfer per request",
                f"{g['kv_transfer_s'] * 1e3:,.1f} ms ({format_bytes(g['kv_bytes_per_request'])})",
            )
        if p.load:
            ld = p.load
            pct = lambda x: " / ".join(f"{x[k] * 1e3:,.0f}" for k in ("p50", "p90", "p99")) if x else "-"  # noqa: E731
            state = "stable" if ld["stable"] else "UNSTABLE: the load exceeds capacity"
            each = ld["qps_total"] / ld["replicas"]
            t.add_row(f"under {ld['qps_total']:g} requests/s", f"{ld['replicas']} replica(s), {each:.3g}/s each, "
                      f"{ld['utilisation']:.0%} of {ld['capacity_qps_per_replica']:.3g}/s capacity ({state})")  # fmt: skip
            t.add_row("  TTFT p50 / p90 / p99 (ms)", pct(ld["ttft_s"]))
            t.add_row("  TPOT p50 / p90 / p99 (ms)", pct(ld["tpot_s"]))
    if fp is not None:
        f = fp.to_dict()
        e = f["energy_j_per_output_token"]
        t.add_row(
            "energy per output token (J)",
            f"GPU {e['accelerators']:.3f}, IT {e['it']:.3f}, facility {e['facility']:.3f}",
        )
        t.add_row("energy per query (Wh, facility)", _p(f["energy_wh_per_query"], ",.3f"))
        t.add_row("CO2e per query (g, location)", _p(f["co2e_g_per_query"], ",.3f"))
        t.add_row("water per query (mL)", _p(f["water_ml_per_query"], ",.2f"))
        t.add_row(
            "cost per 1M output tokens (USD)",
            _p(f["cost_usd_per_million_tokens"], ",.3f")
            if f["cost_usd_per_million_tokens"]
            else "no price: pass --price",
        )
    mins = Table(
        title=f"minimum {p.accelerator} devices per weight precision (one {p.context}-token sequence)"
    )
    for w in p.min_devices_by_precision:
        mins.add_column(w, justify="right")
    mins.add_row(*(str(n) if n else "> 512" for n in p.min_devices_by_precision.values()))
    out.append(mins)
    if p.quality:
        q = Table(title=f"published quality effect of {p.weights} weights (evidence, not a prediction)")
        for col in ("method", "model", "metric", "baseline", "quantized", "delta", "source"):
            q.add_column(col, overflow="fold")
        for r in p.quality:
            q.add_row(
                r["method"], r["model"], r["metric"], r["baseline"], r["quantized"], r["delta"], r["source"]
            )
        out.append(q)
    return out


def annual_table(year: dict[str, Any]) -> Any:
    """A year of serving the given queries a day with the sized fleet (P10-P90 where uncertain)."""
    t = Table(title=f"a year of {year['queries_per_day']:,.0f} queries a day ({year['devices']} devices, "
                    f"busy {year['utilisation']:.0%}; estimated)")  # fmt: skip
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("accelerator-hours", f"{year['accelerator_hours']:,.0f}")
    t.add_row("energy (MWh, facility)", _p(year["energy_mwh"], ",.1f"))
    t.add_row("CO2e (t, location)", _p(year["co2e_t"], ",.1f"))
    t.add_row("water (m3)", _p(year["water_m3"], ",.0f"))
    t.add_row("cost (USD)", _p(year["cost_usd"], ",.0f") if year["cost_usd"] else "no price: pass --price")
    t.add_row("energy per query (Wh, facility)", _p(year["energy_wh_per_query"], ",.3f"))
    return t
