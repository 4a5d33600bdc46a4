"""A serving plan: memory, minimum hardware, layout, batch, latency, throughput and per-query
energy, carbon, water and cost — `plan_serving`, and `fit_options` (what makes a model fit).

Memory per device (vLLM's accounting): dense weights / (tp pp) + routed experts / (dp tp pp) +
runtime overhead + activation workspace, within ``gpu_memory_utilization`` of HBM; the rest holds
the KV cache of the device's own sequences. A replica is laid out as `ServeLayout` says (tensor,
pipeline, attention data and expert parallel); by default ``tp`` devices on one scale-up domain
times ``pp`` stages; replicas add data parallelism.
The plan ends at device time: device-seconds per output token, the accelerators' activity and
power at the chosen operating point (the serving model's, fitted on ML.ENERGY); pricing it into IT
and facility energy, carbon, water and money is `trillion.footprint.of_serve`'s job.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from trillion.catalog.hardware import IDLE_OF_TDP
from trillion.count.dims import ServeDims, serve_dims
from trillion.errors import InputError
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import (
    ServeCalibration,
    Speculation,
    all_to_all_s,
    decode_step,
    load_serve_calibration,
    prefill_compute_s,
    prefill_s,
)
from trillion.spec.hardware import Accelerator
from trillion.spec.model import ModelSpec

MAX_BATCHED_TOKENS = 8192  # vLLM's chunked-prefill token budget per step (profiled at start-up)
WORKSPACE_WIDTHS = 12  # activation bytes per token ~ 12 hidden widths (bf16): assumption
LOGIT_ROWS = 256  # fp32 logits only for sampled positions (at most max_num_seqs; vLLM's default 256)
DEVICE_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
PRECISIONS = ("bf16", "fp8", "int8", "int4", "fp4")
DEFAULT_LATENCY_S = 0.050  # time per output token target when none is given
MAX_UTILISATION = 0.85  # a fleet sized for a load keeps this much of its capacity busy at most (assumption)


@dataclass(frozen=True, kw_only=True, slots=True)
class Memory:
    weights: float
    runtime: float
    workspace: float
    kv_capacity: float  # bytes left for the KV cache per device
    usable: float

    def to_dict(self) -> dict[str, float]:
        return {
            k: float(getattr(self, k)) for k in ("weights", "runtime", "workspace", "kv_capacity", "usable")
        }


def memory_per_device(d: ServeDims, acc: Accelerator, lay: ServeLayout, cal: ServeCalibration) -> Memory:
    usable = acc.memory_bytes * cal.gpu_memory_utilization
    experts = d.expert_bytes * d.num_experts * d.num_moe_layers
    copies = (d.num_experts + lay.redundant) / d.num_experts if d.num_experts else 1.0
    weights = ((d.weight_bytes - experts) / lay.tp + experts * copies / lay.stage_devices) / lay.pp
    workspace = MAX_BATCHED_TOKENS * WORKSPACE_WIDTHS * d.hidden * 2 + LOGIT_ROWS * d.vocab * 4
    return Memory(
        weights=weights,
        runtime=cal.runtime_overhead_bytes,
        workspace=workspace,
        kv_capacity=usable - weights - cal.runtime_overhead_bytes - workspace,
        usable=usable,
    )


def sequence_bytes_per_device(d: ServeDims, lay: ServeLayout, context: float) -> float:
    """One sequence's KV cache (windows and chunks capped) and recurrent state on each device of
    its attention group (GQA heads split over tp; MLA's latent copied on every tp rank, vLLM)."""
    return float(d.kv_bytes(context)) * d.kv_shard(lay.tp) / lay.pp + d.state_bytes / (lay.tp * lay.pp)


def max_concurrency(d: ServeDims, mem: Memory, lay: ServeLayout, context: float) -> int:
    """Sequences a replica holds at `context` tokens: each attention group holds its own."""
    return lay.dp * int(max(0.0, mem.kv_capacity) // sequence_bytes_per_device(d, lay, context))


def split(acc: Accelerator, n: int) -> ServeLayout:
    """The default layout of a replica of `n` devices: tensor parallel inside the scale-up domain
    (at most 8 ranks: vLLM's practice), pipeline stages beyond."""
    tp = min(n, acc.scale_up_domain, 8)
    if n % tp:
        raise InputError("gpus", None, f"{n} devices do not split into tensor-parallel groups of {tp}")
    return ServeLayout(tp=tp, pp=n // tp)


def min_devices(d: ServeDims, acc: Accelerator, context: int, cal: ServeCalibration) -> int | None:
    """Fewest devices (a power of two) whose KV room holds one sequence of `context` tokens."""
    for n in DEVICE_COUNTS:
        lay = split(acc, n)
        mem = memory_per_device(d, acc, lay, cal)
        if mem.kv_capacity >= sequence_bytes_per_device(d, lay, context):
            return n
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Operating:
    """One replica at one batch (concurrent sequences): latency, throughput and power."""

    batch: int
    tpot_s: float
    tokens_per_s_per_replica: float
    compute_share: float
    activity: float
    gpu_w: float


def prefill_s_per_token(
    d: ServeDims, acc: Accelerator, lay: ServeLayout, prompt: float, cal: ServeCalibration, cache_hit: float = 0.0
) -> float:  # fmt: skip
    """Seconds of one attention group per prompt token (the stages in turn, cached tokens free):
    its compute, and with ep > 1 its tokens' dispatch and combine (the all-to-all grows with the
    tokens; tensor-parallel all-reduces stay inside the fitted prefill efficiency, as calibrated)."""
    compute = prefill_compute_s(d, acc, cal, prompt, cache_hit, lay) / prompt
    if lay.ep <= 1:
        return compute
    new = max(1.0, prompt * (1 - cache_hit))
    per_layer = float(np.asarray(all_to_all_s(new / lay.tp, d, lay, acc, cal))) - float(
        np.asarray(all_to_all_s(0.0, d, lay, acc, cal))
    )
    return compute + d.num_moe_layers * per_layer * (1 - cal.overlap) / prompt


def operating_points(
    d: ServeDims,
    acc: Accelerator,
    lay: ServeLayout,
    batches: np.ndarray,
    prompt: float,
    output: float,
    cal: ServeCalibration,
    *,
    spec: Speculation | None = None,
    cache_hit: float = 0.0,
    decode_only: bool = False,
) -> list[Operating]:
    """Steady-state continuous batching of `batches` concurrent sequences per replica (split over
    its ``dp`` attention groups and ``pp`` micro-batches in flight): each decode step also
    prefills its share of new prompts (prompt/output prompt tokens per output token, the cached
    share skipped; chunked prefill) unless `decode_only` (a decode pool of a disaggregated
    deployment: prompts arrive prefilled, their KV transferred)."""
    context = prompt + output / 2  # mean context over a sequence's life
    # sequences stepping together per group; fewer sequences than groups x micro-batches leave some
    # idle, and a step never costs less than one sequence's
    micro = np.maximum(1.0, np.asarray(batches, dtype=float) / (lay.dp * lay.pp))
    st = decode_step(d, acc, lay, micro, context, cal, spec)
    per_prompt = prefill_s_per_token(d, acc, lay, prompt, cal, cache_hit)
    prefill_per_step = 0.0 if decode_only else micro * st.tokens_per_step * (prompt / output) * per_prompt
    step = st.total_s + prefill_per_step
    tpot = step / st.tokens_per_step
    share = np.minimum(1.0, (st.compute_s + prefill_per_step) / step)
    activity = cal.memory_bound_activity + (1 - cal.memory_bound_activity) * share
    tdp = acc.tdp_w or 0.0
    idle = IDLE_OF_TDP.median * tdp
    gpu_w = idle + (tdp - idle) * activity
    return [
        Operating(
            batch=int(b),
            tpot_s=float(t),
            tokens_per_s_per_replica=float(b / t),  # b sequences, each one token per t
            compute_share=float(s),
            activity=float(a),
            gpu_w=float(w),
        )
        for b, t, s, a, w in zip(batches, tpot, share, activity, gpu_w, strict=True)
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class ServePlan:
    model: str
    accelerator: str
    weights: str
    kv: str
    context: int
    prompt: int
    output: int
    fits: bool
    reason: str
    devices: int
    devices_per_replica: int
    layout: dict[str, int]
    memory_bytes: dict[str, float]
    max_concurrency: int
    batch: int
    meets_latency_target: bool
    latency_target_s: float
    ttft_s: float
    tpot_s: float
    tokens_per_s_per_device: float
    tokens_per_s_per_replica: float
    device_s_per_output_token: float  # device-seconds per output token at the operating point
    activity: float  # accelerator activity (0 idle - 1 full) at the operating point
    accelerator_w: float  # accelerator power at that activity (the serving power model)
    accelerator_j_per_output_token: float
    sweep: list[dict[str, float]]
    min_devices_by_precision: dict[str, int | None]
    quality: list[dict[str, str]]
    assumptions: list[dict[str, str]] = field(default_factory=list)
    load: dict[str, Any] | None = None  # latency under an arrival rate (`--qps`), per replica
    disaggregated: dict[str, Any] | None = None  # the prefill and decode pools (`plan_disaggregated`)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def quality_rows(weights: str) -> list[dict[str, str]]:
    """Published quality effects of `weights` (catalog/serving/quantization_quality.csv)."""
    path = Path(str(resources.files("trillion.catalog") / "serving" / "quantization_quality.csv"))
    with path.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["weights"] == weights]


def _batches(limit: int, step: int = 1) -> np.ndarray:
    """Concurrencies to try, up to `limit`: powers of two and the limit, multiples of `step` (one
    sequence per attention group and micro-batch at least)."""
    pts = sorted({step, *(2**i * step for i in range(0, 14) if 2**i * step <= limit), limit // step * step})
    return np.asarray([p for p in pts if step <= p <= limit], dtype=float)


def plan_serving(
    spec: ModelSpec,
    acc: Accelerator,
    *,
    gpus: int | None = None,
    weights: str = "bf16",
    kv: str = "bf16",
    context: int | None = None,
    prompt: int = 1000,
    output: int = 500,
    batch: int | None = None,
    latency_target_s: float | None = None,
    calibration: ServeCalibration | None = None,
    layout: ServeLayout | None = None,
    speculation: Speculation | None = None,
    cache_hit: float = 0.0,
    qps: float | None = None,
    decode_only: bool = False,
) -> ServePlan:
    """Serve `spec` on `acc`: the layout (given; else the fewest devices per replica, tensor then
    pipeline parallel, unless `gpus` is given), the batch (given, or the highest-throughput batch
    whose time per output token meets the target), and per-token / per-query figures. Lengths in
    tokens, times in seconds; `cache_hit` is the share of prompt tokens found in the prefix cache.
    With `qps` (requests per second over the whole deployment) the latencies under that load come
    from `simulate_load`; without `gpus` the fleet is then sized: the fewest replicas that carry
    the load with p90 TPOT within the target, p90 TTFT within 4x idle + 0.5 s and utilisation at
    most `MAX_UTILISATION`."""
    cal = (calibration or load_serve_calibration()).for_device(acc.name)
    d = serve_dims(spec, weights, kv)
    for name, value in (("prompt", prompt), ("output", output)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InputError(name, None, f"must be a positive number of tokens, got {value!r}")
    ctx = context or (prompt + output)
    if prompt + output > ctx:
        raise InputError("context", None, f"prompt + output ({prompt + output}) exceed the context ({ctx})")
    if d.max_context and ctx > d.max_context:
        raise InputError(
            "context", None, f"{ctx} tokens exceed {spec.name}'s maximum context of {d.max_context}"
        )
    if gpus is not None and not 0 < gpus <= 4096:
        raise InputError("gpus", None, f"must be between 1 and 4096 for a serving plan, got {gpus}")
    if batch is not None and not 0 < batch <= 1_000_000:
        raise InputError("batch", None, f"must be between 1 and 1,000,000, got {batch}")
    if isinstance(cache_hit, bool) or not isinstance(cache_hit, int | float) or not 0 <= cache_hit < 1:
        raise InputError("--cache-hit", None, f"must be a share in [0, 1), got {cache_hit!r}")
    if qps is not None and (isinstance(qps, bool) or not isinstance(qps, int | float) or not 0 < qps <= 1e6):
        raise InputError("--qps", None, f"must be a positive rate up to 1e6 requests per second, got {qps!r}")
    target = latency_target_s or DEFAULT_LATENCY_S
    by_precision = {p: min_devices(serve_dims(spec, p, kv), acc, ctx, cal) for p in PRECISIONS}
    need = min_devices(d, acc, ctx, cal)
    assumptions = _assumptions(cal, ctx, prompt, output, target)
    quality = quality_rows(weights)
    if layout is not None:
        layout.validate(d.num_experts, "--layout")
    if need is None or (gpus is not None and gpus < need):
        have = f"{gpus} x " if gpus else ""
        why = (
            f"{spec.name} at {weights} does not fit {have}{acc.name} with room for one {ctx}-token sequence"
            + (f" (needs {need})" if need else f" even on {DEVICE_COUNTS[-1]}")
        )
        return _no_fit(
            spec, acc, d, ctx, prompt, output, gpus or 0, why, by_precision, quality, assumptions, target
        )
    if layout is not None:
        n = layout.devices
        if gpus is not None and gpus % n:
            raise InputError(
                "--layout", None, f"dp * tp * pp = {n} devices per replica do not divide --gpus {gpus}"
            )
        mem = memory_per_device(d, acc, layout, cal)
        if mem.kv_capacity < sequence_bytes_per_device(d, layout, ctx):
            why = (f"{spec.name} at {weights} with {layout.label()} leaves no room on {acc.name} for one "
                   f"{ctx}-token sequence ({mem.weights / 2**30:,.0f} GiB of weights per device)")  # fmt: skip
            return _no_fit(
                spec, acc, d, ctx, prompt, output, gpus or n, why, by_precision, quality, assumptions, target
            )
        candidates = [layout]
    else:
        options = [n for n in DEVICE_COUNTS if n >= need and (gpus is None or gpus % n == 0)][
            : 1 if gpus is None else None
        ]
        if not options:
            raise InputError("gpus", None, f"{gpus} is not a multiple of a replica size >= {need}")
        candidates = [split(acc, n) for n in options]
        if d.num_moe_layers:  # expert parallel with attention data parallel groups (SGLang, DeepSeek)
            for n in options:
                for tp in (1, 8):
                    if n > tp and n % tp == 0 and (-d.num_experts) % n <= d.num_experts // 8:
                        candidates.append(
                            ServeLayout(tp=tp, dp=n // tp, ep=n, redundant=(-d.num_experts) % n)
                        )
    sp = speculation or Speculation()
    if sp.draft_tokens and not sp.draft_cost:
        sp = Speculation(draft_tokens=sp.draft_tokens, acceptance=sp.acceptance, draft_cost=1 / d.num_layers)
    best, tried = None, []
    short: list[str] = []
    for lay in candidates:
        n = lay.devices
        mem = memory_per_device(d, acc, lay, cal)
        if mem.kv_capacity < sequence_bytes_per_device(d, lay, ctx):
            continue  # attention copied on every group leaves no room here
        max_conc = max_concurrency(d, mem, lay, prompt + output / 2)
        if max_conc < lay.dp * lay.pp:
            short.append(
                f"{lay.label()} holds {max_conc} sequences, fewer than its {lay.dp * lay.pp} groups x micro-batches"
            )
            continue
        if batch is not None:
            pts = operating_points(d, acc, lay, np.asarray([min(batch, max_conc)], dtype=float), prompt, output,
                                   cal, spec=sp, cache_hit=cache_hit, decode_only=decode_only)  # fmt: skip
            choice = pts[0]
        else:
            pts = operating_points(d, acc, lay, _batches(max_conc, lay.dp * lay.pp), prompt, output, cal,
                                   spec=sp, cache_hit=cache_hit, decode_only=decode_only)  # fmt: skip
            ok = [p for p in pts if p.tpot_s <= target]
            choice = max(ok, key=lambda p: p.tokens_per_s_per_replica) if ok else pts[0]
        per_device = choice.tokens_per_s_per_replica / n
        tried.append((lay, per_device, choice.tpot_s <= target))
        rank = (choice.tpot_s <= target, per_device)
        if best is None or rank > best[0]:
            best = (rank, lay, mem, max_conc, choice, pts)
    if best is None:
        why = "; ".join(short) or f"no layout of {spec.name} at {weights} fits {acc.name}"
        return _no_fit(
            spec, acc, d, ctx, prompt, output, gpus or 0, why, by_precision, quality, assumptions, target
        )
    _, lay, mem, max_conc, op, pts = best
    if len(tried) > 1:
        shown = "; ".join(f"{c.label()}: {t:,.0f}{'' if meets else ' (misses the target)'}" for c, t, meets in
                          sorted(tried, key=lambda x: (not x[2], -x[1]))[:6])  # fmt: skip
        assumptions.append({"name": "layout", "value": f"{lay.label()}, the most output tokens/s per device "
                            f"within the latency target of {len(tried)} layouts tried ({shown})",
                            "source": "trillion's layout search"})  # fmt: skip
    devices = gpus or lay.devices
    layout_dict = {**lay.to_dict(), "replicas": devices // lay.devices}
    if layout is None and lay.dp == 1:  # tensor x pipeline: experts tensor-parallel with attention (vLLM)
        layout_dict["ep"] = lay.tp if d.num_moe_layers else 1
    if sp.draft_tokens:
        assumptions.append({"name": "speculative decoding", "value": f"{sp.draft_tokens} draft tokens accepted at "
                            f"{sp.acceptance:.0%}: {sp.tokens_per_step:.2f} tokens per step, drafting "
                            f"{sp.draft_cost:.3f} of a step each", "source": "given; Leviathan et al. 2023 (expected tokens)"})  # fmt: skip
    if cache_hit:
        assumptions.append({"name": "prefix-cache hits", "value": f"{cache_hit:.1%} of prompt tokens skip prefill",
                            "source": "given"})  # fmt: skip
    plan = _figures(spec, acc, d, ctx, prompt, output, devices, lay, layout_dict, mem, max_conc, op, pts, target,
                    by_precision, quality, assumptions, cal, batch, cache_hit)  # fmt: skip
    if qps is None:
        return plan
    return _under_load(plan, d, acc, lay, cal, sp, cache_hit, qps, sized=gpus is None)


def _under_load(plan: ServePlan, d, acc, lay, cal, sp, cache_hit, qps, *, sized: bool) -> ServePlan:
    """`plan` with latency percentiles at `qps`; the fleet sized when no device count was given."""
    from dataclasses import replace

    from trillion.serve.load import simulate_load

    # one attention group with its share of the arrivals: the dp groups of a replica step together
    # (every MoE layer exchanges tokens) and are alike, so one stands for all (mean field)
    cap = max(1, plan.batch // lay.dp)  # the engine's max_num_seqs per group: the batch chosen for the target
    batches = np.arange(0, cap + 1, dtype=float)
    steps = decode_step(d, acc, lay, batches / lay.pp, plan.prompt + plan.output / 2, cal, sp).total_s
    # the prompt tokens a step's chunk budget spends are the computed ones (cache hits are free)
    computed = max(1, round(plan.prompt * (1 - cache_hit)))
    per_token = prefill_s_per_token(d, acc, lay, plan.prompt, cal, cache_hit) * plan.prompt / computed

    def run(replicas: int, requests: int = 2000):
        return simulate_load(steps, per_token, computed, plan.output, qps / (replicas * lay.dp),
                             tokens_per_step=sp.tokens_per_step, requests=requests)  # fmt: skip

    def ok(r) -> bool:
        """Sized for: p90 TPOT within the target, p90 TTFT within 4x the idle TTFT + 0.5 s (queueing
        bounded), utilisation at most 85% (headroom for bursts)."""
        inf = float("inf")
        return (r.stable and r.utilisation <= MAX_UTILISATION
                and r.tpot_s.get("p90", inf) <= plan.latency_target_s * 1.05
                and r.ttft_s.get("p90", inf) <= 4 * plan.ttft_s + 0.5)  # fmt: skip

    replicas = plan.layout["replicas"]
    if sized:
        most = max(1, 4096 // lay.devices)
        lo, hi = 1, 1
        while hi < most and not ok(run(hi, 1000)):
            lo, hi = hi + 1, min(most, hi * 2)
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(run(mid, 1000)) else (mid + 1, hi)
        replicas = hi
    result = run(replicas)
    load = {**result.to_dict(), "qps_total": qps, "replicas": replicas, "meets_target": ok(result),
            "capacity_qps_per_replica": result.capacity_qps * lay.dp,
            "method": "discrete-event simulation of continuous batching per replica (trillion.serve.load), "
                      "Poisson arrivals, chunked prefill of 8,192 computed tokens per step, max_num_seqs = the chosen batch; "
                      "met when p90 TPOT is within the target, p90 TTFT within 4x idle + 0.5 s and utilisation <= 85%; "
                      "with dp > 1 one attention group at 1/dp of the replica's arrivals"}  # fmt: skip
    devices = replicas * lay.devices
    return replace(plan, load=load, devices=devices, layout={**plan.layout, "replicas": replicas})


def _figures(spec, acc, d, ctx, prompt, output, devices, lay, layout, mem, max_conc, op, pts, target,
             by_precision, quality, assumptions, cal, batch, cache_hit) -> ServePlan:  # fmt: skip
    n = lay.devices
    device_s_per_token = n * op.tpot_s / op.batch
    assumptions = list(assumptions)
    if batch is not None and batch > max_conc:
        assumptions.append(
            {"name": "batch", "value": f"{batch} capped to {max_conc}", "source": "KV-cache room"}
        )
    return ServePlan(
        model=spec.name, accelerator=acc.name, weights=d.weights, kv=d.kv, context=ctx, prompt=prompt,
        output=output, fits=True, reason="", devices=devices, devices_per_replica=n, layout=layout,
        memory_bytes=mem.to_dict(), max_concurrency=max_conc, batch=op.batch,
        meets_latency_target=op.tpot_s <= target, latency_target_s=target,
        ttft_s=prefill_s(d, acc, lay, prompt, cal, cache_hit), tpot_s=op.tpot_s,
        tokens_per_s_per_device=op.tokens_per_s_per_replica / n,
        tokens_per_s_per_replica=op.tokens_per_s_per_replica, device_s_per_output_token=device_s_per_token,
        activity=op.activity, accelerator_w=op.gpu_w, accelerator_j_per_output_token=op.gpu_w * device_s_per_token,
        sweep=[{"batch": p.batch, "tpot_s": p.tpot_s, "tokens_per_s_per_device": p.tokens_per_s_per_replica / n,
                "gpu_w": p.gpu_w, "accelerator_j_per_token": p.gpu_w * n * p.tpot_s / p.batch} for p in pts],
        min_devices_by_precision=by_precision, quality=quality, assumptions=assumptions,
    )  # fmt: skip


def _no_fit(
    spec, acc, d, ctx, prompt, output, gpus, why, by_precision, quality, assumptions, target
) -> ServePlan:
    nan = float("nan")
    return ServePlan(
        model=spec.name, accelerator=acc.name, weights=d.weights, kv=d.kv, context=ctx, prompt=prompt,
        output=output, fits=False, reason=why, devices=gpus, devices_per_replica=0, layout={},
        memory_bytes={}, max_concurrency=0, batch=0, meets_latency_target=False, latency_target_s=target,
        ttft_s=nan, tpot_s=nan, tokens_per_s_per_device=0.0, tokens_per_s_per_replica=0.0,
        device_s_per_output_token=nan, activity=nan, accelerator_w=nan, accelerator_j_per_output_token=nan, sweep=[],
        min_devices_by_precision=by_precision, quality=quality, assumptions=assumptions,
    )  # fmt: skip


def _assumptions(
    cal: ServeCalibration, ctx: int, prompt: int, output: int, target: float
) -> list[dict[str, str]]:
    s = cal.source
    return [
        {"name": "serving efficiencies", "value": f"HBM {cal.eta_hbm:.2f} (experts x {cal.eta_moe:.2f}), decode GEMM {cal.eta_gemm:.2f}, "
         f"prefill {cal.eta_prefill:.2f}, step overhead {cal.step_overhead_s * 1e3:.1f} ms + "
         f"{cal.per_sequence_s * 1e6:.0f} us per sequence, "
         f"all-reduce latency {cal.allreduce_latency_s * 1e6:.0f} us"
         + (f", KV reads at HBM x {cal.eta_kv:.2f}" if cal.eta_kv is not None else "")
         + (f", routed-expert GEMM share {cal.expert_gemm_share:.2f}" if cal.expert_gemm_share is not None else "")
         + (f", {cal.layer_floor_s * 1e6:.0f} us floor per layer" if cal.layer_floor_s else ""), "source": s},
        {"name": "GPU activity of memory-bound decode", "value": f"{cal.memory_bound_activity:.2f}", "source": s},
        {"name": "usable HBM", "value": f"{cal.gpu_memory_utilization:.0%}", "source": "vLLM default gpu_memory_utilization"},
        {"name": "runtime overhead per device", "value": f"{cal.runtime_overhead_bytes / 2**30:.1f} GiB",
         "source": "assumption (trillion): CUDA context, NCCL buffers, CUDA graphs"},
        {"name": "activation workspace", "value": f"{MAX_BATCHED_TOKENS} tokens x {WORKSPACE_WIDTHS} bf16 hidden widths + fp32 logits of {LOGIT_ROWS} rows",
         "source": "assumption (trillion), after vLLM's start-up profiling of max_num_batched_tokens"},
        {"name": "requests", "value": f"prompt {prompt}, output {output}, context {ctx} tokens; mean KV per sequence prompt + output/2",
         "source": "given"},
        {"name": "time per output token target", "value": f"{target * 1e3:.0f} ms", "source": "given or default"},
        {"name": "MoE routing", "value": "uniform top-k: experts touched per step E(1-(1-k/E)^B)", "source": "assumption"},
    ]  # fmt: skip
