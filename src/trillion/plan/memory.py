"""Training memory per device: model states, activations, pipeline in-flight micro-batches, overhead.

Written with numpy operations so layout quantities may be arrays (the search evaluates thousands).
All results are bytes for the busiest device: pipeline stage 0, which holds the embedding and the
most in-flight micro-batches, or the last stage when the output head and its fp32 logits weigh more.

Model states per parameter (bytes), by mixed-precision recipe, with AdamW (other optimizers change
the master-plus-moments part: `trillion.plan.optimizers`):
- "bf16": bf16 weights 2, fp32 gradient accumulation 4, fp32 master weights 4, Adam m and v 8
  (Megatron-LM's default, Narayanan et al. 2021 §5; ZeRO paper's 16 bytes uses 2-byte gradients).
- "fp16": DeepSpeed's fp16 recipe, fp16 gradients: 2 + 2 + 12 = the ZeRO paper's 16 bytes.
- "fp8": as DeepSeek-V3 §3.3: bf16 weights 2 (+1 for the fp8 cast held for the step), fp32
  gradients 4, fp32 master 4, Adam moments in bf16 4.
ZeRO-1 shards master weights and Adam moments over the data-parallel group, ZeRO-2 also the
gradients, ZeRO-3 also the weights (plus two gathered layers); expert parameters split over
ep * etp ranks and shard over their own (smaller) data-parallel group tp*dp*cp/(ep*etp) (MoE
parallel folding: the expert grid has its own tensor-parallel size, so the expert-parallel group
may span tp*dp*cp).

Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation", §4, generalised to GQA,
gated FFNs and MoE): bytes per token per layer stored for the backward pass, 2-byte activations:
attention inputs and outputs of every projection, the FFN's inputs and intermediates, and with an
unfused attention kernel the ``heads x S`` scores, softmax and dropout (5 bytes per element);
tensor parallelism divides what is split over heads/width; sequence parallelism also the rest.
Under a quantised recipe (fp8, mxfp8, nvfp4) the inputs of every linear layer are kept as the
quantised copy the backward's weight-gradient GEMM reads (Transformer Engine saves its quantised
input; DeepSeek-V3 §3.3.3 "cache the activations in FP8"): `Recipe.element_bytes` each, not 2.
"selective" recompute drops the attention-core terms; "light" drops the norms' outputs, MLA's
up-projected queries (keeping the query latent) and the MoE activation's output (Megatron-Core's
recompute modules layernorm, mla_up_proj, moe_act: DeepSeek-V3 §3.2.3); "full" keeps only each
layer's input plus one layer's working set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trillion.count.dims import ModelDims
from trillion.plan.optimizers import state_bytes
from trillion.plan.recipes import RECIPES

STATE_BYTES = {  # per parameter: weights, gradients (the optimizer's: trillion.plan.optimizers)
    "bf16": (2.0, 4.0),
    "fp16": (2.0, 2.0),  # the ZeRO paper's mixed-precision Adam: 2 + 2 + K(=12)
    "fp8": (3.0, 4.0),
    # block-scaled recipes hold the row- and column-wise quantised copies of the weights for the step
    "mxfp8": (2.0 + 2 * RECIPES["mxfp8"].element_bytes, 4.0),
    "nvfp4": (2.0 + 2 * RECIPES["nvfp4"].element_bytes, 4.0),
}
FRAMEWORK_OVERHEAD_BYTES = 3 * 2**30  # CUDA context, NCCL buffers, allocator fragmentation (assumption)


def _layer_activation_bytes(
    d: ModelDims, s, b, tp, cp, sp, kernel: str, *, moe: bool, recompute: str, dropout: bool = False,
    linear_in_bytes: float = 2.0, etp=1,
):  # fmt: skip
    """Bytes one layer keeps for backward per micro-batch, and its transient working set.

    Per token, 2-byte activations (Korthikanti et al. 2022 §4.1, Table 2): attention keeps its input
    (h), Q, K and V (q + kv widths) and its output (v width); the FFN its input (h), its up-projection
    outputs (f, or 2f gated) and the activation output (f); the two norms their inputs (2h). With
    dropout, one 1-byte mask after attention and one after the FFN (h each). Tensor parallelism splits
    the head- and width-sized tensors; sequence parallelism also the h-sized ones. For GPT-3-style
    MHA with a 4h GELU FFN and dropout this is Korthikanti's 34 sbh (10 + 24/t with TP, 34/t with SP).
    """
    tokens = b * s / cp
    h = d.hidden
    lin = linear_in_bytes  # a linear layer's saved input (its quantised copy under fp8 recipes)
    split_h = np.where(sp, tp, 1)  # h-sized tensors are split only under sequence parallelism
    masks = (2 * h / split_h) if dropout else 0.0  # two 1-byte dropout masks of h
    light = recompute == "light"
    # attention: the normed input (QKV's input; recomputed under "light"), Q (MLA under "light":
    # only its latent), K/V, the output (o's input)
    q = d.q_latent_width if (light and d.mla and d.q_latent_width) else d.q_width
    attn = (0.0 if light else lin * h / split_h) + 2 * (q + d.kv_width) / tp + lin * d.v_width / tp
    # unfused: scores, softmax and dropout output (5 bytes per score); flash: fp32 log-sum-exp only
    # the unfused S x S scores shrink with windows, chunks and recurrent layers like the work does
    core = np.where(kernel == "unfused", 5.0 * d.heads * s / tp * d.attention_fraction(s), 4.0 * d.heads / tp)
    ffn_in = 0.0 if light else lin * h / split_h  # the normed input
    if moe:
        # routed tokens: each TP rank keeps its sequence-parallel shard; per copy the expert's input
        # (gathered over the expert tensor-parallel group), its up-projection output (the
        # activation's input) and the activation's output (the down-projection's input; recomputed
        # under "light"), widths split over etp
        up = d.expert_width * (2 if d.gated else 1)
        per_copy = lin * h * etp + 2 * up + (0.0 if light else lin * d.expert_width)
        ffn = ffn_in + d.top_k * per_copy / tp
        ffn = ffn + 4.0 * d.num_experts / tp  # fp32 router logits
        if d.shared_params:
            width = d.shared_params / (3 * h if d.gated else 2 * h)
            ffn = ffn + (2 * width * (2 if d.gated else 1) + lin * width) / tp
    else:
        ffn = ffn_in + (2 * d.mlp_width * (2 if d.gated else 1) + lin * d.mlp_width) / tp
    norms = 2 * 2 * h / split_h
    full_layer = tokens * (attn + core + ffn + norms + masks)
    if recompute == "full":
        kept = tokens * 2 * h / split_h
    elif recompute == "selective":
        kept = tokens * (attn + ffn + norms + masks)
    else:
        kept = full_layer
    return kept, full_layer


def memory_per_device(
    d: ModelDims,
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
    sequence_parallel=True,
    precision: str = "bf16",
    attention_kernel: str = "flash",
    optimizer: str = "adamw",
) -> dict[str, Any]:
    """Bytes per device by component (see module doc); ``total`` is their sum."""
    w_b, g_b = STATE_BYTES[precision]
    o_b = state_bytes(optimizer, precision)
    s, b = seq_len, mbs
    sp = np.asarray(sequence_parallel) & (np.asarray(tp) > 1)
    layers_stage = np.ceil(d.num_layers / pp)
    moe_frac = d.num_moe_layers / d.num_layers
    moe_stage = np.ceil(layers_stage * moe_frac)
    dense_stage = layers_stage - moe_stage
    dense_params = (
        d.attn_params * layers_stage + d.mlp_params * dense_stage + moe_stage * (d.shared_params / 1.0)
    ) / tp
    dense_params = dense_params + moe_stage * d.router_params
    expert_params = moe_stage * d.num_experts / (ep * etp) * d.expert_params
    edge = np.where(pp > 1, np.maximum(d.embed_params, d.head_params), d.embed_params + d.head_params) / tp

    dp_group = dp * cp
    edp = tp * dp * cp / (ep * etp)
    non_expert = dense_params + edge

    def shard(n, group, stage_min):
        return np.where(zero >= stage_min, n / group, n)

    weights = w_b * (shard(non_expert, dp_group, 3) + shard(expert_params, edp, 3))
    weights = np.where(dualpipe, 2 * weights, weights)  # DualPipe: two copies (DeepSeek-V3 §3.2.1)
    zero3_buffer = np.where(
        zero >= 3, 2 * w_b * (d.attn_params + max(d.mlp_params, d.shared_params)) / tp, 0.0
    )
    grads = g_b * (shard(non_expert, dp_group, 2) + shard(expert_params, edp, 2))
    optimizer = o_b * (shard(non_expert, dp_group, 1) + shard(expert_params, edp, 1))

    recipe = RECIPES[precision]
    lin = recipe.element_bytes if recipe.quantised else 2.0
    kept_dense, work_dense = _layer_activation_bytes(
        d, s, b, tp, cp, sp, attention_kernel, moe=False, recompute=recompute, linear_in_bytes=lin
    )
    if d.num_moe_layers:
        kept_moe, work_moe = _layer_activation_bytes(
            d, s, b, tp, cp, sp, attention_kernel, moe=True, recompute=recompute, linear_in_bytes=lin, etp=etp
        )
    else:
        kept_moe = work_moe = 0.0
    m = global_batch / (dp * b)
    in_flight = np.minimum(m, pp)
    interleave = np.where(vpp > 1, 1 + (pp - 1) / (pp * vpp), 1.0)
    activations = (kept_dense * dense_stage + kept_moe * moe_stage) * in_flight * interleave
    working = np.maximum(work_dense, work_moe)  # one layer recomputed / in flight at a time
    logits = 2 * 4.0 * b * s / cp * d.vocab / tp  # fp32 logits and their gradient (last stage)
    # stage 0 vs last stage: stage 0 holds pp in-flight micro-batches, the last stage the logits
    last_stage_acts = (kept_dense * dense_stage + kept_moe * moe_stage) * 1 + logits
    activations = np.maximum(activations, last_stage_acts)
    total = weights + zero3_buffer + grads + optimizer + activations + working + FRAMEWORK_OVERHEAD_BYTES
    return {
        "weights": weights + zero3_buffer,
        "gradients": grads,
        "optimizer_states": optimizer,
        "activations": activations,
        "working_set": working,
        "framework_overhead": FRAMEWORK_OVERHEAD_BYTES + 0.0 * total,
        "total": total,
    }
