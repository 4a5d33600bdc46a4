"""A whole training run: layout (given or searched), memory, step time, MFU, days and hours.

`plan_training` is the public entry point (re-exported as `trillion.plan_training`). Uncertain
inputs become P10/P50/P90 through a seeded Monte Carlo: the step-time model's own spread
(``Calibration.log_sigma``, the log-residual of its fit) and goodput, the fraction of wall-clock
time spent making progress (failures, restarts, checkpoints): triangular between 0.75 and 0.97 with
mode 0.90, after Llama 3 (Dubey et al. 2024 §3.3.4: "higher than 90% effective training time" on
16k H100 over 54 days, with 466 interruptions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import Any

import numpy as np

from trillion.count.dims import model_dims
from trillion.count.flop import forward_flop
from trillion.count.params import count_params
from trillion.dist import SAMPLES, Dist, percentiles
from trillion.errors import InputError
from trillion.plan.calibration import for_run, load_calibration
from trillion.plan.frameworks import DEFAULT_ZERO, ZERO_SEARCHED
from trillion.plan.memory import memory_per_device
from trillion.plan.optimizers import find_optimizer, state_bytes
from trillion.plan.perf import Calibration, step_time
from trillion.plan.recipes import check_recipe, find_recipe
from trillion.plan.reliability import (
    RATE_SOURCE,
    REALITY_GAP_SOURCE,
    Reliability,
    interruptions,
    reality_gap,
    run_goodput,
)
from trillion.plan.search import search
from trillion.spec.choices import (
    ATTENTION_KERNELS,
    DEFAULT_FRAMEWORK,
    FRAMEWORKS,
    RECOMPUTE,
    TRAIN_PRECISIONS,
    ZERO_STAGES,
    check_choice,
)
from trillion.spec.hardware import Cluster
from trillion.spec.layout import Layout
from trillion.spec.model import ModelSpec

GOODPUT = Dist(
    0.75, 0.90, 0.97, "goodput triangular(0.75, 0.90, 0.97) after Llama 3 Sec 3.3.4 (as the planner)"
)
# the global batch when none is given: DeepSeek LLM's fitted compute-optimal batch (Bi et al. 2024,
# arXiv:2401.02954 §3.1, eq. 1: B_opt = 0.2920 * C^0.3271 tokens, C the training FLOP), as a power
# of two sequences, within [1M, 128M] tokens (the published range: GPT-3 3.2M, Llama 3 405B 16M,
# DeepSeek-V3 63M)
BATCH_RULE = (0.2920, 0.3271)
BATCH_TOKENS_RANGE = (2**20, 2**27)
# the band the planner searches around the rule, as factors of it: the same paper finds the loss
# near-optimal over a wide band of batch sizes around its fit (§3.1, Fig. 3); the factor of two each
# way is this planner's assumption, inside published practice (DeepSeek-V3 trained at ~2x the rule
# for its FLOP, 15,360 x 4K tokens; Llama 3 405B ended at ~0.25x, 16M tokens)
BATCH_BAND = (0.5, 1.0, 2.0)


def default_global_batch(train_flop: float, seq_len: int) -> int:
    """Sequences per step from `BATCH_RULE` for `train_flop` FLOP of training at `seq_len`."""
    return batch_candidates(train_flop, seq_len)[len(BATCH_BAND) // 2]


def batch_candidates(train_flop: float, seq_len: int) -> list[int]:
    """Sequences per step the planner tries when no batch is given: `BATCH_RULE` times each factor
    of `BATCH_BAND`, each clipped to `BATCH_TOKENS_RANGE` and rounded to a power of two sequences
    (duplicates kept, so the middle entry is always the rule's own batch)."""
    a, b = BATCH_RULE
    lo, hi = BATCH_TOKENS_RANGE
    out = []
    for f in BATCH_BAND:
        tokens = min(max(f * a * train_flop**b, lo), hi)
        out.append(max(1, 2 ** round(np.log2(tokens / seq_len))))
    return out


def wall_clock_s(steps: int, step_s: float, cal: Calibration, seed: int = 0) -> np.ndarray:
    """Seeded samples of wall-clock seconds: step-time spread (lognormal, the fit's log sigma)
    divided by goodput (triangular `GOODPUT`; `plan_training` uses the reliability model)."""
    return _wall_and_goodput(steps, step_s, cal, seed)[0]


def _wall_and_goodput(
    steps: int, step_s: float, cal: Calibration, seed: int, goodput: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    factor = rng.lognormal(0.0, cal.log_sigma, SAMPLES)
    if goodput is None:
        goodput = GOODPUT.sample(rng, SAMPLES)
    return steps * step_s * factor / goodput, goodput


def phase_fractions(parts: dict[str, Any], step_s: float) -> dict[str, float]:
    """Share of a step spent computing (GEMMs, attention, optimizer), communicating (exposed
    TP/EP/DP collectives) and idle (pipeline bubble): what the power model needs."""
    comm = _scalar(parts["tp_comm"]) + _scalar(parts["ep_all_to_all"]) + _scalar(parts["dp_reduce_exposed"])
    idle = _scalar(parts["pipeline_bubble"])
    compute = max(step_s - comm - idle, 0.0)
    return {"compute": compute / step_s, "communication": comm / step_s, "idle": idle / step_s}


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainPlan:
    """The result of `plan_training`; `to_dict()` is the CLI's JSON."""

    model: str
    cluster: Cluster
    layout: Layout | None
    fits: bool
    reason: str
    tokens: int
    seq_len: int
    global_batch: int
    memory_bytes: dict[str, float]
    step_s: float
    mfu: float
    steps: int
    train_flop: float
    wall_clock_days: dict[str, float]
    accelerator_hours: dict[str, float]
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    # the run with no failures and the step time's P50 (goodput 1): "speed of light for this stack"
    speed_of_light_days: float = float("nan")
    # with failures, restarts and checkpoints but without the reality gap: "as planned"
    planned_days: dict[str, float] = field(default_factory=dict)
    # what the reliability model says of the run (`trillion.plan.reliability`), P10/P50/P90 each
    reliability: dict[str, dict[str, float]] = field(default_factory=dict)
    # without a given batch: each batch of the band tried, its best layout, step and phases
    batch_search: list[dict[str, Any]] = field(default_factory=list)
    # Monte Carlo draws behind the percentiles (wall-clock seconds, goodput), for the footprint
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        acc = self.cluster.accelerator
        return {
            "model": self.model,
            "cluster": {
                "name": self.cluster.name,
                "accelerator": acc.name,
                "devices": self.cluster.num_devices,
            },
            "layout": None if self.layout is None else self.layout.label(),
            "fits": self.fits,
            "reason": self.reason,
            "tokens": self.tokens,
            "seq_len": self.seq_len,
            "global_batch": self.global_batch,
            "memory_per_device_bytes": {k: float(v) for k, v in self.memory_bytes.items()},
            "memory_capacity_bytes": acc.memory_bytes,
            "step_seconds": self.step_s,
            "mfu": self.mfu,
            "steps": self.steps,
            "train_flop": self.train_flop,
            "wall_clock_days": self.wall_clock_days,
            "speed_of_light_days": self.speed_of_light_days,
            "planned_days": self.planned_days,
            "reliability": self.reliability,
            "accelerator_hours": self.accelerator_hours,
            "step_phases": self.phases,
            "micro_batches_per_pipeline": None
            if self.layout is None
            else self.global_batch // (self.layout.dp * self.layout.mbs),
            "batch_search": self.batch_search,
            "alternatives": self.alternatives,
            "rejected": self.rejected,
            "assumptions": self.assumptions,
        }


def _scalar(x: Any) -> float:
    return float(np.asarray(x).reshape(-1)[0])


def plan_training(
    spec: ModelSpec,
    cluster: Cluster,
    *,
    tokens: int,
    seq_len: int = 4096,
    global_batch: int | None = None,
    layout: Layout | None = None,
    precision: str = "bf16",
    zero: int | None = None,
    recompute: str | None = None,
    calibration: Calibration | None = None,
    attention_kernel: str = "flash",
    optimizer: str = "adamw",
    framework: str = DEFAULT_FRAMEWORK,
    compiled: bool = False,
    reliability: Reliability | None = None,
    seed: int = 0,
) -> TrainPlan:
    """Plan training `spec` on `cluster` for `tokens` tokens (see module doc for the uncertainty);
    `optimizer` as in `trillion.plan.optimizers`; `framework` and `compiled` as in
    `trillion.plan.frameworks` (without a ZeRO stage the search tries the stages the framework runs,
    `ZERO_SEARCHED`, preferring its default: 1 for megatron and deepspeed, 3 for fsdp2); goodput
    from `reliability` (`trillion.plan.reliability`: interruptions, restarts, checkpoints)."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
        raise InputError("tokens", None, f"must be a positive whole number, got {tokens!r}")
    check_choice(precision, TRAIN_PRECISIONS, "precision")
    check_choice(attention_kernel, ATTENTION_KERNELS, "attention_kernel")
    check_choice(framework, FRAMEWORKS, "framework")
    zero_given = zero is not None
    zero = DEFAULT_ZERO[framework] if zero is None else zero
    check_choice(zero, ZERO_STAGES, "zero")
    if recompute is not None:
        check_choice(recompute, RECOMPUTE, "recompute")
    opt = find_optimizer(optimizer)
    dtype = precision
    acc = cluster.accelerator
    recipe = find_recipe(precision)
    check_recipe(recipe, acc)  # fails early, naming the device, the flag and what it runs
    base = calibration or load_calibration(framework=framework)
    cal = for_run(
        base, acc, recipe.peak, framework=framework, compiled=compiled, attention_kernel=attention_kernel
    )
    d = model_dims(spec)
    flop_per_token = 3 * forward_flop(spec, seq_len).total  # the accounting's, no recompute
    train_flop = float(flop_per_token) * tokens
    # without a batch the search tries the band around the rule (`batch_candidates`), else the given
    batches = [global_batch] if global_batch else sorted(set(batch_candidates(train_flop, seq_len)))
    batch_seqs = global_batch or default_global_batch(train_flop, seq_len)
    assumptions = [
        f"calibration: {base.source} (eta_gemm {cal.eta_gemm:.3f} on {acc.name}, eta_hbm {cal.eta_hbm:.3f},"
        f" eta_net {cal.eta_net:.3f}, host launch floor {cal.layer_overhead_s * 1e6:.0f} us per layer)",
        f"attention kernel: {attention_kernel}; MoE load imbalance {cal.moe_imbalance}",
        f"framework: {framework}{' (torch.compile)' if compiled else ''}: TP overlap {cal.tp_overlap:.2f},"
        f" DP overlap {cal.dp_overlap:.2f}, MoE all-to-all overlap {cal.ep_overlap:.2f}, element-wise x"
        f"{cal.elementwise_factor:.2f}, attention at {(cal.eta_attn or cal.eta_gemm):.2f} of the 16-bit peak",
        f"mixed precision: {precision} (model states per parameter: see trillion.plan.memory)",
        f"optimizer: {opt.name}, {state_bytes(opt.name, precision):g} bytes of state per parameter incl. fp32 master"
        f" ({opt.source})",
        f"step-time spread: lognormal sigma {cal.log_sigma:.3f} (fit residual)",
        "memory: framework overhead 3 GiB per device (assumption); busiest pipeline stage",
    ]
    if calibration is not None and not calibration.device:
        assumptions.append(
            f"warning: the calibration ({calibration.source}) names no device it was measured on, so it is"
            " taken as measured on the shipped reference (A100); files from `trillion ladder fit` record theirs"
        )
    rejected: dict[str, str] = {}
    alternatives: list[dict[str, Any]] = []
    batch_search: list[dict[str, Any]] = []
    layout_given = layout is not None
    if layout is None:
        recomputes = (recompute,) if recompute else RECOMPUTE
        found = []
        for b in batches:
            r = search(
                d,
                cluster,
                seq_len=seq_len,
                global_batch=b,
                cal=cal,
                precision=precision,
                dtype=dtype,
                zero_stages=(zero,) if zero_given else ZERO_SEARCHED[framework],
                recompute=recomputes,
                optimizer=optimizer,
            )  # type: ignore[arg-type]
            found.append((b, r))
            rejected.update({f"batch {b}: {k}" if len(batches) > 1 else k: v for k, v in r.rejected.items()})
        feasible = [(b, r) for b, r in found if r.layouts]
        if not feasible:
            return TrainPlan(
                model=spec.name,
                cluster=cluster,
                layout=None,
                fits=False,
                reason="; ".join(f"{k}: {v}" for k, v in rejected.items()) or "no layout",
                tokens=tokens,
                seq_len=seq_len,
                global_batch=batch_seqs,
                memory_bytes={},
                step_s=float("nan"),
                mfu=float("nan"),
                steps=ceil(tokens / (batch_seqs * seq_len)),
                train_flop=float("nan"),
                wall_clock_days={},
                accelerator_hours={},
                rejected=rejected,
                assumptions=assumptions,
            )
        # the batch whose best layout trains the run's tokens soonest (steps x step time)
        batch_seqs, result = min(feasible, key=lambda br: ceil(tokens / (br[0] * seq_len)) * br[1].step_s[0])
        layout = result.layouts[0]
        alternatives = [
            {"layout": lay.label(), "step_seconds": float(t), "memory_bytes": float(m)}
            for lay, t, m in zip(result.layouts[1:], result.step_s[1:], result.memory_bytes[1:], strict=True)
        ]
        if len(batches) > 1:
            for b, r in found:
                row: dict[str, Any] = {
                    "global_batch": b,
                    "tokens_per_step": b * seq_len,
                    "chosen": b == batch_seqs,
                }
                if r.layouts:
                    best = r.layouts[0]
                    st_b = step_time(
                        d, cluster, **best.step_kwargs(seq_len, b), dtype=dtype, cal=cal, optimizer=optimizer
                    )
                    row |= {
                        "layout": best.label(),
                        "step_seconds": float(r.step_s[0]),
                        "days_without_failures": ceil(tokens / (b * seq_len)) * float(r.step_s[0]) / 86400,
                        "phases": phase_fractions(st_b.parts, float(r.step_s[0])),
                    }
                else:
                    row["layout"] = None
                batch_search.append(row)
    else:
        layout.validate_for(cluster.num_devices)
        if batch_seqs % (layout.dp * layout.mbs):
            raise InputError(
                "global_batch",
                None,
                f"global_batch({batch_seqs}) is not divisible by dp({layout.dp}) * mbs({layout.mbs})",
            )
    assumptions.insert(
        5,
        f"global batch: {batch_seqs} sequences of {seq_len} tokens ({batch_seqs * seq_len:,} tokens per step)"
        + (
            ""
            if global_batch
            else f" (chosen: of {', '.join(map(str, batches))} sequences, {BATCH_BAND[0]:g}-{BATCH_BAND[-1]:g}x"
            f" DeepSeek LLM's compute-optimal batch {BATCH_RULE[0]} C^{BATCH_RULE[1]} tokens for this run's FLOP,"
            " the one whose best layout trains soonest; pass --global-batch to set it)"
            if not layout_given
            else f" (DeepSeek LLM's compute-optimal batch {BATCH_RULE[0]} C^{BATCH_RULE[1]} tokens for this run's"
            " FLOP, as a power of two sequences, for the given layout; pass --global-batch to set it)"
        ),
    )
    kw = layout.step_kwargs(seq_len, batch_seqs)
    mem = {
        k: _scalar(v)
        for k, v in memory_per_device(
            d,
            **kw,
            sequence_parallel=layout.sequence_parallel,
            precision=precision,
            attention_kernel=attention_kernel,
            optimizer=optimizer,
        ).items()
    }
    fits = mem["total"] <= acc.memory_bytes
    reason = (
        ""
        if fits
        else (
            f"needs {mem['total'] / 2**30:.1f} GiB per device, {acc.memory_bytes / 2**30:.1f} GiB available "
            f"(activations {mem['activations'] / 2**30:.1f} GiB, optimizer {mem['optimizer_states'] / 2**30:.1f} GiB)"
        )
    )
    st = step_time(
        d,
        cluster,
        **kw,
        dtype=dtype,
        cal=cal,
        optimizer=optimizer,
    )
    step_s = _scalar(st.step_s)
    steps = ceil(tokens / (batch_seqs * seq_len))
    rel = reliability or Reliability()
    checkpoint_bytes = float(count_params(spec).total) * (2.0 + state_bytes(opt.name, precision))
    run = run_goodput(cluster.num_devices, checkpoint_bytes, rel, np.random.default_rng(seed + 1))
    planned_s, goodput = _wall_and_goodput(steps, step_s, cal, seed, run["goodput"])
    hits = interruptions(cluster.num_devices, planned_s, run["rate_per_device_h"])
    wall_s = planned_s * reality_gap(np.random.default_rng(seed + 2))
    assumptions.append(
        f"goodput: interruptions, restarts and checkpoints (trillion.plan.reliability): {RATE_SOURCE};"
        f" restart {rel.restart_s.label('s')} ({rel.restart_s.source}); checkpoint {checkpoint_bytes / 1e12:.2f} TB"
        f" (weights + optimizer states) at {rel.storage_bytes_per_s_per_device / 1e6:.0f} MB/s per device"
        " (Llama 3 §3.3.1: 2 TB/s for 16,384 GPUs), every "
        + (
            "Young's optimum sqrt(2 x write x MTBI)"
            if rel.checkpoint_interval_s is None
            else f"{rel.checkpoint_interval_s:g} s"
        )
    )
    assumptions.append(
        f"expected = planned x {REALITY_GAP_SOURCE} (leave-one-out on those runs: BENCHMARKS §5)"
    )
    phases = phase_fractions(st.parts, step_s)
    m = batch_seqs // (layout.dp * layout.mbs)
    if m < 2 * layout.pp:
        assumptions.append(
            f"warning: the global batch gives {m} micro-batches per pipeline for {layout.pp} stages; the"
            f" pipeline bubble is {phases['idle']:.0%} of the step (a larger"
            " --global-batch keeps the cluster busy)"
        )
    return TrainPlan(
        model=spec.name,
        cluster=cluster,
        layout=layout,
        fits=bool(fits),
        reason=reason,
        tokens=tokens,
        seq_len=seq_len,
        global_batch=batch_seqs,
        memory_bytes=mem,
        step_s=step_s,
        mfu=flop_per_token * batch_seqs * seq_len / (step_s * cluster.num_devices * acc.peak(recipe.peak)),
        steps=steps,
        train_flop=train_flop,
        wall_clock_days=percentiles(wall_s / 86400),
        accelerator_hours=percentiles(wall_s * cluster.num_devices / 3600),
        alternatives=alternatives,
        rejected=rejected,
        assumptions=assumptions,
        phases=phases,
        speed_of_light_days=steps * step_s / 86400,
        planned_days=percentiles(planned_s / 86400),
        reliability={
            "goodput": percentiles(goodput),
            "interruptions": percentiles(hits),
            "mean_hours_between_interruptions": percentiles(run["mtbi_s"] / 3600),
            "checkpoint_interval_minutes": percentiles(run["interval_s"] / 60),
            "checkpoint_write_seconds": percentiles(run["checkpoint_write_s"]),
        },
        batch_search=batch_search,
        samples={"wall_s": wall_s, "planned_wall_s": planned_s, "goodput": goodput},
    )
