"""What the serving model needs of a `ModelSpec`, per storage format: bytes read per decode step,
FLOP per token, KV bytes per token and how they shard over tensor-parallel ranks.

Counts come from the accounting module's tensor list (`trillion.count.params.tensors`) and its
storage formats (`trillion.count.bytes`), so serving memory and the catalog's weight bytes agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from trillion.count.bytes import KV_FORMATS, WEIGHT_FORMATS, _tensor_bits, kv_cache_bytes_per_token
from trillion.count.params import tensors
from trillion.errors import InputError
from trillion.spec.model import MLA, ModelSpec


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeDims:
    """One model at one weight format and one KV format (bytes, FLOP and counts)."""

    name: str
    weights: str
    kv: str
    num_layers: int
    hidden: int
    vocab: int
    heads: int
    kv_heads: int  # 1 for MLA (one shared latent)
    mla: bool
    attn_flop_per_ctx_token: int  # per layer: 2 * heads * (d_qk + d_v) FLOP per token of context
    weight_bytes: int  # all weights
    dense_read_bytes: int  # non-expert matmul weights read every decode step (incl. the head)
    expert_bytes: float  # one routed expert of one layer
    num_moe_layers: int
    num_experts: int
    top_k: int
    active_matmul_params: int  # per token (routed experts at top_k)
    kv_bytes_per_token: int  # all layers, whole model
    max_context: int | None

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


@lru_cache(maxsize=256)
def serve_dims(spec: ModelSpec, weights: str = "bf16", kv: str = "bf16") -> ServeDims:
    """`ServeDims` of `spec` with weights stored as `weights` and the KV cache as `kv`."""
    if weights not in WEIGHT_FORMATS:
        raise InputError(
            "--weights", None, f"unknown precision {weights!r} (have: {', '.join(WEIGHT_FORMATS)})"
        )
    if kv not in KV_FORMATS:
        raise InputError("--kv", None, f"unknown KV precision {kv!r} (have: {', '.join(KV_FORMATS)})")
    if spec.is_encoder_decoder:
        raise InputError(spec.name, "architecture", "encoder-decoder serving is not modelled")
    fmt = WEIGHT_FORMATS[weights]
    dense_bits = 0.0
    expert_bits = 0.0
    total_bits = 0.0
    active = 0
    for t in tensors(spec):
        bits = float(_tensor_bits(t, fmt))
        total_bits += bits
        if t.role == "expert":
            expert_bits += bits
        elif t.is_matmul:
            dense_bits += bits
        if t.is_matmul:
            active += t.active_numel
    if spec.tied_embeddings:
        active += spec.vocab_size * spec.hidden_size
        dense_bits += spec.vocab_size * spec.hidden_size * 16.0  # the table read as the head
    a = spec.attention
    moe = spec.moe
    n_moe = len(spec.moe_layers)
    mla = isinstance(a, MLA)
    return ServeDims(
        name=spec.name,
        weights=weights,
        kv=kv,
        num_layers=spec.num_layers,
        hidden=spec.hidden_size,
        vocab=spec.vocab_size,
        heads=a.num_heads,
        kv_heads=1 if mla else a.num_kv_heads,
        mla=mla,
        attn_flop_per_ctx_token=2 * a.num_heads * (a.qk_head_dim + a.v_head_dim),
        weight_bytes=ceil(total_bits / 8),
        dense_read_bytes=ceil(dense_bits / 8),
        expert_bytes=expert_bits / 8 / (n_moe * moe.num_experts) if moe and n_moe else 0.0,
        num_moe_layers=n_moe,
        num_experts=moe.num_experts if moe else 0,
        top_k=moe.top_k if moe else 0,
        active_matmul_params=active,
        kv_bytes_per_token=kv_cache_bytes_per_token(spec, kv),
        max_context=spec.max_context,
    )
