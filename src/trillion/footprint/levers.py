"""Efficiency levers for one model: what each does to training and serving cost, energy and
carbon (trillion's estimate: the planners and the footprint model run on the changed set-up),
beside the published quality effect it rests on (``catalog/trends/lever_quality.csv``), kept apart.

Baseline: the report's defaults (training on 16,384 H100 in bf16; serving bf16 weights and KV on
H200, 1,000 tokens in / 500 out; the world-average grid). Each lever changes one thing:

- quantisation: serving weights fp8 / int8 / int4 / fp4, the KV cache in fp8, training in fp8;
- MoE vs dense at equal quality (MoE models): a dense model needing `DENSE_EQUIVALENT` times the
  training FLOP (published MoE-vs-dense compute ratios; the scaling module's fine-grained MoE law
  ships no constants, so none can be used), served as the nearest-sized dense catalog model;
- distillation: serving a ~32B dense student (the size of DeepSeek-R1-Distill-Qwen-32B);
- newer hardware: training and serving on B200;
- a cleaner grid: the same energy on a low-carbon grid (`CLEAN_REGION`), and the world grid's own
  trend to 2030 (`trillion.trends`);
- all together: B200, fp8 training, fp4 weights and fp8 KV, the clean grid.

A lever's quality effect is the published one, per variant: the median recovery (lever score /
baseline score) over the published rows, their range and count; trillion estimates none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trillion.catalog import DEFAULT_CLUSTER, SERVE_GPU
from trillion.dist import Dist

(TRAIN_GPU, TRAIN_DEVICES), NEW_GPU = DEFAULT_CLUSTER, "b200"
CLEAN_REGION = "FRA"  # France: 44 g CO2e/kWh (Ember 2024), a large nuclear and hydro grid
STUDENT_PARAMS = (
    32e9  # the size of DeepSeek-R1-Distill-Qwen-32B: the student is the nearest dense catalog model
)
GRID_YEAR = 2030
DENSE_EQUIVALENT = Dist.uniform(
    1 / 0.575, 1 / 0.396,
    "dense FLOP for MoE quality: DeepSeekMoE 16B matches LLaMA2 7B at 39.6% of its FLOP (Dai et al. 2024); "
    "DeepSeek-V2 saves 42.5% of DeepSeek 67B's training cost (DeepSeek-AI 2024)",
)  # fmt: skip
# lever -> the published rows its quality effect comes from: (lever, variant, training rows or not)
QUALITY_VARIANT = {
    "fp8 weights": ("quantisation", "fp8-weights-acts", False),
    "int8 weights": ("quantisation", "int8-w8a8", False),
    "int4 weights": ("quantisation", "int4-weights (w4a16)", False),
    "fp4 weights": ("quantisation", "fp4 (nvfp4/mxfp4)", False),
    "fp8 KV cache": ("quantisation", "kv-fp8", False),
    "fp8 training": ("quantisation", "fp8-weights-acts", True),
    "distillation to 32B": ("distillation", "sft-on-teacher-samples", False),
    "dense at equal quality": ("moe", "", False),
}


@dataclass
class Setup:
    """One configuration of training and serving."""

    name: str
    train_gpu: str = TRAIN_GPU
    precision: str = "bf16"
    serve_gpu: str = SERVE_GPU
    weights: str = "bf16"
    kv: str = "bf16"
    region: str | None = None
    intensity: float | None = None  # g CO2e/kWh, overrides the region
    serve_model: Any = None  # a different spec served (distillation, the dense counterpart)
    train_flop_factor: float | Dist | None = None  # training FLOP scaled (the dense counterpart)
    note: str = ""
    changes: tuple[str, ...] = field(default=())  # "train", "serve", "carbon"


def quality(lever: str) -> dict[str, Any] | None:
    """The published quality effect of `lever`: median, min and max recovery (% of the baseline's
    score), the number of published rows, their models and sources."""
    from trillion.catalog.trend_data import table

    key = QUALITY_VARIANT.get(lever)
    if key is None:
        return None
    rows = [r for r in table("lever_quality") if r["lever"] == key[0] and (not key[1] or r["variant"] == key[1])
            and r["benchmark"].startswith("training") == key[2]]  # fmt: skip
    rec = [float(r["recovery_pct"]) for r in rows if r["recovery_pct"]]
    if not rows:
        return None
    out: dict[str, Any] = {"lever": key[0], "variant": key[1] or "all", "rows": len(rows),
                           "models": sorted({r["model"] for r in rows})[:6],
                           "sources": sorted({r["source"] for r in rows})}  # fmt: skip
    if rec:
        out.update(median_pct=float(np.median(rec)), min_pct=min(rec), max_pct=max(rec), scored=len(rec))
    return out


def _nearest_dense(params: float) -> Any:
    """The published dense decoder in the catalog whose total parameters are nearest `params` (in
    log), the stand-in served for a dense model of that size."""
    from trillion.catalog import catalog
    from trillion.count import count

    best = None
    for e in catalog().values():
        spec = e.spec
        if e.status != "published" or spec.moe is not None or spec.layers or spec.num_encoder_layers:
            continue
        n = count(spec).total_params
        if best is None or abs(np.log(n / params)) < abs(np.log(best[1] / params)):
            best = (spec, n)
    assert best is not None
    return best[0]


def setups(spec: Any) -> list[Setup]:
    """The baseline and every lever for `spec`, in the order the table shows them."""
    from trillion.count import count

    c = count(spec)
    out = [
        Setup("baseline", note="the report's defaults"),
        Setup("fp8 training", precision="fp8", changes=("train",)),
        Setup("fp8 weights", weights="fp8", changes=("serve",)),
        Setup("int8 weights", weights="int8", changes=("serve",)),
        Setup("int4 weights", weights="int4", changes=("serve",)),
        Setup("fp4 weights", weights="fp4", changes=("serve",)),
        Setup("fp8 KV cache", kv="fp8", changes=("serve",)),
    ]
    if spec.moe is not None:
        k = DENSE_EQUIVALENT
        dense = _nearest_dense(c.active_params.total * k.median)
        out.append(Setup("dense at equal quality", serve_model=dense, train_flop_factor=k, changes=("train", "serve"),
                         note=f"training FLOP x{k.label()}; served as {dense.name}, the nearest-sized dense catalog model"))  # fmt: skip
    student = _nearest_dense(STUDENT_PARAMS)
    if count(student).total_params < c.total_params:
        out.append(Setup("distillation to 32B", serve_model=student, changes=("serve",),
                         note=f"serving {student.name}; the distillation run itself (teacher samples, student "
                              "fine-tuning) is not counted"))  # fmt: skip
    out += [
        Setup(f"newer hardware ({NEW_GPU})", train_gpu=NEW_GPU, serve_gpu=NEW_GPU, changes=("train", "serve")),
        Setup(f"cleaner grid ({CLEAN_REGION})", region=CLEAN_REGION, changes=("carbon",)),
        Setup(f"world grid in {GRID_YEAR} (trend)", changes=("carbon",), note="the World grid trend's P50"),
        Setup("all together", train_gpu=NEW_GPU, precision="fp8", serve_gpu=NEW_GPU, weights="fp4", kv="fp8",
              region=CLEAN_REGION, changes=("train", "serve", "carbon"),
              note=f"{NEW_GPU}, fp8 training, fp4 weights, fp8 KV, {CLEAN_REGION} grid"),
    ]  # fmt: skip
    return out


def _grid_in(year: int) -> float:
    from trillion.trends.series import grid

    return float(grid("World").fit().predict(year, new_point=False)[0, 1])


def _kw(s: Setup) -> dict[str, Any]:
    kw: dict[str, Any] = {"region": s.region or "World"}
    if s.intensity is not None:
        kw["intensity"] = Dist.point(s.intensity)
    return kw


def _plan(spec: Any, tokens: int, gpu: str, precision: str) -> Any:
    from trillion.catalog.hardware import find_accelerator, make_cluster
    from trillion.plan.train import plan_training

    cluster = make_cluster(find_accelerator(gpu), TRAIN_DEVICES)
    return plan_training(spec, cluster, tokens=tokens, seq_len=4096, precision=precision)


def _train(plan: Any, s: Setup, seed: int) -> dict[str, Any]:
    from trillion.footprint.of_train import footprint_of_plan

    if not plan.fits:
        return {"reason": plan.reason}
    fp = footprint_of_plan(plan, seed=seed, **_kw(s))
    k = s.train_flop_factor.median if isinstance(s.train_flop_factor, Dist) else (s.train_flop_factor or 1.0)
    return {"cost_usd": fp.cost_usd["p50"] * k if fp.cost_usd else None, "energy_mwh": fp.energy_j["p50"] * k / 3.6e9,
            "co2e_t": fp.co2e_g["location"]["p50"] * k / 1e6, "days": plan.wall_clock_days["p50"], "mfu": plan.mfu}  # fmt: skip


def _serve(sp: Any, model: Any, s: Setup, seed: int) -> dict[str, Any]:
    from trillion.catalog.hardware import find_accelerator
    from trillion.footprint.of_serve import footprint_of_serving

    if not sp.fits:
        return {"reason": sp.reason}
    sf = footprint_of_serving(sp, find_accelerator(s.serve_gpu), seed=seed, **_kw(s))
    usd = sf.cost_usd_per_million_tokens["p50"] if sf.cost_usd_per_million_tokens else None
    return {"usd_per_m_tokens": usd, "wh_per_query": sf.energy_j_per_query["p50"] / 3600,
            "g_co2e_per_query": sf.co2e_g_per_query["p50"], "devices": sp.devices_per_replica, "model": model.name}  # fmt: skip


def levers(spec: Any, tokens: int, *, seed: int = 0, baseline_plan: Any = None) -> dict[str, Any]:
    """Every lever of `spec` trained on `tokens`: absolute figures (P50), ratios to the baseline,
    and the published quality effect. ``assumptions`` lists what each rests on. `baseline_plan`:
    a bf16 training plan already made (the report's), used if its cluster, sequence and tokens are
    the baseline's."""
    rows: list[dict[str, Any]] = []
    from trillion.catalog.hardware import find_accelerator
    from trillion.serve.plan import plan_serving

    plans: dict[tuple, Any] = {}  # one plan per distinct hardware set-up; the grid only re-prices it
    b = baseline_plan
    if (b is not None and b.cluster.accelerator.name == TRAIN_GPU and b.cluster.num_devices == TRAIN_DEVICES
            and b.seq_len == 4096 and b.tokens == tokens):  # fmt: skip
        plans[("train", TRAIN_GPU, "bf16")] = b
    trained: dict[tuple, dict[str, Any]] = {}
    served: dict[tuple, dict[str, Any]] = {}
    for s in setups(spec):
        if s.name.startswith("world grid in"):
            s.intensity = _grid_in(GRID_YEAR)
            s.note = f"World grid trend P50 in {GRID_YEAR}: {s.intensity:.0f} g CO2e/kWh (extrapolation)"
        grid_key = (s.region, s.intensity)
        tk = (s.train_gpu, s.precision, str(s.train_flop_factor), *grid_key)
        sk = (s.serve_gpu, s.weights, s.kv, getattr(s.serve_model, "name", None), *grid_key)
        if tk not in trained:
            pk: tuple = ("train", s.train_gpu, s.precision)
            if pk not in plans:
                plans[pk] = _plan(spec, tokens, s.train_gpu, s.precision)
            trained[tk] = _train(plans[pk], s, seed)
        if sk not in served:
            model = s.serve_model or spec
            pk = ("serve", s.serve_gpu, s.weights, s.kv, model.name)
            if pk not in plans:
                plans[pk] = plan_serving(model, find_accelerator(s.serve_gpu), weights=s.weights, kv=s.kv)
            served[sk] = _serve(plans[pk], model, s, seed)
        rows.append(
            {
                "lever": s.name,
                "note": s.note,
                "changes": list(s.changes),
                "train": trained[tk],
                "serve": served[sk],
            }
        )
    base = rows[0]
    for r in rows:
        r["ratio"] = {}
        for part, keys in (("train", ("cost_usd", "energy_mwh", "co2e_t")),
                           ("serve", ("usd_per_m_tokens", "wh_per_query", "g_co2e_per_query"))):  # fmt: skip
            for k in keys:
                a, b = r[part].get(k), base[part].get(k)
                r["ratio"][f"{part}_{k}"] = a / b if a is not None and b else None
        r["quality"] = quality(r["lever"])
    from trillion.units import format_count

    assumptions = [
        {"name": "baseline", "value": f"{TRAIN_DEVICES:,} x {TRAIN_GPU} bf16 training on {format_count(tokens)} tokens; "
                                      f"{SERVE_GPU} bf16 serving, 1,000 in / 500 out; World grid",
         "source": "the report's defaults (trillion report)"},
        {"name": "MoE dense equivalent", "value": f"x{DENSE_EQUIVALENT.label()} training FLOP", "source": DENSE_EQUIVALENT.source},
        {"name": "distillation student", "value": f"the dense catalog model nearest {STUDENT_PARAMS / 1e9:.0f}B",
         "source": "the size of DeepSeek-R1-Distill-Qwen-32B (DeepSeek-AI 2025, Table 5)"},
        {"name": "newer hardware", "value": find_accelerator(NEW_GPU).name, "source": "catalog accelerator; price from catalog/footprint/prices.csv"},
        {"name": "cleaner grid", "value": CLEAN_REGION, "source": "catalog/footprint/grid_intensity.csv"},
        {"name": "quality", "value": "published recovery, median (range) over rows",
         "source": "catalog/trends/lever_quality.csv: trillion estimates no quality effect"},
    ]  # fmt: skip
    return {"model": spec.name, "tokens": tokens, "levers": rows, "assumptions": assumptions}
