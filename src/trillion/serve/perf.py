"""Serving time: a roofline per decode step and per prefill, with tensor-parallel all-reduces.

Decode step (one new token for each of ``B`` sequences of mean context ``L``), per device of a
replica of ``tp`` x ``pp`` devices:

    bytes = (dense weights + touched experts x expert bytes / eta_moe) / (tp pp) + B kv(L) x shard / pp
            + 2 B state / (tp pp)          (kv(L): windows and chunks capped; state: recurrent layers)
    flop  = B (2 active params + attention(L) + recurrent) / (tp pp)
    t     = max(bytes / (HBM eta_hbm), flop / (peak eta_gemm)) + 2 layers all-reduces
            + step overhead + B x per-sequence host time

The experts one step touches follow uniform top-k routing (`ServeDims.experts_touched`). A
prompt of ``P`` tokens costs ``P (2 active + attention(P/2))`` FLOP at ``eta_prefill``. Pipeline
stages run one after another for a token (latency), as vLLM without virtual engines.
The efficiencies are fitted on ML.ENERGY's measured runs (`benchmarks/serving_mlenergy.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from trillion.count.dims import ServeDims
from trillion.errors import InputError
from trillion.io.files import read_toml
from trillion.spec.hardware import Accelerator

# compute datapath used with each weight format (weight-only formats dequantise to bf16)
COMPUTE_DTYPE = {"fp32": "bf16", "bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "int8": "bf16",
                 "int4": "bf16", "nf4": "bf16", "fp4": "fp4", "mxfp4": "fp4"}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeCalibration:
    """Efficiencies of the serving model (fractions of peak) and fixed costs (seconds)."""

    eta_hbm: float = 0.80  # achieved HBM bandwidth in decode
    eta_moe: float = 0.60  # routed-expert weight reads relative to eta_hbm (fused-MoE kernels)
    eta_gemm: float = 0.70  # achieved tensor throughput in batched decode
    eta_prefill: float = 0.60  # achieved tensor throughput in prefill
    step_overhead_s: float = 0.003  # scheduler, sampling, launches per decode step
    per_sequence_s: float = 20e-6  # host work per sequence per step (scheduling, sampling, output)
    allreduce_latency_s: float = 15e-6  # per tensor-parallel all-reduce
    eta_link: float = 0.7  # achieved scale-up bandwidth in all-reduces
    memory_bound_activity: float = 0.55  # GPU activity (0 idle - 1 full) of pure memory-bound decode
    gpu_memory_utilization: float = 0.90  # vLLM default: share of HBM it may use
    runtime_overhead_bytes: float = 2.5 * 2**30  # CUDA context, NCCL buffers, CUDA graphs
    source: str = "defaults (not fitted)"
    # per-accelerator overrides, e.g. {"b200": {"eta_hbm": 0.5}}: devices differ in achieved
    # bandwidth and in how much power memory-bound kernels draw
    devices: dict[str, dict[str, float]] = field(default_factory=dict)

    def with_(self, **kwargs: Any) -> ServeCalibration:
        return replace(self, **kwargs)

    def for_device(self, name: str) -> ServeCalibration:
        """This calibration with `name`'s overrides applied (unchanged for other devices)."""
        over: dict[str, Any] = dict(self.devices.get(name, {}))
        return replace(self, **over) if over else self


def load_serve_calibration(path: str | Path | None = None) -> ServeCalibration:
    """The shipped fit (``catalog/calibration/serving-mlenergy.toml``) or a user's TOML file."""
    p = (
        Path(path)
        if path
        else Path(str(resources.files("trillion.catalog") / "calibration" / "serving-mlenergy.toml"))
    )
    if not p.exists():
        if path:
            raise InputError(str(path), None, "no such calibration file")
        return ServeCalibration()
    data = read_toml(p)
    known = {f.name for f in fields(ServeCalibration)} - {"devices", "source"}

    def numbers(table: Any, where: str) -> dict[str, float]:
        if not isinstance(table, dict):
            raise InputError(str(p), where, f"must be a table, got {table!r}")
        out = {}
        for k, v in table.items():
            if k not in known:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1e6:
                raise InputError(str(p), f"{where}.{k}", f"must be a number in [0, 1e6], got {v!r}")
            out[k] = float(v)
        return out

    values = numbers(data.get("calibration", {}), "calibration")
    devices_table = data.get("device", {})
    if not isinstance(devices_table, dict):
        raise InputError(str(p), "device", f"must be a table, got {devices_table!r}")
    devices = {name: numbers(over, f"device.{name}") for name, over in devices_table.items()}
    src = data.get("source")
    title = src.get("title", p.name) if isinstance(src, dict) else p.name
    return ServeCalibration(**values, devices=devices, source=str(title))


def peak_flop_per_s(acc: Accelerator, weights: str) -> float:
    dtype = COMPUTE_DTYPE.get(weights, "bf16")
    if dtype not in acc.peak_flop_per_s:
        dtype = "bf16" if "bf16" in acc.peak_flop_per_s else "fp16"
    return acc.peak(dtype)


@dataclass(frozen=True, slots=True)
class StepParts:
    """Seconds of one decode step (arrays over batch) and its compute share."""

    total_s: Any
    memory_s: Any
    compute_s: Any
    comm_s: Any
    overhead_s: Any

    @property
    def compute_share(self):
        return np.minimum(1.0, self.compute_s / self.total_s)


def _allreduce_s(nbytes, tp: int, acc: Accelerator, cal: ServeCalibration):
    if tp <= 1:
        return np.zeros_like(np.asarray(nbytes, dtype=float))
    bw = (acc.scale_up_bytes_per_s or 50e9) * cal.eta_link
    return cal.allreduce_latency_s + 2 * (tp - 1) / tp * np.asarray(nbytes, dtype=float) / bw


def decode_step(
    d: ServeDims, acc: Accelerator, tp: int, pp: int, batch, context, cal: ServeCalibration
) -> StepParts:
    """One decode step for `batch` sequences (array) at mean context `context` tokens."""
    b = np.asarray(batch, dtype=float)
    n = tp * pp
    touched = d.experts_touched(b) * d.num_moe_layers * d.expert_bytes / cal.eta_moe
    weight_bytes = (d.dense_read_bytes + touched) / n
    # KV read for every attention mixer (capped by windows and chunks), recurrent state read and
    # written once per token (split over tensor-parallel heads)
    kv_bytes = b * d.kv_bytes(context) * d.kv_shard(tp) / pp + b * 2 * d.state_bytes / n
    flop = b * (2 * d.active_matmul_params + d.attn_flop_per_ctx_token * d.cached_tokens(context)
                + d.recurrent_flop_per_token + d.indexer_flop_per_ctx_token * d.attention_mixers * context) / n  # fmt: skip
    memory = (weight_bytes + kv_bytes) / (acc.memory_bytes_per_s * cal.eta_hbm)
    compute = flop / (peak_flop_per_s(acc, d.weights) * cal.eta_gemm)
    comm = 2 * d.num_layers * _allreduce_s(b * d.hidden * 2.0, tp, acc, cal)
    host = cal.step_overhead_s + b * cal.per_sequence_s
    total = np.maximum(memory, compute) + comm + host
    return StepParts(total, memory, compute, comm, host)


def prefill_s(d: ServeDims, acc: Accelerator, tp: int, pp: int, prompt: int, cal: ServeCalibration) -> float:
    """Seconds to prefill one prompt of `prompt` tokens on an idle replica (time to first token)."""
    flop = prompt * prefill_flop_per_token(d, prompt)
    compute = flop / (tp * pp * peak_flop_per_s(acc, d.weights) * cal.eta_prefill)
    weights = d.weight_bytes / (tp * pp) / (acc.memory_bytes_per_s * cal.eta_hbm)
    comm = 2 * d.num_layers * float(_allreduce_s(prompt * d.hidden * 2.0, tp, acc, cal))
    return float(max(compute, weights) + comm + cal.step_overhead_s)


def prefill_flop_per_token(d: ServeDims, prompt: float) -> float:
    """Forward FLOP per prompt token: matmuls, attention over the causal prefix (windows, chunks and
    recurrent layers as `ModelDims.attention_fraction` says), recurrent updates and DSA's indexer."""
    attention = d.num_layers * d.attn_flop_per_ctx_token * prompt / 2 * float(d.attention_fraction(prompt))
    extra = d.recurrent_flop_per_token + d.indexer_flop_per_ctx_token * d.attention_mixers * prompt / 2
    return 2 * d.active_matmul_params + attention + extra
