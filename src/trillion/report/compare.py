"""The frontier side by side: what is published about each model (developer, weights, prices,
claimed scores) apart from what is estimated (trillion's accounting for models whose architecture
it holds, third parties' training-compute estimates), and benchmark results grouped like for like
(`trillion.catalog.landscape`): never ranked across protocols, developer-reported kept apart from
other labs' and independent measurements."""

from __future__ import annotations

from typing import Any

from trillion.catalog import FRONTIER
from trillion.catalog import landscape as L
from trillion.report import plots
from trillion.report.build import build_report, estimated, published

DEFAULT_SET = FRONTIER
MAX_MODELS = 12  # models in one comparison: bounded work (each counted model builds a report)
ROWS = [
    ("total_params", "parameters, total"),
    ("active_params", "parameters, active per token"),
    ("tokens", "training tokens"),
    ("train_compute", "training compute, 6 N D (FLOP)"),
    ("accelerator_hours", "accelerator-hours"),
    ("energy_mwh", "training energy (MWh, facility)"),
    ("co2e_t", "training CO2e (t, location-based)"),
    ("cost_usd", "training cost (USD)"),
    ("serve_min_devices_fp8", "fp8 serving: minimum H200s"),
    ("serve_layout_fp8", "fp8 serving: deployment assumed"),
    ("serve_tokens_per_s_fp8", "fp8 serving: output tokens/s per device"),
    ("serve_wh_per_query", "fp8 serving: Wh per query (1000 in / 500 out)"),
    ("serve_usd_per_m_tokens_fp8", "fp8 serving: trillion's cost (USD per million output tokens)"),
    ("api_usd_per_m_output", "API list price (USD per million output tokens)"),
]


def _p50(f: dict[str, Any] | None) -> dict[str, Any] | None:
    if not f:
        return None
    v = f["value"]
    out = dict(f)
    out["value"] = v["p50"] if isinstance(v, dict) else v
    out["unit"] = f.get("unit", "").replace(" (p10/p50/p90)", " (P50)")
    return out


def resolve(name: str) -> tuple[str, str | None]:
    """(landscape key or catalog name, catalog architecture or None) for a name a reader typed;
    `UnknownModelError` with "did you mean" for a name trillion does not know."""
    try:
        e = L.find(name)
    except ValueError:
        from trillion.catalog import find

        c = find(name)  # a catalog model outside the landscape (or the error, with suggestions)
        return c.name, c.name
    return e.model, e.architecture or None


def _api_price(key: str) -> dict[str, Any] | None:
    ps = L.prices(key)
    if not ps:
        return None
    p = ps[-1]
    return published(p["output"], "USD per million output tokens",
                     f"{p['source']} ({p['price_date'] or 'undated'}; input {p['input']:g} USD/M)")  # fmt: skip


def model_row(key: str, architecture: str | None, region: str = "World") -> dict[str, Any]:
    """One model's column: its landscape card and, when trillion holds its architecture, the
    report's figures (P50 of the distributions)."""
    entry = L.entries().get(key)
    card = L.card(key) if entry else None
    figs: dict[str, Any] = {}
    price = _api_price(key)
    if price:
        figs["api_usd_per_m_output"] = price
    tc = L.train_compute(key)
    if architecture is None:
        if tc:
            how = f"{tc['basis']} ({tc['source']})"
            figs["train_compute"] = (published(tc["train_flop"], "FLOP", tc["source"]) if tc["kind"] == "published"
                                     else estimated(tc["train_flop"], "FLOP", f"a third party's estimate: {how}"))  # fmt: skip
        return {"name": key, "display_name": entry.display_name if entry else key,
                "status": "architecture unpublished", "card": card, "figures": figs}  # fmt: skip
    r = build_report(architecture, region=region, hidden_costs=False)
    a, t, fp = r["architecture"], r["training"], r.get("footprint", {})
    figs.update(total_params=a["total_params"], active_params=a["active_params"], tokens=t["tokens"],
                train_compute=r["scaling"]["train_compute_6nd"])  # fmt: skip
    pub = r.get("published_training", {})
    figs["accelerator_hours"] = pub.get("accelerator_hours") or _p50(t.get("accelerator_hours"))
    figs["energy_mwh"] = _p50(fp.get("energy_mwh"))
    figs["co2e_t"] = pub.get("tco2e") or _p50(fp.get("co2e_location_t"))
    figs["cost_usd"] = pub.get("cost_usd") or _p50(fp.get("cost_usd"))
    fp8 = next((s for s in r["serving"] if s["weights"] == "fp8"), None)
    if fp8:
        figs["serve_min_devices_fp8"] = fp8["min_devices"]
        figs["serve_wh_per_query"] = fp8.get("energy_wh_per_query")
        figs["serve_layout_fp8"] = fp8.get("layout")
        figs["serve_tokens_per_s_fp8"] = fp8.get("tokens_per_s_per_device")
        if entry is not None and entry.weights == "open":  # trillion's serving cost beside the list price
            figs["serve_usd_per_m_tokens_fp8"] = fp8.get("cost_usd_per_million_tokens")
    name = entry.display_name if entry else r["display_name"]
    status = (
        r["status"] if entry is None or architecture == key else f"{r['status']} (counted as {architecture})"
    )
    return {"name": key, "display_name": name, "status": status, "card": card, "figures": figs}


def value_for_money(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Score per blended list price (USD per million tokens, 3 input : 1 output) within each
    like-for-like group holding two or more priced models; best value first."""
    out = []
    for g in L.groups(rows):
        priced: list[dict[str, Any]] = []
        for r in g["rows"]:
            ps = L.prices(r["model"])
            if ps and r["model"] in keys and r["model"] not in {p["model"] for p in priced}:
                p = ps[-1]
                priced.append({"model": r["model"], "score": r["score"], "blended_usd_per_m": p["blended"],
                               "points_per_usd_per_m": r["score"] / p["blended"] if p["blended"] else None,
                               "price_source": p["source"], "price_date": p["price_date"]})  # fmt: skip
        if len(priced) >= 2:
            priced.sort(key=lambda x: -(x["points_per_usd_per_m"] or 0))
            out.append(
                {
                    "benchmark": g["benchmark"],
                    "stage": g["stage"],
                    "protocol": g["protocol"],
                    "models": priced,
                }
            )
    return out


def build_compare(names: tuple[str, ...] = DEFAULT_SET, region: str = "World") -> dict[str, Any]:
    resolved = [resolve(n) for n in names]
    keys = tuple(dict.fromkeys(k for k, _ in resolved))
    models = [model_row(k, arch, region) for k, arch in dict(resolved).items()]
    rows = L.results(keys)
    groups = L.groups(rows)
    sources = sorted(
        {f.get("source") or f.get("note", "") for m in models for f in m["figures"].values() if f}
        | {r["source"] for r in rows}
    )
    from trillion.scaling.capability import compute_of, fit_capability

    marks = []
    for m in models:
        tc = m["figures"].get("train_compute")
        known = compute_of(m["name"])
        flop = known[0] if known else (tc["value"] if tc else None)
        if flop:
            marks.append((m["display_name"], float(flop)))
    capability = fit_capability("MMLU", "5", tuple(f for _, f in marks))
    return {
        "models": models,
        "rows": ROWS,
        "capability": capability,
        "capability_marks": [n for n, _ in marks],
        "capability_svg": plots.capability_svg(capability, marks),
        "groups": groups,
        "pairs": L.pairs(rows, keys),
        "value_for_money": value_for_money(rows, keys),
        "sources": [s for s in sources if s],
        "chart_svg": plots.compute_svg(models),
    }


__all__ = ["DEFAULT_SET", "build_compare", "published"]
