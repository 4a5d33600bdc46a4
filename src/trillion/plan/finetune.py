"""Fine-tuning plans: full fine-tuning, LoRA and QLoRA — memory per device and time.

- full: a training plan (`plan_training`) over the fine-tuning tokens.
- LoRA (Hu et al. 2021): the base weights are frozen in bf16; each adapted matrix W (out x in)
  gains B (out x r) and A (r x in) trained with Adam in mixed precision (2 + 4 + 12 bytes per adapter
  parameter). Adapted by default: every attention projection and dense/shared FFN matrix (routed
  experts are left frozen, as in most MoE LoRA recipes).
- QLoRA (Dettmers et al. 2023): as LoRA with the frozen base stored in NF4 with double-quantised
  scales (4.127 bits per weight, `trillion.count.bytes`), dequantised on the fly.
Memory: frozen base (replicated, or sharded over devices with ``fsdp``), adapter states,
activations of one micro-batch (the busiest layer set, as in `trillion.plan.memory`, with recompute),
3 GiB framework overhead. Time: the frozen base needs no weight gradients, so a step costs the
forward plus the input-gradient half of the backward, 2/3 of full training's matmul time (Hu et
al. 2021 §4.2 report ~25% higher throughput than full fine-tuning on GPT-3; 2/3 is the FLOP
bound); adapter FLOP are negligible at r << hidden. QLoRA's dequantisation is not modelled: treat
its time as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import Any, Literal

import numpy as np

from trillion.count.bytes import weight_bytes
from trillion.count.dims import model_dims
from trillion.count.params import count_params, tensors
from trillion.errors import InputError
from trillion.plan.calibration import load_calibration
from trillion.plan.memory import FRAMEWORK_OVERHEAD_BYTES, memory_per_device
from trillion.plan.perf import step_time
from trillion.plan.train import percentiles, plan_training, wall_clock_s
from trillion.spec.hardware import Cluster
from trillion.spec.model import ModelSpec

Method = Literal["full", "lora", "qlora"]
ADAPTER_STATE_BYTES = 2 + 4 + 12  # bf16 weight, fp32 grad, fp32 master + Adam moments


def lora_params(spec: ModelSpec, rank: int) -> int:
    """Adapter parameters for rank `rank` on every attention and dense/shared FFN matrix."""
    total = 0
    for t in tensors(spec):
        if t.role == "linear" and "/experts/" not in t.path and t.path.endswith("/weight"):
            out_f, in_f = t.shape[-2], t.shape[-1]
            total += rank * (out_f + in_f) * t.copies
    return total


@dataclass(frozen=True, kw_only=True, slots=True)
class FinetunePlan:
    model: str
    method: str
    devices: int
    fits: bool
    reason: str
    trainable_params: int
    memory_bytes: dict[str, float]
    step_s: float
    steps: int
    wall_clock_hours: dict[str, float]
    accelerator_hours: dict[str, float]
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "method": self.method,
            "devices": self.devices,
            "fits": self.fits,
            "reason": self.reason,
            "trainable_params": self.trainable_params,
            "memory_per_device_bytes": self.memory_bytes,
            "step_seconds": self.step_s,
            "steps": self.steps,
            "wall_clock_hours": self.wall_clock_hours,
            "accelerator_hours": self.accelerator_hours,
            "assumptions": self.assumptions,
        }


def plan_finetune(
    spec: ModelSpec,
    cluster: Cluster,
    *,
    tokens: int,
    method: Method = "lora",
    rank: int = 16,
    seq_len: int = 4096,
    global_batch: int = 64,
    fsdp: bool = True,
) -> FinetunePlan:
    """Memory and time to fine-tune `spec` on `cluster` for `tokens` tokens with `method`."""
    if method not in ("full", "lora", "qlora"):
        raise InputError("method", None, f"must be full, lora or qlora, got {method!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
        raise InputError("rank", None, f"must be a positive integer, got {rank!r}")
    n = cluster.num_devices
    if method == "full":
        full = plan_training(
            spec, cluster, tokens=tokens, seq_len=seq_len, global_batch=global_batch, zero=3 if fsdp else 1
        )
        return FinetunePlan(
            model=spec.name,
            method=method,
            devices=n,
            fits=full.fits,
            reason=full.reason,
            trainable_params=count_params(spec).total,
            memory_bytes=full.memory_bytes,
            step_s=full.step_s,
            steps=full.steps,
            wall_clock_hours={k: v * 24 for k, v in full.wall_clock_days.items()},
            accelerator_hours=full.accelerator_hours,
            assumptions=full.assumptions,
        )
    base_bytes = float(weight_bytes(spec, "nf4" if method == "qlora" else "bf16"))
    adapters = lora_params(spec, rank)
    shard = n if fsdp else 1
    d = model_dims(spec)
    act = memory_per_device(
        d, seq_len=seq_len, global_batch=global_batch, dp=n, tp=1, pp=1, mbs=1, recompute="full", zero=0
    )
    memory = {
        "frozen_base_weights": base_bytes / shard,
        "adapter_states": float(adapters * ADAPTER_STATE_BYTES),
        "activations": float(np.asarray(act["activations"]) + np.asarray(act["working_set"])),
        "framework_overhead": float(FRAMEWORK_OVERHEAD_BYTES),
    }
    memory["total"] = sum(memory.values())
    fits = memory["total"] <= cluster.accelerator.memory_bytes
    reason = (
        ""
        if fits
        else (
            f"needs {memory['total'] / 2**30:.1f} GiB per device, "
            f"{cluster.accelerator.memory_bytes / 2**30:.1f} GiB available"
        )
    )
    scale = 2 / 3  # forward + input-gradient backward of the frozen base
    cal = load_calibration().with_(attention_kernel="flash")
    st = step_time(
        d,
        cluster,
        seq_len=seq_len,
        global_batch=global_batch,
        dp=n,
        tp=1,
        pp=1,
        mbs=1,
        zero=3 if fsdp else 0,
        recompute="full",
        cal=cal,
    )
    step = float(np.asarray(st.step_s).reshape(-1)[0]) * scale
    steps = ceil(tokens / (global_batch * seq_len))
    hours = percentiles(wall_clock_s(steps, step, cal) / 3600)
    return FinetunePlan(
        model=spec.name,
        method=method,
        devices=n,
        fits=bool(fits),
        reason=reason,
        trainable_params=adapters,
        memory_bytes=memory,
        step_s=step,
        steps=steps,
        wall_clock_hours=hours,
        accelerator_hours={k: v * n for k, v in hours.items()},
        assumptions=[
            f"LoRA rank {rank} on attention and dense/shared FFN matrices; routed experts frozen",
            f"frozen base in {'NF4 (4.127 bits)' if method == 'qlora' else 'bf16'}"
            + (f", sharded over {n} devices (FSDP)" if fsdp and n > 1 else ""),
            "step time: 2/3 of full fine-tuning's (no weight gradients for the frozen base)"
            + ("; QLoRA dequantisation not modelled (time is a lower bound)" if method == "qlora" else ""),
            "activations: one micro-batch with full recompute",
            f"calibration: {cal.source}",
        ],
    )
