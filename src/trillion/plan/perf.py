"""Step time of one training step, from first principles plus a few fitted efficiencies.

Every function here is written with numpy operations so that layout quantities (tp, pp, dp, mbs,
...) may be scalars or arrays: the layout search evaluates thousands of layouts in one call.

The model (per device, per micro-batch, per pipeline stage):
- GEMMs: each matmul of shape (M x K) @ (K x N) takes ``max(F / (peak * eta_gemm),
  bytes / (hbm * eta_hbm)) + gemm_overhead_s`` (a roofline of FLOP against bytes, plus a launch
  and tail cost). Backward runs two GEMMs (input and weight gradient) per forward GEMM.
- Attention core: scores and values as batched GEMMs; an "unfused" kernel also streams the
  ``heads x S x S`` probabilities through memory (softmax, dropout), a "flash" kernel does not and
  skips the masked half.
- Element-wise work (norms, activations, residuals, dropout) is memory-bound: bytes / (hbm * eta_hbm).
- Collectives: ring alpha-beta costs, ``2 (n-1)/n * bytes / (bw * eta_net) + 2 (n-1) * alpha``
  for an all-reduce, on the tier the group spans (scale-up inside a domain, scale-out beyond;
  a data-parallel group spanning domains reduces hierarchically).
- Pipeline (1F1B): ``(m - 1) * t_slowest_stage + sum of stage times``; interleaving divides the
  fill/drain by ``vpp``.
- Data-parallel gradient reduction is exposed except for the fraction ``dp_overlap`` hidden under
  the backward pass; the optimizer step is memory-bound.
The efficiencies live in `Calibration`; the defaults are fitted on vTrain's single-node
measurements only (benchmarks/step_time_vtrain.py), never on the multi-node ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from trillion.count.dims import ModelDims
from trillion.plan.optimizers import RECIPE_MOMENT_BYTES, step_traffic_bytes
from trillion.spec.hardware import Cluster


@dataclass(frozen=True, kw_only=True, slots=True)
class Calibration:
    """Efficiency constants of the step-time model, with where they came from."""

    eta_gemm: float = 0.80  # fraction of dense peak a large GEMM reaches
    eta_hbm: float = 0.80  # fraction of HBM bandwidth streaming kernels reach
    eta_net: float = 0.80  # fraction of link bandwidth a collective reaches (bus bandwidth)
    gemm_overhead_s: float = 8e-6  # launch + tail per GEMM
    net_latency_s: float = 10e-6  # alpha per collective step
    layer_overhead_s: float = 300e-6  # host launch time of one layer's forward (backward: 2x)
    attention_kernel: str = "flash"  # "flash" (fused, causal-skipping) or "unfused"
    dp_overlap: float = 0.0  # fraction of the data-parallel reduction hidden under backward
    tp_overlap: float = 0.0  # fraction of backward TP all-reduces hidden under weight-gradient GEMMs
    moe_imbalance: float = 1.1  # busiest expert's load over the mean (routed tokens)
    log_sigma: float = 0.10  # spread of log(measured / predicted) step time on the fitted data
    source: str = "defaults (not fitted)"

    def with_(self, **kwargs: Any) -> Calibration:
        return replace(self, **kwargs)


@dataclass(frozen=True, kw_only=True, slots=True)
class StepTime:
    """Seconds per step and its parts (arrays when the inputs were arrays)."""

    step_s: Any
    parts: dict[str, Any] = field(default_factory=dict)


def _gemm(flop, m, n, k, peak, hbm, cal: Calibration, bytes_per_el: float = 2.0):
    """Seconds for a GEMM of `flop` FLOP with operand shape (m x k) @ (k x n): roofline + overhead."""
    moved = bytes_per_el * (m * k + k * n + m * n)
    return np.maximum(flop / (peak * cal.eta_gemm), moved / (hbm * cal.eta_hbm)) + cal.gemm_overhead_s


def allreduce_s(nbytes, n, bw, cal: Calibration):
    """Ring all-reduce of `nbytes` over `n` ranks at `bw` byte/s per direction."""
    n = np.asarray(n, dtype=float)
    cost = 2 * (n - 1) / np.maximum(n, 1) * nbytes / (bw * cal.eta_net) + 2 * (n - 1) * cal.net_latency_s
    return np.where(n > 1, cost, 0.0)


def hierarchical_allreduce_s(nbytes, n, inside, bw_up, bw_out, cal: Calibration):
    """All-reduce over `n` ranks of which `inside` share a scale-up domain: reduce-scatter inside,
    all-reduce the 1/inside shard across domains, all-gather inside."""
    n = np.asarray(n, dtype=float)
    inside = np.minimum(np.asarray(inside, dtype=float), n)
    flat = allreduce_s(nbytes, n, bw_up, cal)
    rs = (inside - 1) / inside * nbytes / (bw_up * cal.eta_net) + (inside - 1) * cal.net_latency_s
    across = allreduce_s(nbytes / inside, n / inside, bw_out, cal)
    return np.where(n <= inside, flat, 2 * rs + across)


def all_to_all_s(nbytes, n, bw, cal: Calibration):
    """All-to-all where each rank sends `nbytes` in total, spread over `n` ranks."""
    n = np.asarray(n, dtype=float)
    cost = (n - 1) / np.maximum(n, 1) * nbytes / (bw * cal.eta_net) + (n - 1) * cal.net_latency_s
    return np.where(n > 1, cost, 0.0)


def _layer_times(d: ModelDims, s, b, tp, cp, ep, peak, hbm, cal: Calibration, *, moe: bool):
    """(forward seconds, backward seconds, attention-core forward seconds) of one layer."""
    tokens = b * s / cp  # tokens per device per micro-batch
    h = d.hidden
    # attention projections (q, kv, o) as GEMMs over the local heads
    proj_flop = 2 * tokens * d.attn_params / tp
    proj = _gemm(
        2 * tokens * h * (d.q_width + d.kv_width) / tp,
        tokens,
        (d.q_width + d.kv_width) / tp,
        h,
        peak,
        hbm,
        cal,
    ) + _gemm(2 * tokens * d.v_width * h / tp, tokens, h, d.v_width / tp, peak, hbm, cal)
    # any remaining attention parameters (MLA up-projections etc.) as one more GEMM
    rest = np.maximum(proj_flop - 2 * tokens * h * (d.q_width + d.kv_width + d.v_width) / tp, 0.0)
    proj = proj + np.where(rest > 0, rest / (peak * cal.eta_gemm), 0.0)
    # attention core: each local query attends to the sequence (split over cp ranks); in hybrid,
    # windowed, chunked or sparse stacks the average layer does `frac` of a full layer's work
    heads = d.heads / tp
    causal = 0.5 if cal.attention_kernel == "flash" else 1.0
    frac = d.attention_fraction(s)
    core_flop = 2 * b * heads * (s / cp) * s * causal * (d.q_width + d.v_width) / d.heads * frac
    core = core_flop / (peak * cal.eta_gemm) + 2 * cal.gemm_overhead_s
    if cal.attention_kernel == "unfused":  # probabilities written, softmaxed, dropped out, read
        core = core + 2 * 4.5 * b * heads * (s / cp) * s / (hbm * cal.eta_hbm) * frac
    if d.recurrent_flop_per_token or d.indexer_flop_per_ctx_token:
        # linear-attention / SSM state updates (linear in context) and DSA's indexer (scores every
        # earlier token), per average layer, at the GEMM efficiency (chunked kernels are matmuls)
        extra = d.recurrent_flop_per_token / d.num_layers + (
            d.indexer_flop_per_ctx_token * d.attention_mixers / d.num_layers * (s + 1) / 2
        )
        core = core + extra * tokens / tp / (peak * cal.eta_gemm)
    if moe:
        # experts are not tensor-parallel (expert TP = 1): each TP rank routes its sequence-parallel
        # shard of the tokens (Megatron-Core requires sequence parallelism with MoE and TP)
        routed = tokens / tp * d.top_k * cal.moe_imbalance
        per_expert = routed * ep / max(d.num_experts, 1)
        width = d.expert_width * (2 if d.gated else 1)
        ffn_flop = 2 * routed * d.expert_params
        ffn = _gemm(
            ffn_flop * width / (width + d.expert_width), per_expert, width, h, peak, hbm, cal
        ) + _gemm(
            ffn_flop * d.expert_width / (width + d.expert_width),
            per_expert,
            h,
            d.expert_width,
            peak,
            hbm,
            cal,
        )
        if d.shared_params:
            ffn = ffn + _gemm(
                2 * tokens * d.shared_params / tp, tokens, d.shared_params / (2 * h * tp), h, peak, hbm, cal
            )
        ffn = ffn + _gemm(2 * tokens / tp * d.router_params, tokens / tp, d.num_experts, h, peak, hbm, cal)
        act = d.top_k * d.expert_width * (3 if d.gated else 2) / tp
    elif d.mlp_width == 0:  # every layer is MoE: the dense-layer path is never used (0 layers)
        ffn = 0.0 * tokens
        act = 0.0
    else:
        width = d.mlp_width * (2 if d.gated else 1)
        ffn_flop = 2 * tokens * d.mlp_params / tp
        ffn = _gemm(ffn_flop * width / (width + d.mlp_width), tokens, width / tp, h, peak, hbm, cal) + _gemm(
            ffn_flop * d.mlp_width / (width + d.mlp_width), tokens, h, d.mlp_width / tp, peak, hbm, cal
        )
        act = d.mlp_width * (3 if d.gated else 2) / tp
    # element-wise: 2 norms, residuals, biases+dropout (~10 h) and the FFN activation, 2 bytes each
    elementwise = 2 * tokens * (10 * h + act) / (hbm * cal.eta_hbm)
    gpu = proj + core + ffn + elementwise
    # the host launches a layer's kernels ahead of the device; when the device work is shorter
    # than the launch stream (small layers, small micro-batches) the launches set the pace
    fwd = np.maximum(gpu, cal.layer_overhead_s)
    bwd = np.maximum(2 * gpu, 2 * cal.layer_overhead_s)
    return fwd, bwd, core


def step_time(
    d: ModelDims,
    cluster: Cluster,
    *,
    seq_len,
    global_batch,
    dp,
    tp,
    pp,
    mbs,
    cp=1,
    ep=1,
    vpp=1,
    zero=1,
    recompute="selective",
    dtype: str = "bf16",
    grad_bytes: float = 2.0,
    cal: Calibration,
    optimizer: str = "adamw",
) -> StepTime:
    """Seconds per optimizer step of a (possibly vectorised) layout on `cluster`; `dtype` is also
    the mixed-precision recipe (for the optimizer's state traffic)."""
    acc = cluster.accelerator
    peak = acc.peak(dtype)
    hbm = acc.memory_bytes_per_s
    up, out = cluster.scale_up_bytes_per_s, cluster.scale_out_bytes_per_s
    domain = cluster.scale_up_domain
    s, b = seq_len, mbs
    tokens = b * s / cp
    m = global_batch / (dp * b)  # micro-batches per step per pipeline

    dense_f, dense_b, dense_core = _layer_times(d, s, b, tp, cp, ep, peak, hbm, cal, moe=False)
    if d.num_moe_layers:
        moe_f, moe_b, moe_core = _layer_times(d, s, b, tp, cp, ep, peak, hbm, cal, moe=True)
    else:
        moe_f = moe_b = moe_core = 0.0

    # tensor parallel: 2 all-reduces (or reduce-scatter + all-gather) forward, 2 backward
    tp_ar = hierarchical_allreduce_s(2.0 * tokens * d.hidden, tp, np.minimum(tp, domain), up, out, cal)
    # context parallel: K/V exchanged around the ring, forward and backward
    cp_bw = np.where(tp * cp <= domain, up, out)
    cp_x = np.where(cp > 1, 2 * (cp - 1) * (2.0 * tokens * d.kv_width / tp) / (cp_bw * cal.eta_net), 0.0)
    # expert parallel: dispatch + combine all-to-all, forward and backward
    ep_bw = np.where(tp * ep <= domain, up, out)
    a2a = all_to_all_s(2.0 * tokens / tp * d.top_k * d.hidden, ep, ep_bw, cal) if d.num_moe_layers else 0.0

    def layer_total(f, bk, core, extra_fwd):
        fwd = f + 2 * tp_ar + cp_x + extra_fwd
        # Megatron overlaps the input-gradient all-reduce with the weight-gradient GEMM
        bwd = bk + 2 * tp_ar * (1 - cal.tp_overlap) + cp_x + extra_fwd
        redo = {"none": 0.0, "selective": core, "full": fwd}[recompute] if isinstance(recompute, str) else 0.0
        return fwd + bwd + redo

    per_dense = layer_total(dense_f, dense_b, dense_core, 0.0)
    per_moe = layer_total(moe_f, moe_b, moe_core, 2 * a2a) if d.num_moe_layers else 0.0
    layers_time = d.num_dense_layers * per_dense + d.num_moe_layers * per_moe
    stage_avg = layers_time / pp
    stage_max = stage_avg * np.ceil(d.num_layers / pp) / (d.num_layers / pp)
    # output head (+ loss) on the last stage: 3 GEMMs worth (forward, 2 backward)
    head = 3 * _gemm(2 * tokens * d.head_params / tp, tokens, d.vocab / tp, d.hidden, peak, hbm, cal)
    head = head + 3 * 2 * tokens * (d.vocab / tp) * 4 / (hbm * cal.eta_hbm)  # fp32 logits, softmax
    last = stage_max + head
    # pipeline point-to-point: activations forward, gradients backward, per micro-batch
    pp_bw = np.where(tp * cp * dp < domain, up, out)
    p2p = np.where(
        pp > 1, 2 * (2.0 * tokens * d.hidden / tp / (pp_bw * cal.eta_net) + cal.net_latency_s), 0.0
    )
    t_mb_max = np.maximum(stage_max, last) + p2p
    t_mb_sum = layers_time + head + pp * p2p
    # 1F1B: (m - 1) slowest-stage slots plus one pass through every stage; interleaving (vpp)
    # shortens the fill and drain by vpp
    pipeline = m * t_mb_max + (t_mb_sum - t_mb_max) / vpp
    bubble = pipeline - m * t_mb_sum / pp

    # data parallel: gradients of the local parameters, hierarchically over the domain
    dense_local = (d.attn_params * d.num_layers + d.mlp_params * d.num_dense_layers) / tp / pp
    moe_local = d.num_moe_layers * (d.shared_params / tp + d.router_params) / pp
    expert_local = d.num_moe_layers * d.num_experts / ep * d.expert_params / pp
    edge = (d.embed_params + d.head_params) / tp / pp
    params_local = dense_local + moe_local + expert_local + edge
    inside = np.maximum(domain // (tp * cp), 1)
    dp_ar = hierarchical_allreduce_s(
        grad_bytes * (params_local - expert_local), dp * cp, inside, up, out, cal
    )
    edp = dp * cp / ep
    dp_ar = dp_ar + hierarchical_allreduce_s(
        grad_bytes * expert_local, edp, np.maximum(inside / ep, 1), up, out, cal
    )
    exposed_dp = dp_ar * (1 - cal.dp_overlap)
    # ZeRO-3 / FSDP: weights all-gathered for forward and backward of every micro-batch (an
    # all-gather moves half an all-reduce's bytes); gradients reduce-scattered instead of all-reduced
    gather = hierarchical_allreduce_s(2.0 * params_local, dp * cp, inside, up, out, cal) / 2
    exposed_dp = np.where(
        np.asarray(zero) >= 3, exposed_dp / 2 + 2 * m * gather * (1 - cal.dp_overlap), exposed_dp
    )
    # optimizer: state traffic per local parameter (AdamW, bf16 recipe: 32 bytes; see optimizers)
    recipe = dtype if dtype in RECIPE_MOMENT_BYTES else "bf16"
    opt_s = step_traffic_bytes(optimizer, recipe) * params_local / (hbm * cal.eta_hbm)
    step = pipeline + exposed_dp + opt_s

    parts = {
        "compute_and_tp": m * t_mb_sum / pp,
        "pipeline_bubble": bubble,
        "dp_reduce_exposed": exposed_dp,
        "optimizer": opt_s,
        "tp_comm": m * 4 * tp_ar * d.num_layers / pp,
        "ep_all_to_all": m * 4 * a2a * d.num_moe_layers / pp if d.num_moe_layers else 0.0 * step,
    }
    return StepTime(step_s=step, parts=parts)
