"""The main job's data: one JSON-able report of a model — architecture and counts, training plan,
footprint, scaling position, serving economics, published figures and benchmark scores.

Every figure is ``{"value", "unit", "source"}`` for a published number or ``{"value", "unit",
"note": "estimated by trillion from ..."}`` for trillion's own estimate; a test walks the report
and fails on any figure with neither. `render_html` and the terminal summary read only this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trillion.catalog import DEFAULT_CLUSTER, DEFAULT_MODEL, SERVE_GPU
from trillion.errors import InputError
from trillion.report import plots
from trillion.report.kinds import KIND_LABEL, kind_of  # noqa: F401 (re-exported for renderers)
from trillion.report.replay import replay_rows

# trillion's choices where a model's catalog entry publishes nothing (each labelled as such in the report)
DEFAULT_PRECISION = "bf16"
SERVE_PRECISIONS = ("bf16", "fp8", "int4")
SERVE_PROMPT, SERVE_OUTPUT = 1000, 500  # tokens per query of the serving economics


NOTE_PREFIX = ("estimated by trillion from ", "counted exactly by trillion from ", "given by the user",
               "trillion's choice: ")  # fmt: skip


def published(value: Any, unit: str, source: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "kind": "published"}


def rumoured(value: Any, unit: str, source: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "kind": "rumour"}


def estimated(value: Any, unit: str, how: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "note": f"estimated by trillion from {how}", "kind": "estimate"}


def exact(value: Any, unit: str, how: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "note": f"counted exactly by trillion from {how}", "kind": "exact"}


def given(value: Any, unit: str, flag: str) -> dict[str, Any]:
    return {
        "value": value,
        "unit": unit,
        "note": f"given by the user ({flag}, or its web-page field)",
        "kind": "given",
    }


def default(value: Any, unit: str, why: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "note": f"trillion's choice: {why}", "kind": "default"}


def benchmark_scores(model: str) -> list[dict[str, Any]]:
    """The model's sourced results (`trillion.catalog.landscape`), each with its protocol and who
    measured it."""
    from trillion.catalog import landscape

    return [
        {"benchmark": r["benchmark"], "score": published(r["score"], "%", r["source"]),
         "protocol": f"{r['stage']}, {r['protocol']}", "status": landscape.MEASURED_BY_LABEL[r["by"]]}
        for r in landscape.results((model,))
    ]  # fmt: skip


def published_training(model: str) -> dict[str, str] | None:
    from trillion.catalog.landscape import rows

    return next((r for r in rows("published_training") if r["model"] == model), None)


def _resolve(name: str):
    from trillion.catalog.resolve import resolve

    return resolve(name)


def model_tokens(spec, entry) -> tuple[int, dict[str, Any]]:
    """Training tokens of a model and their figure: the catalog's (published or rumoured), else
    Chinchilla's 20 per active parameter (estimated)."""
    from trillion.units import parse_count

    if entry is not None and entry.training.tokens:
        value, _ = parse_count(entry.training.tokens, "catalog", "training.tokens")
        src = entry.training.tokens_source or entry.source.get("title", "catalog entry")
        label = rumoured if entry.status == "rumoured" else published
        return int(value), label(int(value), "tokens", f"{src} (catalog {entry.name})")
    from trillion.count import count

    n = count(spec).active_params.total
    return 20 * n, estimated(
        20 * n, "tokens", "Chinchilla's 20 tokens per active parameter (training tokens unpublished)"
    )


def build_report(name: str = DEFAULT_MODEL, *, region: str | None = None, gpu: str | None = None,
                 gpus: int | None = None, serve_gpu: str | None = None, seq_len: int | None = None,
                 spec: Any = None, entry: Any = None, tokens: int | None = None,
                 serve_weights: tuple[str, ...] = SERVE_PRECISIONS, cluster: str | None = None,
                 precision: str | None = None, global_batch: int | None = None, price: Any = None,
                 check: Callable[[], None] | None = None, hidden_costs: bool = True) -> dict[str, Any]:  # fmt: skip
    """The report of `name` (catalog name or config.json path), of a catalog `entry` or of a given
    `spec`. Every set-up argument left None comes from the catalog's published run where there is
    one, else trillion's default, and the report's ``setup`` section says which: `tokens`,
    `cluster` (a preset) or `gpu` / `gpus`, `precision`, `global_batch` (sequences), `seq_len`,
    `price` (a `Dist` of USD per device-hour), `region`, `serve_gpu`. `check` is called between
    stages and may raise to abandon the work (the web server's cancellation). `hidden_costs`: add
    the "hidden costs over time" section (`trillion.report.over_time`)."""
    region_fig = given(region, "", "--region") if region else default("World", "", "the world-average grid")
    region = region or "World"
    serve_fig = (given(serve_gpu, "", "--serve-gpu") if serve_gpu
                 else default(SERVE_GPU, "", "a current serving accelerator (H200)"))  # fmt: skip
    serve_gpu = serve_gpu or SERVE_GPU
    tick = check or (lambda: None)
    from trillion.catalog.hardware import find_accelerator, find_cluster, make_cluster
    from trillion.count import count
    from trillion.footprint.of_serve import footprint_of_serving
    from trillion.footprint.of_train import footprint_of_plan
    from trillion.plan.reliability import REALITY_GAP_SOURCE
    from trillion.plan.train import plan_training
    from trillion.scaling.laws import EPOCH_REFIT
    from trillion.serve.plan import plan_serving

    if entry is not None:
        spec = entry.spec
    elif spec is None:
        spec, entry = _resolve(name)
    run = entry.training if entry is not None else None
    if seq_len is not None:
        seq_fig = given(seq_len, "tokens", "--seq-len")
    elif run is not None and run.seq_len:
        seq_len, seq_fig = run.seq_len, published(run.seq_len, "tokens", run.source)
    else:
        seq_len, seq_fig = 4096, default(4096, "tokens", "the common pre-training sequence length")
    c = count(spec, seq_len)
    tick()
    catalog_src = (
        f"{entry.source.get('title', '')} (catalog {entry.name}, status {entry.status})" if entry else None
    )
    arch_how = f"the architecture in {'catalog ' + entry.name if entry else name} (status {entry.status if entry else 'config.json'})"

    def arch(value: Any, unit: str, counted: bool = True) -> dict[str, Any]:
        if entry is not None and entry.status == "published" and not counted:
            return published(value, unit, catalog_src or "")
        if entry is None or entry.status == "published":  # a published or given architecture: exact
            return exact(value, unit, arch_how)
        return estimated(value, unit, f"exact counting of {arch_how}")

    a = spec.attention
    report: dict[str, Any] = {
        "model": spec.name,
        "display_name": entry.display_name if entry else spec.name,
        "status": entry.status if entry else "config.json",
        "status_note": {
            "published": "architecture published by its developer",
            "estimate": "architecture unpublished: trillion's labelled estimate",
            "rumoured": "architecture from rumour, not from the developer",
        }.get(entry.status if entry else "", "a local config.json"),  # fmt: skip
        "architecture": {
            "layers": arch(spec.num_layers, "layers", False),
            "hidden_size": arch(spec.hidden_size, "", False),
            "attention": arch(
                f"{type(a).__name__.lower() if type(a).__name__ == 'MLA' else getattr(a, 'kind', 'mla')}",
                "",
                False,
            ),
            "experts": arch(
                f"{spec.moe.num_experts} routed, top-{spec.moe.top_k}" if spec.moe else "dense", "", False
            ),
            "total_params": arch(c.total_params, "parameters"),
            "active_params": arch(c.active_params.total, "parameters"),
            "forward_flop_per_token": arch(c.forward_flop_per_token, "FLOP", True),
            "weight_bytes_bf16": arch(c.weight_bytes["bf16"], "bytes"),
            "kv_bytes_per_token_bf16": arch(c.kv_cache_bytes_per_token["bf16"], "bytes"),
        },
    }
    if tokens is not None:
        tokens_fig = given(tokens, "tokens", "--tokens")
    else:
        tokens, tokens_fig = model_tokens(spec, entry)
    if tokens_fig.get("note", "").startswith("estimated"):
        tokens_fig = default(
            tokens, "tokens", "Chinchilla's 20 tokens per active parameter (tokens unpublished)"
        )
    cname = cluster or (run.cluster if run and not (gpu or gpus) else None)
    if cname:
        cl = find_cluster(cname)
        if gpus:
            from dataclasses import replace

            cl = replace(cl, name=f"{cl.name} as {gpus:,} devices", num_devices=gpus).validate()
        what = f"{cl.name}: {cl.num_devices:,} x {cl.accelerator.display_name}"
        cluster_fig = (given(what, "", "--cluster") if cluster
                       else published(what, "", cl.source or cname))  # fmt: skip
    elif gpu or gpus:
        acc = find_accelerator(gpu or DEFAULT_CLUSTER[0])
        cl = make_cluster(acc, gpus or DEFAULT_CLUSTER[1])
        cluster_fig = given(f"{cl.num_devices:,} x {acc.display_name}", "", "--gpu / --gpus")
    else:
        cl = make_cluster(find_accelerator(DEFAULT_CLUSTER[0]), DEFAULT_CLUSTER[1])
        cluster_fig = default(
            f"{cl.num_devices:,} x {cl.accelerator.display_name}", "", "16,384 H100, Llama 3 405B's scale: the real cluster is unpublished"
        )  # fmt: skip
    if precision:
        prec_fig = given(precision, "", "--precision")
    elif run and run.precision:
        precision, prec_fig = run.precision, published(run.precision, "", run.source)
    else:
        precision = DEFAULT_PRECISION if "bf16" in cl.accelerator.peak_flop_per_s else "fp16"
        prec_fig = default(precision, "", "bf16 mixed precision (fp16 where the device has no bf16)")
    batch = global_batch or (run.global_batch if run and not global_batch else None)
    plan = plan_training(spec, cl, tokens=tokens, seq_len=seq_len, precision=precision, global_batch=batch)
    tick()
    if global_batch:
        batch_fig = given(global_batch, "sequences", "--global-batch")
    elif batch:
        batch_fig = published(batch, "sequences", run.source if run else "")
    else:
        batch_fig = default(
            plan.global_batch,
            "sequences",
            "searched by the planner, 0.5-2x DeepSeek LLM's compute-optimal batch",
        )
    how_plan = (
        f"the training planner (searched layout on {cl.name}, {precision}; calibrated on vTrain A100 runs)"
    )
    train: dict[str, Any] = {"tokens": tokens_fig, "cluster": cluster_fig, "fits": plan.fits}
    if plan.fits:
        train.update(
            layout=estimated(plan.layout.label() if plan.layout else "", "", how_plan),
            mfu=estimated(plan.mfu, "fraction of peak", how_plan),
            train_flop=estimated(plan.train_flop, "FLOP", "3 x forward FLOP per token x tokens (accounting)"),
            wall_clock_days=estimated(
                plan.wall_clock_days,
                "days (p10/p50/p90)",
                how_plan
                + " and goodput from interruptions, restarts and checkpoints (trillion.plan.reliability)",
            ),
            accelerator_hours=estimated(plan.accelerator_hours, "device-hours (p10/p50/p90)", how_plan),
            speed_of_light_days=estimated(
                plan.speed_of_light_days, "days", how_plan + ": steps only, no failures, step time P50"
            ),
            planned_days=estimated(
                plan.planned_days,
                "days (p10/p50/p90)",
                how_plan + " with interruptions, restarts and checkpoints",
            ),
            reality_gap=estimated(
                plan.wall_clock_days["p50"] / plan.planned_days["p50"],
                "expected / planned (P50)",
                REALITY_GAP_SOURCE,
            ),
        )
        fp = footprint_of_plan(plan, region=region, **({"price": price} if price is not None else {}))
        shown = fp.to_dict()  # display units (MWh, t, m3)
        price_note = next((a for a in fp.assumptions if a["name"] == "price"), None)
        if price is not None:
            price_fig = given(price.label(), "USD per device-hour", "--price")
        elif price_note and price_note["value"] != "none":
            price_fig = published(price_note["value"], "USD per device-hour", price_note["source"])
        else:
            price_fig = default("none", "", f"no shipped price for {cl.accelerator.name}: pass --price")
        tick()
        how_fp = f"the footprint model (region {region}; every assumption listed with its source)"
        report["footprint"] = {
            "energy_mwh": estimated(
                {k: shown["energy_mwh"][k] for k in ("p10", "p50", "p90")},
                "MWh facility (p10/p50/p90)",
                how_fp,
            ),
            "co2e_location_t": estimated(shown["co2e_t"]["location"], "t CO2e (p10/p50/p90)", how_fp),
            "co2e_embodied_t": estimated(shown["co2e_t"]["embodied"], "t CO2e (p10/p50/p90)", how_fp),
            "water_m3": estimated(
                {k: shown["water_m3"][k] for k in ("p10", "p50", "p90")}, "m3 (p10/p50/p90)", how_fp
            ),
            "cost_usd": estimated(fp.cost_usd, "USD (p10/p50/p90)", how_fp) if fp.cost_usd else None,
            "assumptions": fp.assumptions,
            "chart_svg": plots.energy_svg(
                shown["energy_mwh"]["breakdown_p50"],
                {k: shown["energy_mwh"][k] for k in ("p10", "p50", "p90")},
            ),
        }
    else:
        train["reason"] = plan.reason
        price_fig = default("none", "", "no footprint: the plan does not fit")
    report["training"] = train
    report["setup"] = {
        "model": (published if entry is not None and entry.status == "published" else estimated)(
            f"{report['display_name']} ({report['status_note']})", "", catalog_src or arch_how
        ),
        "tokens": tokens_fig,
        "cluster": cluster_fig,
        "precision": prec_fig,
        "global_batch": batch_fig,
        "seq_len": seq_fig,
        "framework": default("deepspeed", "", "the planner's default profile, fitted on vTrain's runs"),
        "price": price_fig,
        "region": region_fig,
        "serving_hardware": serve_fig,
        "serving_workload": default(
            f"{SERVE_PROMPT} in / {SERVE_OUTPUT} out", "tokens per query", "a chat-like query"
        ),
    }
    pub = published_training(spec.name)
    if pub:
        report["published_training"] = {
            k: published(float(pub[k]), unit, pub["source"])
            for k, unit in (("accelerator_hours", f"{pub['accelerator']}-hours"), ("energy_mwh", "MWh"),
                            ("tco2e", "t CO2e"), ("cost_usd", "USD"))
            if pub[k]
        }  # fmt: skip
        report["published_vs_replay"] = replay_rows(pub, plan, region, price)
        tick()
    n_act = float(c.active_params.total)
    n_opt, d_opt = (float(x) for x in EPOCH_REFIT.compute_optimal(6 * n_act * tokens))
    how_law = "Epoch AI's refit of Chinchilla (Besiroglu et al. 2024), active parameters for MoE (a dense law: indicative)"
    report["scaling"] = {
        "train_compute_6nd": estimated(6 * n_act * tokens, "FLOP", "6 x active parameters x tokens"),
        "predicted_loss": estimated(float(EPOCH_REFIT.loss(n_act, tokens)), "nats/token", how_law),
        "tokens_per_active_param": estimated(
            tokens / n_act, "tokens/parameter", "tokens over active parameters"
        ),
        "compute_optimal_params": estimated(n_opt, "parameters", how_law),
        "compute_optimal_tokens": estimated(d_opt, "tokens", how_law),
        "chart_svg": plots.frontier_svg(n_act, tokens),
    }
    serve_acc = find_accelerator(serve_gpu)
    serving = []
    sweeps: dict[str, list[dict[str, Any]]] = {}
    operating: dict[str, dict[str, Any]] = {}  # each precision's operating point, as the table quotes it
    target_s = 0.0
    for w in serve_weights:
        tick()
        sp = plan_serving(spec, serve_acc, weights=w, prompt=SERVE_PROMPT, output=SERVE_OUTPUT)
        sfp = footprint_of_serving(sp, serve_acc, region=region).to_dict() if sp.fits else {}
        how_s = (f"the serving planner ({w} weights on {serve_acc.name}, {SERVE_PROMPT} in / {SERVE_OUTPUT} out "
                 "(trillion's default workload), calibrated on ML.ENERGY vLLM runs)")  # fmt: skip
        row: dict[str, Any] = {
            "weights": w,
            "fits": sp.fits,
            "min_devices": estimated(sp.min_devices_by_precision[w], "devices", how_s),
        }
        if not sp.fits:
            row["reason"] = sp.reason
        if sp.fits:
            sweeps[w] = sp.sweep
            operating[w] = {
                "batch": sp.batch,
                "tpot_s": sp.tpot_s,
                "tokens_per_s_per_device": sp.tokens_per_s_per_device,
            }
            target_s = sp.latency_target_s
            lay = sp.layout
            label = f"{sp.devices_per_replica} x {serve_acc.name}: " + ",".join(
                f"{k}={lay[k]}" for k in ("tp", "pp", "dp", "ep") if lay.get(k, 1) > 1
            )
            row.update(
                layout=estimated(label.rstrip(": ") if label.endswith(": ") else label, "", how_s),
                requests_per_s_per_replica=estimated(sp.tokens_per_s_per_replica / SERVE_OUTPUT, "requests/s", how_s),
                tokens_per_s_per_device=estimated(sp.tokens_per_s_per_device, "tokens/s", how_s),
                energy_wh_per_query=estimated(sfp["energy_wh_per_query"]["p50"], "Wh (facility)", how_s),
                cost_usd_per_million_tokens=estimated(sfp["cost_usd_per_million_tokens"]["p50"], "USD", how_s)
                if sfp["cost_usd_per_million_tokens"] else None,
            )  # fmt: skip
        serving.append(row)
    report["serving"] = serving
    if sweeps:
        report["serving_chart_svg"] = plots.serving_svg(
            sweeps, serve_acc.name, latency_target_s=target_s, operating=operating
        )
    report["benchmarks"] = benchmark_scores(spec.name)
    if hidden_costs and plan.fits:
        from trillion.report.over_time import hidden_costs as over_time

        tick()
        report["hidden_costs"] = over_time(
            spec, tokens, region=region, plan=plan if precision == "bf16" else None
        )
    elif hidden_costs:
        report["hidden_costs"] = {"reason": "no training plan fits, so no costs to carry over time"}
    report["sources"] = sorted(_sources(report))
    return report


def _sources(node: Any, out: set[str] | None = None) -> set[str]:
    out = set() if out is None else out
    if isinstance(node, dict):
        if "source" in node and isinstance(node["source"], str) and node["source"]:
            out.add(node["source"])
        for v in node.values():
            _sources(v, out)
    elif isinstance(node, list):
        for v in node:
            _sources(v, out)
    return out


def figures(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every figure (a dict with "value") in the report, with its path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "value" in node:
            found.append((path, node))
        else:
            for k, v in node.items():
                if k not in ("assumptions",):
                    found.extend(figures(v, f"{path}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.extend(figures(v, f"{path}/{i}"))
    return found


def check_sourced(report: dict[str, Any]) -> list[str]:
    """Paths of figures with neither a source nor an "estimated by trillion from ..." note."""
    bad = []
    for path, f in figures(report):
        src, note = f.get("source"), f.get("note", "")
        if not (isinstance(src, str) and src.strip()) and not note.startswith(NOTE_PREFIX):
            bad.append(path)
    return bad


def require_model(name: str) -> None:
    if not name or len(name) > 300:
        raise InputError("model", None, "give a catalog name or a config.json path")
