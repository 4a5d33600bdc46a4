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
from trillion.plan.optimizers import step_traffic_bytes
from trillion.plan.recipes import RECIPES
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
    # framework behaviour (see trillion.plan.frameworks): how much communication hides under compute
    dp_overlap: float = 0.0  # share of the last micro-batch's backward that hides the DP reduction
    tp_overlap: float = 0.0  # fraction of TP collectives hidden under GEMMs (forward and backward)
    ep_overlap: float = 0.0  # fraction of MoE dispatch/combine all-to-all hidden under compute
    elementwise_factor: float = 1.0  # HBM passes of element-wise work over a fused stack's (eager > 1)
    moe_imbalance: float = 1.1  # busiest expert's load over the mean (routed tokens)
    # kernels (0 = the neutral value: the vTrain fit predates them and stays exact)
    eta_attn: float = 0.0  # flash attention's fraction of the 16-bit peak (0: eta_gemm); per framework
    moe_overhead_s: float = 0.0  # per MoE layer forward (2x backward): routing, sort, token-count sync
    log_sigma: float = 0.10  # spread of log(measured / predicted) step time on the fitted data
    source: str = "defaults (not fitted)"
    # the device the efficiencies were measured on: a catalog accelerator name (the plan carries
    # them to its own device from there), another device's name (a CPU, an unlisted GPU: refused on
    # any other device), or "" for the shipped fits (measured on `calibration.REFERENCE_DEVICE`)
    device: str = ""
    # per-framework overrides of the framework fields above: ((name, ((field, value), ...)), ...)
    frameworks: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    framework: str = ""  # the profile applied (trillion.plan.frameworks.for_framework), "" none

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


def moe_all_to_all_s(d: ModelDims, tokens, ep, stride, domain, up, out, cal: Calibration):
    """Seconds of one MoE dispatch (or combine) all-to-all for `tokens` per rank, 2-byte hidden
    states, over `ep` ranks `stride` apart (the expert tensor-parallel size: MoE parallel folding lays
    the expert grid etp innermost) on scale-up domains of `domain` devices.

    Inside a domain each of the ``top_k`` copies of a token goes to its expert's rank over the
    scale-up links. Across domains the dispatcher (DeepEP, Megatron's flex dispatcher) sends a
    token once per remote domain that holds any of its experts and forwards it inside over the
    scale-up links: with experts spread uniformly, ``(n - 1) (1 - (1 - 1/n)^top_k)`` remote copies
    for ``n`` domains (node-limited routing caps it lower; not modelled).
    """
    ep = np.asarray(ep, dtype=float)
    row = 2.0 * d.hidden * tokens  # bytes of the rank's tokens, one copy each
    span = np.maximum(ep * stride / domain, 1.0)  # domains the expert-parallel group spans
    inside_share = np.minimum(domain / (stride * ep), 1.0)
    local = row * d.top_k * inside_share * (ep - 1) / np.maximum(ep, 1) / (up * cal.eta_net)
    remote = np.where(span > 1, row * (span - 1) * (1 - (1 - 1 / span) ** d.top_k), 0.0)
    # forwarded copies arrive over scale-up after the remote hop
    forwarded = row * d.top_k * (1 - inside_share)
    cost = local + remote / (out * cal.eta_net) + forwarded / (up * cal.eta_net)
    return np.where(ep > 1, cost + (ep - 1) * cal.net_latency_s, 0.0)


def _layer_times(d: ModelDims, s, b, tp, cp, ep, peak, hbm, cal: Calibration, *, moe: bool, peak16=None,
                 cast_bytes: float = 0.0, etp=1):  # fmt: skip
    """(forward seconds, backward seconds, attention-core forward seconds, "light" recompute
    seconds) of one layer.

    The attention core runs at the 16-bit peak `peak16` (flash attention stays in bf16 in every FP8
    recipe of Transformer Engine and torchao) with ``eta_attn``; its backward does 2.5x the
    forward's FLOP with a flash kernel (five matmuls to two, Dao 2023), 2x unfused. Under a
    quantised recipe the backward quantises every GEMM's incoming gradient first, `cast_bytes` of
    HBM traffic per element (`trillion.plan.recipes`, memory-bound); the forward activations' casts
    are fused into the norm or activation that produces them, by Transformer Engine and by
    torch.compile alike. "light" recompute redoes the two norms, MLA's up-projections and the MoE
    activation in the backward.
    """
    peak16 = peak if peak16 is None else peak16
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
    eta_attn = cal.eta_attn or cal.eta_gemm
    core = core_flop / (peak16 * eta_attn) + 2 * cal.gemm_overhead_s
    if cal.attention_kernel == "unfused":  # probabilities written, softmaxed, dropped out, read
        core = core + 2 * 4.5 * b * heads * (s / cp) * s / (hbm * cal.eta_hbm) * frac
    if d.recurrent_flop_per_token or d.indexer_flop_per_ctx_token:
        # linear-attention / SSM state updates (linear in context) and DSA's indexer (scores every
        # earlier token), per average layer, at the GEMM efficiency (chunked kernels are matmuls)
        extra = d.recurrent_flop_per_token / d.num_layers + (
            d.indexer_flop_per_ctx_token * d.attention_mixers / d.num_layers * (s + 1) / 2
        )
        core = core + extra * tokens / tp / (peak16 * eta_attn)
    # elements entering a GEMM per token (attention: q/kv and o projections' inputs)
    gemm_in = (h + d.v_width) / tp
    if moe:
        # each TP rank routes its sequence-parallel shard of the tokens (Megatron-Core requires
        # sequence parallelism with MoE and TP); with expert tensor parallel `etp` an expert's
        # rank holds 1/etp of its width and computes it for the tokens of its whole ETP group
        routed = tokens / tp * d.top_k * cal.moe_imbalance
        per_expert = routed * ep * etp / max(d.num_experts, 1)
        width = d.expert_width * (2 if d.gated else 1)
        ffn_flop = 2 * routed * d.expert_params
        ffn = _gemm(
            ffn_flop * width / (width + d.expert_width), per_expert, width / etp, h, peak, hbm, cal
        ) + _gemm(
            ffn_flop * d.expert_width / (width + d.expert_width),
            per_expert,
            h,
            d.expert_width / etp,
            peak,
            hbm,
            cal,
        )
        if d.shared_params:
            ffn = ffn + _gemm(
                2 * tokens * d.shared_params / tp, tokens, d.shared_params / (2 * h * tp), h, peak, hbm, cal
            )
        ffn = ffn + _gemm(2 * tokens / tp * d.router_params, tokens / tp, d.num_experts, h, peak, hbm, cal)
        # the activation, plus permute (gather each token top_k times) and unpermute (scatter back)
        act = d.top_k * d.expert_width * (3 if d.gated else 2) / tp + (2 + 2 * d.top_k) * h / tp
        shared_width = d.shared_params / ((3 if d.gated else 2) * h)  # 0 without shared experts
        gemm_in = (
            gemm_in + (d.top_k * (h + d.expert_width) + (h + shared_width if d.shared_params else 0)) / tp
        )
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
        gemm_in = gemm_in + (h + d.mlp_width) / tp
    # element-wise: 2 norms, residuals, biases+dropout (~10 h) and the FFN activation, 2 bytes each
    elementwise = 2 * tokens * (10 * h + act) * cal.elementwise_factor / (hbm * cal.eta_hbm)
    cast = cast_bytes * tokens * gemm_in / (hbm * cal.eta_hbm)  # gradients, backward only
    # "light" recompute: two norms (read and write h, 2 bytes), MLA's up-projections, the MoE activation
    light = 8 * tokens * h / tp / (hbm * cal.eta_hbm)
    if d.mla:
        up_params = d.attn_params - h * (d.q_latent_width + d.kv_width) - d.v_width * h
        light = light + 2 * tokens / tp * max(up_params, 0.0) / (peak * cal.eta_gemm)
    if moe:
        routed_act = tokens / tp * d.top_k * cal.moe_imbalance * d.expert_width * (3 if d.gated else 2)
        light = light + 2 * routed_act / (hbm * cal.eta_hbm)
    gpu = proj + core + ffn + elementwise + (cal.moe_overhead_s if moe else 0.0)
    # flash attention's backward recomputes the scores: 2.5x the forward's matmuls, not 2x
    core_bwd = (0.5 if cal.attention_kernel == "flash" else 0.0) * core
    # the host launches a layer's kernels ahead of the device; when the device work is shorter
    # than the launch stream (small layers, small micro-batches) the launches set the pace
    fwd = np.maximum(gpu, cal.layer_overhead_s)
    bwd = np.maximum(2 * gpu + core_bwd + cast, 2 * cal.layer_overhead_s)
    return fwd, bwd, core, light


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
    etp=1,
    vpp=1,
    zero=1,
    dualpipe=False,
    recompute="selective",
    dtype: str = "bf16",
    grad_bytes: float = 2.0,
    cal: Calibration,
    optimizer: str = "adamw",
) -> StepTime:
    """Seconds per optimizer step of a (possibly vectorised) layout on `cluster`; `dtype` is also
    the mixed-precision recipe (for the optimizer's state traffic)."""
    acc = cluster.accelerator
    recipe = RECIPES[dtype]
    peak_q = acc.peak(recipe.peak)
    # attention and other 16-bit work: the dtype's own peak for a 16-bit recipe, else bf16 (fp16)
    peak16 = (
        peak_q
        if not recipe.quantised
        else acc.peak_flop_per_s.get("bf16", acc.peak_flop_per_s.get("fp16", peak_q))
    )
    # linear-layer GEMMs: the recipe's peak, with its high-precision share at the 16-bit peak
    hp = recipe.high_precision_share
    peak = 1.0 / ((1 - hp) / peak_q + hp / peak16)
    cast_bytes = recipe.cast_bytes_per_element() * (1 - hp)
    hbm = acc.memory_bytes_per_s
    up, out = cluster.scale_up_bytes_per_s, cluster.scale_out_bytes_per_s
    domain = cluster.scale_up_domain
    s, b = seq_len, mbs
    tokens = b * s / cp
    m = global_batch / (dp * b)  # micro-batches per step per pipeline

    dense_f, dense_b, dense_core, dense_light = _layer_times(
        d, s, b, tp, cp, ep, peak, hbm, cal, moe=False, peak16=peak16, cast_bytes=cast_bytes
    )
    if d.num_moe_layers:
        moe_f, moe_b, moe_core, moe_light = _layer_times(
            d, s, b, tp, cp, ep, peak, hbm, cal, moe=True, peak16=peak16, cast_bytes=cast_bytes, etp=etp
        )
    else:
        moe_f = moe_b = moe_core = moe_light = 0.0

    # tensor parallel: 2 all-reduces (or reduce-scatter + all-gather) forward, 2 backward
    tp_ar = hierarchical_allreduce_s(2.0 * tokens * d.hidden, tp, np.minimum(tp, domain), up, out, cal)
    # context parallel: K/V exchanged around the ring, forward and backward
    cp_bw = np.where(tp * cp <= domain, up, out)
    cp_x = np.where(cp > 1, 2 * (cp - 1) * (2.0 * tokens * d.kv_width / tp) / (cp_bw * cal.eta_net), 0.0)
    # expert parallel: dispatch + combine all-to-all, forward and backward, by tier
    # an FP8 recipe dispatches 1-byte activations and combines in bf16 (DeepSeek-V3 §3.3, DeepEP):
    # the pair of all-to-alls costs 3/4 of two bf16 ones
    # MoE parallel folding lays the expert grid out on its own: etp innermost, then ep
    a2a = moe_all_to_all_s(d, tokens / tp, ep, etp, domain, up, out, cal) if d.num_moe_layers else 0.0
    a2a = a2a * (0.75 if recipe.quantised else 1.0)
    # expert tensor parallel: the routed tokens all-gathered over the ETP group before the experts
    # and the outputs reduce-scattered after (an all-reduce's worth), forward and backward
    etp_routed = tokens / tp * d.top_k * cal.moe_imbalance * etp
    etp_comm = (
        hierarchical_allreduce_s(2.0 * etp_routed * d.hidden, etp, np.minimum(etp, domain), up, out, cal)
        if d.num_moe_layers
        else 0.0
    )

    def layer_total(f, bk, core, light, extra_fwd):
        # TP collectives hidden under GEMMs by `tp_overlap` (Megatron's userbuffer overlap; 0 for
        # vanilla TP), forward and backward
        fwd = f + 2 * tp_ar * (1 - cal.tp_overlap) + cp_x + extra_fwd
        bwd = bk + 2 * tp_ar * (1 - cal.tp_overlap) + cp_x + extra_fwd
        redo = (
            {"none": 0.0, "selective": core, "light": light, "full": fwd}[recompute]
            if isinstance(recompute, str)
            else 0.0
        )
        return fwd + bwd + redo

    per_dense = layer_total(dense_f, dense_b, dense_core, dense_light, 0.0)
    # DualPipe pairs one micro-batch's forward chunk with another's backward chunk and hides both
    # chunks' all-to-alls under the pair's compute, as far as it lasts (§3.2.1); otherwise
    # `ep_overlap` of each is hidden
    a2a_exposed = np.where(
        dualpipe, np.maximum(2 * a2a - (moe_f + moe_b) / 2, 0.0), 2 * a2a * (1 - cal.ep_overlap)
    )
    per_moe = (
        layer_total(moe_f, moe_b, moe_core, moe_light, a2a_exposed + etp_comm) if d.num_moe_layers else 0.0
    )
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
    # DualPipe feeds micro-batches from both ends: about half the fill and drain
    pipeline = m * t_mb_max + (t_mb_sum - t_mb_max) / vpp / np.where(dualpipe, 2.0, 1.0)
    bubble = pipeline - m * t_mb_sum / pp

    # data parallel: gradients of the local parameters, hierarchically over the domain
    dense_local = (d.attn_params * d.num_layers + d.mlp_params * d.num_dense_layers) / tp / pp
    moe_local = d.num_moe_layers * (d.shared_params / tp + d.router_params) / pp
    expert_local = d.num_moe_layers * d.num_experts / (ep * etp) * d.expert_params / pp
    edge = (d.embed_params + d.head_params) / tp / pp
    params_local = dense_local + moe_local + expert_local + edge
    inside = np.maximum(domain // (tp * cp), 1)
    dp_ar = hierarchical_allreduce_s(
        grad_bytes * (params_local - expert_local), dp * cp, inside, up, out, cal
    )
    # experts: MoE parallel folding (Megatron-Core) lets the expert-parallel group span tp*dp*cp;
    # each expert shard is then replicated over the expert-data-parallel group of tp*dp*cp/(ep*etp)
    edp = tp * dp * cp / (ep * etp)
    expert_ar = hierarchical_allreduce_s(
        grad_bytes * expert_local, edp, np.maximum(domain / (ep * etp), 1), up, out, cal
    )
    dp_ar = dp_ar + np.where(edp > 1, expert_ar, 0.0)
    # overlapped reduction (Megatron's distributed optimizer, bucketed): the gradient
    # reduce-scatter (half the all-reduce) under the last micro-batch's backward, the parameter
    # all-gather (the other half) under the first micro-batch's forward; `dp_overlap` of each
    # window hides that much
    t_bwd_mb = (d.num_dense_layers * dense_b + d.num_moe_layers * moe_b) / pp
    t_fwd_mb = (d.num_dense_layers * dense_f + d.num_moe_layers * moe_f) / pp
    exposed_dp = dp_ar - cal.dp_overlap * (np.minimum(dp_ar / 2, t_bwd_mb) + np.minimum(dp_ar / 2, t_fwd_mb))
    # ZeRO-3 / FSDP: weights all-gathered layer by layer for forward and again for backward of
    # every micro-batch (an all-gather moves half an all-reduce's bytes), gradients
    # reduce-scattered; the next layer's gather is prefetched under this layer's compute, so per
    # micro-batch only what exceeds the compute shows: max(0, AG - fwd) + max(0, AG + RS - bwd)
    gather = hierarchical_allreduce_s(2.0 * params_local, dp * cp, inside, up, out, cal) / 2
    fsdp = m * (np.maximum(gather - t_fwd_mb, 0.0) + np.maximum(gather + dp_ar / 2 - t_bwd_mb, 0.0))
    exposed_dp = np.where(np.asarray(zero) >= 3, fsdp, exposed_dp)
    # optimizer: state traffic per local parameter (AdamW, bf16 recipe: 32 bytes; see optimizers)
    opt_s = step_traffic_bytes(optimizer, dtype) * params_local / (hbm * cal.eta_hbm)
    # quantised weights: each micro-batch quantises the local weights, both copies (the forward
    # GEMM's and the backward's transposed or column-wise one), `cast_bytes` per element
    cast_w = m * cast_bytes * params_local / (hbm * cal.eta_hbm)
    step = pipeline + exposed_dp + opt_s + cast_w

    parts = {
        "compute_and_tp": m * t_mb_sum / pp,
        "pipeline_bubble": bubble,
        "dp_reduce_exposed": exposed_dp,
        "optimizer": opt_s,
        # exposed communication (what overlap leaves), for the activity shares of the power model
        "tp_comm": m * 4 * tp_ar * (1 - cal.tp_overlap) * d.num_layers / pp,
        "ep_all_to_all": m * 2 * (a2a_exposed + etp_comm) * d.num_moe_layers / pp
        if d.num_moe_layers
        else 0.0 * step,
    }
    return StepTime(step_s=step, parts=parts)
