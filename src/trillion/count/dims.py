"""The one layer-wise projection of a `ModelSpec` that both planners use.

`ModelDims` is what the training step-time and memory models and the serving roofline need of a
spec: widths, per-layer parameter counts (from the accounting's breakdown), experts, the active
matmul parameters per token and the attention FLOP per token of context. `ServeDims` adds one
weight storage format and one KV-cache format: bytes of all weights, of the weights one decode
step reads, of one routed expert, and KV bytes per token. Both come from the tensor list of
`trillion.count.params` and the formats of `trillion.count.bytes`, so planners and catalog agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from math import ceil

from trillion.count.bytes import KV_FORMATS, WEIGHT_FORMATS, kv_cache_bytes_per_token, tensor_bits
from trillion.count.params import count_params, tensors
from trillion.errors import InputError
from trillion.spec.model import MLA, ModelSpec


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelDims:
    """What the training and serving models need of a `ModelSpec` (counts per layer)."""

    name: str
    hidden: int
    num_layers: int
    vocab: int
    heads: int
    kv_heads: int  # 1 for MLA (one shared latent)
    mla: bool
    q_width: int  # heads * qk_head_dim
    kv_width: int  # 2 * kv_heads * head_dim (GQA) or the MLA latent projection width
    v_width: int  # heads * v_head_dim
    attn_params: float  # attention parameters per layer
    mlp_params: float  # dense FFN parameters per dense layer
    mlp_width: int  # dense FFN intermediate width (activation elements per token)
    gated: bool
    num_moe_layers: int
    num_experts: int
    top_k: int
    expert_params: float  # one routed expert
    expert_width: int
    shared_params: float  # shared experts of one MoE layer
    router_params: float
    embed_params: float  # token (+ position) table
    head_params: float  # output head (tied or not, it is a matmul)
    active_matmul_params: int  # per token (routed experts at top_k, the head included)
    attn_flop_per_ctx_token: int  # per layer: 2 * heads * (d_qk + d_v) FLOP per token of context
    max_context: int | None

    @property
    def num_dense_layers(self) -> int:
        return self.num_layers - self.num_moe_layers

    def experts_touched(self, batch):
        """Expected distinct experts per MoE layer when `batch` tokens each pick top_k of E
        (uniform routing): E * (1 - (1 - k/E) ** batch)."""
        import numpy as np

        if not self.num_moe_layers:
            return np.zeros_like(np.asarray(batch, dtype=float))
        e, k = self.num_experts, self.top_k
        return e * (1 - (1 - k / e) ** np.asarray(batch, dtype=float))

    def kv_shard(self, tp: int) -> float:
        """Fraction of the KV cache one tensor-parallel rank holds: heads split over ranks, at least
        one head each (replicated beyond); MLA's latent is replicated on every rank (vLLM)."""
        if self.mla:
            return 1.0
        return ceil(self.kv_heads / tp) / self.kv_heads


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeDims(ModelDims):
    """`ModelDims` at one weight format and one KV format (bytes)."""

    weights: str
    kv: str
    weight_bytes: int  # all weights
    dense_read_bytes: int  # non-expert matmul weights read every decode step (incl. the head)
    expert_bytes: float  # one routed expert of one layer
    kv_bytes_per_token: int  # all layers, whole model


@lru_cache(maxsize=256)
def model_dims(spec: ModelSpec) -> ModelDims:
    """The format-independent projection of `spec`."""
    p = count_params(spec)
    L = spec.num_layers
    n_moe = len(spec.moe_layers)
    n_dense = L - n_moe
    a = spec.attention
    mla = isinstance(a, MLA)
    kv_width = a.kv_lora_rank + a.qk_rope_head_dim if isinstance(a, MLA) else 2 * a.num_kv_heads * a.head_dim
    moe = spec.moe
    active = sum(t.active_numel for t in tensors(spec) if t.is_matmul)
    if spec.tied_embeddings:  # the token table doubles as the output head: still a matmul
        active += spec.vocab_size * spec.hidden_size
    return ModelDims(
        name=spec.name,
        hidden=spec.hidden_size,
        num_layers=L,
        vocab=spec.vocab_size,
        heads=a.num_heads,
        kv_heads=1 if mla else a.num_kv_heads,
        mla=mla,
        q_width=a.num_heads * a.qk_head_dim,
        kv_width=kv_width,
        v_width=a.num_heads * a.v_head_dim,
        attn_params=p.get("layers/attention") / L,
        mlp_params=p.get("layers/mlp") / n_dense if n_dense else 0.0,
        mlp_width=spec.mlp.intermediate_size if spec.mlp else 0,
        gated=bool(spec.mlp.gated if spec.mlp else moe and moe.expert.gated),
        num_moe_layers=n_moe,
        num_experts=moe.num_experts if moe else 0,
        top_k=moe.top_k if moe else 0,
        expert_params=p.get("layers/moe/experts") / (n_moe * moe.num_experts) if moe and n_moe else 0.0,
        expert_width=moe.expert.intermediate_size if moe else 0,
        shared_params=p.get("layers/moe/shared") / n_moe if n_moe else 0.0,
        router_params=p.get("layers/moe/router") / n_moe if n_moe else 0.0,
        embed_params=float(p.get("embedding/tokens") + p.get("embedding/positions")),
        head_params=float(spec.vocab_size * spec.hidden_size),
        active_matmul_params=active,
        attn_flop_per_ctx_token=2 * a.num_heads * (a.qk_head_dim + a.v_head_dim),
        max_context=spec.max_context,
    )


@lru_cache(maxsize=256)
def serve_dims(spec: ModelSpec, weights: str = "bf16", kv: str = "bf16") -> ServeDims:
    """`ServeDims` of `spec` with weights stored as `weights` and the KV cache as `kv`."""
    if weights not in WEIGHT_FORMATS:
        raise InputError(
            "weights", None, f"unknown precision {weights!r} (have: {', '.join(WEIGHT_FORMATS)})"
        )
    if kv not in KV_FORMATS:
        raise InputError("kv", None, f"unknown KV precision {kv!r} (have: {', '.join(KV_FORMATS)})")
    if spec.is_encoder_decoder:
        raise InputError(spec.name, "architecture", "encoder-decoder serving is not modelled")
    fmt = WEIGHT_FORMATS[weights]
    dense_bits = expert_bits = total_bits = 0.0
    for t in tensors(spec):
        bits = float(tensor_bits(t, fmt))
        total_bits += bits
        if t.role == "expert":
            expert_bits += bits
        elif t.is_matmul:
            dense_bits += bits
    if spec.tied_embeddings:
        dense_bits += spec.vocab_size * spec.hidden_size * 16.0  # the table read as the head
    moe = spec.moe
    n_moe = len(spec.moe_layers)
    return ServeDims(
        **asdict(model_dims(spec)),
        weights=weights,
        kv=kv,
        weight_bytes=ceil(total_bits / 8),
        dense_read_bytes=ceil(dense_bits / 8),
        expert_bytes=expert_bits / 8 / (n_moe * moe.num_experts) if moe and n_moe else 0.0,
        kv_bytes_per_token=kv_cache_bytes_per_token(spec, kv),
    )
