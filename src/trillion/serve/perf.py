"""Serving time: a roofline per decode step and per prefill, with the communication of each layout.

Decode step of one micro-batch of ``b`` sequences in each of the ``dp`` attention groups of a
replica (`ServeLayout`), mean context ``L``, summed over the ``pp`` stages a token passes in turn
(so the whole model on one group's ``tp`` ranks), per device:

    bytes = dense weights / tp + touched experts x expert bytes / (dp tp eta_moe)
            + b kv_read(L) x shard(tp) + 2 b state / tp    (kv_read: windows, chunks, DSA top-k)
    flop  = b (2 active + recurrent) / tp at the weight format's peak + b attention(L) / tp at BF16
    t     = max(bytes / (HBM eta_hbm), flop / (peak eta_gemm)) + communication - hidden
            + step overhead + b x per-sequence host time + (pp - 1) stage hand-overs

Communication: an all-reduce per attention and dense MLP over tp; per MoE layer an all-to-all
(ep > 1: dispatch + combine, priced by bytes at DeepEP's measured NIC efficiency; `overlap` of the
shorter of compute and all-to-all hidden) or an all-reduce. The experts one step touches follow
uniform top-k routing (`ServeDims.experts_touched`). Prefill prices the uncached prompt tokens'
FLOP at ``eta_prefill``. The efficiencies are fitted on ML.ENERGY's measured runs
(`benchmarks/serving_mlenergy.py`); the overlap on DeepSeek's and SGLang's
(`benchmarks/serving_frontier.py`).
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
from trillion.serve.layout import ServeLayout
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
    # Optional mechanisms an engine fit may use (None: absent, as in the shipped vLLM fit):
    # attention kernels read the KV cache at their own share of HBM bandwidth (paged/flash decode
    # kernels are not the weight GEMMs), and routed experts multiply in grouped GEMMs, each expert
    # on its own few tokens, at this fraction of the dense GEMMs' efficiency (decode and prefill).
    eta_kv: float | None = None
    expert_gemm_share: float | None = None
    # per layer per forward step: the kernels' launch and synchronisation floor, which no bandwidth
    # shortens (0: absent, as in the shipped fit). With it, one HBM efficiency can serve devices of
    # very different bandwidth: a faster memory leaves the floor a larger share of the step.
    layer_floor_s: float = 0.0
    eta_prefill: float = 0.60  # achieved tensor throughput in prefill
    step_overhead_s: float = 0.003  # scheduler, sampling, launches per decode step
    per_sequence_s: float = 20e-6  # host work per sequence per step (scheduling, sampling, output)
    allreduce_latency_s: float = 15e-6  # per tensor-parallel all-reduce
    eta_link: float = 0.7  # achieved scale-up bandwidth in all-reduces
    # share of the shorter of compute and expert all-to-all that two-batch overlap hides (ep > 1).
    # The design claim is 1.0 (SGLang, DeepSeek); fitted on serving_published.csv's DeepSeek and
    # SGLang rows by `benchmarks/serving_frontier.py` it sits at its lower bound, 0: the measured
    # deployments run as if the all-to-all were exposed, a mechanism the model lacks (expert load
    # imbalance and synchronisation are the likely ones; see BENCHMARKS.md)
    overlap: float = 0.0
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
    """Seconds of one decode step (arrays over batch), its compute share, and the tokens each
    sequence gains per step (1, or more with speculative decoding)."""

    total_s: Any
    memory_s: Any
    compute_s: Any
    comm_s: Any
    overhead_s: Any
    tokens_per_step: float = 1.0

    @property
    def compute_share(self):
        return np.minimum(1.0, self.compute_s / self.total_s)

    @property
    def tpot_s(self):
        """Seconds per output token of one sequence."""
        return self.total_s / self.tokens_per_step


# DeepEP V1 low-latency kernels on H800 with one 400 Gb/s CX7 NIC per GPU (~50 GB/s), DeepSeek-V3's
# decode setting (128 tokens, hidden 7168, top-8, FP8 dispatch, BF16 combine): 39-48 GB/s dispatch
# and 39-53 GB/s combine at EP 32-256 (deepseek-ai/DeepEP docs/legacy.md) -> mean 43.6 / 50 GB/s.
A2A_SCALE_OUT_EFFICIENCY = 0.87
DISPATCH_BYTES = 1.0  # FP8 dispatch (DeepEP, SGLang, DeepSeek's system); the scales are ~1/128 more
COMBINE_BYTES = 2.0  # BF16 combine


@dataclass(frozen=True, kw_only=True, slots=True)
class Speculation:
    """Speculative decoding: `draft_tokens` proposed per step (MTP modules or a draft model), each
    accepted with probability `acceptance` given the previous one was (Leviathan et al. 2023):
    a step yields (1 - a^(k+1)) / (1 - a) tokens. Drafting costs `draft_cost` of one main-model
    step per draft token (an MTP module is one extra layer: 1 / num_layers)."""

    draft_tokens: int = 0
    acceptance: float = 0.0
    draft_cost: float = 0.0

    @property
    def tokens_per_step(self) -> float:
        k, a = self.draft_tokens, self.acceptance
        if k == 0:
            return 1.0
        return float(k + 1) if a >= 1 else (1 - a ** (k + 1)) / (1 - a)


def _allreduce_s(nbytes, ranks: int, acc: Accelerator, cal: ServeCalibration):
    if ranks <= 1:
        return np.zeros_like(np.asarray(nbytes, dtype=float))
    bw = (acc.scale_up_bytes_per_s or 50e9) * cal.eta_link
    if ranks > acc.scale_up_domain:
        bw = min(bw, (acc.scale_out_bytes_per_s or 50e9) * A2A_SCALE_OUT_EFFICIENCY)
    return cal.allreduce_latency_s + 2 * (ranks - 1) / ranks * np.asarray(nbytes, dtype=float) / bw


def all_to_all_s(tokens, d: ServeDims, lay: ServeLayout, acc: Accelerator, cal: ServeCalibration):
    """Seconds of one MoE layer's dispatch + combine for `tokens` per device (array): each token's
    top_k copies go to the ranks holding its experts (uniform routing); the share leaving the
    node crosses the scale-out NIC at DeepEP's measured efficiency, the rest NVLink."""
    n = lay.stage_devices
    per_token = d.top_k * d.hidden * (DISPATCH_BYTES + COMBINE_BYTES)
    sent = np.asarray(tokens, dtype=float) * per_token * (n - 1) / n
    local = min(n, acc.scale_up_domain)
    off_node = 1 - local / n
    out_bw = (acc.scale_out_bytes_per_s or 50e9) * A2A_SCALE_OUT_EFFICIENCY
    up_bw = (acc.scale_up_bytes_per_s or 50e9) * cal.eta_link
    return 2 * cal.allreduce_latency_s + np.maximum(sent * off_node / out_bw, sent * (1 - off_node) / up_bw)


def _comm_s(d: ServeDims, lay: ServeLayout, acc: Accelerator, b, cal: ServeCalibration):
    """Communication of one token through the whole model for `b` sequences per attention group:
    an all-reduce per attention and per dense MLP over tp; per MoE layer an all-to-all over the
    stage (ep > 1), a gather/scatter over it (dp > 1, experts tensor-parallel) or an all-reduce."""
    act = b * d.hidden * 2.0
    attention = d.num_layers * _allreduce_s(act, lay.tp, acc, cal)
    dense = d.num_dense_layers * _allreduce_s(act, lay.tp, acc, cal)
    if lay.ep > 1:
        moe = d.num_moe_layers * all_to_all_s(b / lay.tp, d, lay, acc, cal)
    elif lay.dp > 1:
        moe = d.num_moe_layers * _allreduce_s(act * lay.dp, lay.stage_devices, acc, cal)
    else:
        moe = d.num_moe_layers * _allreduce_s(act, lay.tp, acc, cal)
    return attention + dense + moe


def _p2p_s(d: ServeDims, lay: ServeLayout, acc: Accelerator, b, cal: ServeCalibration):
    """Handing `b` sequences' activations to the next pipeline stage (scale-out when a stage fills
    the scale-up domain)."""
    if lay.pp <= 1:
        return np.zeros_like(np.asarray(b, dtype=float))
    crosses = lay.stage_devices >= acc.scale_up_domain
    bw = ((acc.scale_out_bytes_per_s or 50e9) * A2A_SCALE_OUT_EFFICIENCY if crosses
          else (acc.scale_up_bytes_per_s or 50e9) * cal.eta_link)  # fmt: skip
    return cal.allreduce_latency_s + np.asarray(b, dtype=float) * d.hidden * 2.0 / lay.tp / bw


def decode_step(
    d: ServeDims, acc: Accelerator, lay: ServeLayout, batch, context, cal: ServeCalibration,
    spec: Speculation | None = None,
) -> StepParts:  # fmt: skip
    """One decode step of one micro-batch: `batch` sequences (array) in each of the ``dp``
    attention groups, at mean context `context` tokens. The token passes the ``pp`` stages one
    after another (a stage holds 1/pp of the layers, so the sum over stages is the whole model on
    ``tp`` ranks, plus a hand-over per stage boundary): ``pp`` micro-batches in flight raise a
    replica's throughput, never a sequence's speed. With ep > 1 the engine overlaps the
    all-to-all with compute (two-batch overlap: SGLang, DeepSeek), otherwise communication adds."""
    sp = spec or Speculation()
    b = np.asarray(batch, dtype=float)
    verify = sp.draft_tokens + 1  # tokens each sequence runs through the model per step
    stage = lay.stage_devices
    touched = d.experts_touched(b * lay.dp * verify) * d.num_moe_layers * d.expert_bytes / cal.eta_moe
    weight_bytes = d.dense_read_bytes / lay.tp + touched / stage
    # KV read for every attention mixer (capped by windows and chunks), recurrent state read and
    # written once per token (split over tensor-parallel heads); both for this group's sequences
    kv_read = d.kv_bytes_per_mixer_token * d.read_tokens(context)  # DSA reads its top-k, not the whole cache
    kv_bytes = b * kv_read * d.kv_shard(lay.tp) + b * 2 * d.state_bytes / lay.tp
    matmul = b * verify * (2 * d.active_matmul_params + d.recurrent_flop_per_token) / lay.tp
    attn = b * verify * (d.decode_attn_flop * d.read_tokens(context)
                         + d.indexer_flop_per_ctx_token * d.attention_mixers * context) / lay.tp  # fmt: skip
    if cal.eta_kv is None:
        memory = (weight_bytes + kv_bytes) / (acc.memory_bytes_per_s * cal.eta_hbm)
    else:
        memory = weight_bytes / (acc.memory_bytes_per_s * cal.eta_hbm) + kv_bytes / (
            acc.memory_bytes_per_s * cal.eta_kv
        )
    compute = matmul / (peak_flop_per_s(acc, d.weights) * cal.eta_gemm) + attn / (
        peak_flop_per_s(acc, "bf16") * cal.eta_gemm
    )
    if cal.expert_gemm_share is not None and d.num_moe_layers:  # routed experts' grouped GEMMs
        routed = b * verify * 2 * d.top_k * d.expert_params * d.num_moe_layers / lay.tp
        peak = peak_flop_per_s(acc, d.weights) * cal.eta_gemm
        compute = compute + routed / peak * (1 / cal.expert_gemm_share - 1)
    comm = _comm_s(d, lay, acc, b * verify, cal)
    host = cal.step_overhead_s + b * cal.per_sequence_s + (lay.pp - 1) * _p2p_s(d, lay, acc, b * verify, cal)
    host = host + d.num_layers * cal.layer_floor_s  # exact at the default 0.0, as in prefill
    work = np.maximum(memory, compute) * (1 + sp.draft_tokens * sp.draft_cost)
    hidden = cal.overlap * np.minimum(work, comm) if lay.ep > 1 else 0.0
    total = work + comm - hidden + host
    return StepParts(total, memory, compute, comm, host, sp.tokens_per_step)


def prefill_s(
    d: ServeDims, acc: Accelerator, lay: ServeLayout, prompt: int, cal: ServeCalibration, cache_hit: float = 0.0
) -> float:  # fmt: skip
    """Seconds to prefill one prompt of `prompt` tokens on an idle replica (time to first token),
    `cache_hit` of it already in the prefix cache. Attention and the dense layers run on one
    group's ``tp`` ranks, the experts on the whole stage; stages run one after another."""
    return prefill_batch_s(d, acc, lay, prompt, 1, cal, cache_hit)


def prefill_batch_s(
    d: ServeDims, acc: Accelerator, lay: ServeLayout, prompt: int, prompts: int, cal: ServeCalibration,
    cache_hit: float = 0.0,
) -> float:  # fmt: skip
    """Seconds to prefill `prompts` prompts of `prompt` tokens together on one attention group
    (a static batch): the weights are read once, the FLOP and activations scale with the prompts."""
    new = prompt * (1 - cache_hit) * prompts
    compute = prefill_compute_s(d, acc, cal, prompt, cache_hit, lay) * prompts
    expert_total = d.expert_bytes * d.num_experts * d.num_moe_layers
    weights = ((d.weight_bytes - expert_total) / lay.tp + expert_total / lay.stage_devices) / (
        acc.memory_bytes_per_s * cal.eta_hbm
    )
    comm = float(np.asarray(_comm_s(d, lay, acc, new, cal)))
    p2p = (lay.pp - 1) * float(np.asarray(_p2p_s(d, lay, acc, new, cal)))
    work = max(compute, weights)
    hidden = cal.overlap * min(work, comm) if lay.ep > 1 else 0.0
    return float(work + comm - hidden + p2p + cal.step_overhead_s + d.num_layers * cal.layer_floor_s)


def prefill_compute_s(
    d: ServeDims, acc: Accelerator, cal: ServeCalibration, prompt: float, cache_hit: float = 0.0,
    lay: ServeLayout | None = None,
) -> float:  # fmt: skip
    """Seconds of tensor work to prefill one prompt at ``eta_prefill``: matmuls at the weight
    format's peak, the attention core at BF16's. With `lay`, the time on one attention group
    (attention and dense layers over its ``tp`` ranks, routed experts over the whole stage);
    without, device-seconds on one device."""
    dense, expert, attn = prefill_flop_parts(d, prompt, cache_hit)
    w, bf16 = peak_flop_per_s(acc, d.weights), peak_flop_per_s(acc, "bf16")
    if cal.expert_gemm_share is not None:
        expert = expert / cal.expert_gemm_share
    if lay is None:
        return ((dense + expert) / w + attn / bf16) / cal.eta_prefill
    return (
        dense / (lay.tp * w) + expert / (lay.stage_devices * w) + attn / (lay.tp * bf16)
    ) / cal.eta_prefill


def prefill_flop_parts(d: ServeDims, prompt: float, cache_hit: float = 0.0) -> tuple[float, float, float]:
    """Forward FLOP of prefilling the uncached ``(1 - cache_hit) * prompt`` tokens of a prompt:
    (dense matmuls, routed-expert matmuls, attention core). Attention covers the causal prefix,
    cached part included (windows, chunks and recurrent layers as `ModelDims.mean_keys` says);
    recurrent updates and DSA's indexer count as dense."""
    cached = prompt * cache_hit
    new = prompt - cached
    keys = float(np.asarray(prompt * d.mean_keys(prompt))) - (
        float(np.asarray(cached * d.mean_keys(cached))) if cached >= 1 else 0.0
    )
    attention = d.attn_flop_per_ctx_token * keys
    indexer = d.indexer_flop_per_ctx_token * d.attention_mixers * (prompt**2 - cached**2) / 2
    expert = new * 2 * d.top_k * d.expert_params * d.num_moe_layers
    dense = new * (2 * d.active_matmul_params + d.recurrent_flop_per_token) - expert + indexer
    return float(dense), float(expert), float(attention)


def prefill_flop_per_token(d: ServeDims, prompt: float) -> float:
    """Forward FLOP per prompt token (no cache hits): matmuls, attention over the causal prefix,
    recurrent updates and DSA's indexer."""
    return sum(prefill_flop_parts(d, prompt)) / prompt


def prefill_tokens_per_s_per_device(
    d: ServeDims, acc: Accelerator, lay: ServeLayout, prompt: int, cal: ServeCalibration, cache_hit: float = 0.0
) -> float:  # fmt: skip
    """Prompt tokens per second per device of a busy prefill pool (disaggregated prefill: every
    device prefills its own prompts, the experts' all-to-all overlapped with compute when ep > 1),
    counting cache hits as served. Per computed token: its compute share on one device, against
    its dispatch and combine traffic; weights are read once per large batch (not the bound)."""
    computed = prompt * (1 - cache_hit)
    compute = prefill_compute_s(d, acc, cal, prompt, cache_hit) / (lay.tp * lay.pp)
    # as in colocated prefill: tensor-parallel all-reduces stay inside the fitted eta_prefill, the
    # experts' all-to-all is priced (tokens per device: the group's tp ranks share a prompt)
    comm = (
        d.num_moe_layers * float(np.asarray(all_to_all_s(computed / lay.tp, d, lay, acc, cal))) / lay.pp
        if lay.ep > 1
        else 0.0
    )
    hidden = cal.overlap * min(compute, comm) if lay.ep > 1 else 0.0
    seconds = compute + comm - hidden  # one prompt on its tp x pp devices
    return prompt / (seconds * lay.tp * lay.pp)
