"""Side-by-side comparison of frontier models: published figures where they exist, trillion's
estimates elsewhere, visibly different; benchmark scores with sources; cost per benchmark point."""

from __future__ import annotations

from typing import Any

from trillion.catalog import FRONTIER
from trillion.report import plots
from trillion.report.build import benchmark_scores, build_report, estimated, published

DEFAULT_SET = FRONTIER
SCORES_ONLY = {"gemini-2.5-flash": "Gemini 2.5 Flash", "gpt-4.1": "GPT-4.1"}  # architecture unpublished
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
    ("MMLU", "MMLU (%)"),
    ("GPQA", "GPQA / GPQA-Diamond (%)"),
    ("usd_per_mmlu_point", "training USD per MMLU point"),
]


def _p50(f: dict[str, Any] | None) -> dict[str, Any] | None:
    if not f:
        return None
    v = f["value"]
    out = dict(f)
    out["value"] = v["p50"] if isinstance(v, dict) else v
    out["unit"] = f.get("unit", "").replace(" (p10/p50/p90)", " (P50)")
    return out


def model_row(name: str, region: str = "World") -> dict[str, Any]:
    figs: dict[str, Any] = {}
    scores = benchmark_scores(name)
    for s in scores:
        key = "GPQA" if s["benchmark"].startswith("GPQA") else s["benchmark"]
        figs.setdefault(key, {**s["score"], "unit": f"% ({s['benchmark']}, {s['protocol']}; {s['status']})"})
    if name in SCORES_ONLY:
        return {
            "name": name,
            "display_name": SCORES_ONLY[name],
            "status": "architecture unpublished",
            "figures": figs,
        }
    r = build_report(name, region=region)
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
    cost, mmlu = figs.get("cost_usd"), figs.get("MMLU")
    if cost and mmlu:
        how = f"training cost ({'published' if cost.get('source') else 'estimated'}) over the MMLU score (reported)"
        figs["usd_per_mmlu_point"] = estimated(cost["value"] / mmlu["value"], "USD per point", how)
    return {"name": name, "display_name": r["display_name"], "status": r["status"], "figures": figs}


def build_compare(names: tuple[str, ...] = DEFAULT_SET, region: str = "World") -> dict[str, Any]:
    models = [model_row(n, region) for n in names]
    sources = sorted(
        {f.get("source") or f.get("note", "") for m in models for f in m["figures"].values() if f}
    )
    return {
        "models": models,
        "rows": ROWS,
        "sources": [s for s in sources if s],
        "chart_svg": plots.compute_svg(models),
    }


__all__ = ["DEFAULT_SET", "build_compare", "published"]
