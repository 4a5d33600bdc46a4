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
from typing import Any

import numpy as np

from trillion.count.bytes import (
    KV_FORMATS,
    WEIGHT_FORMATS,
    kv_cache_bytes_per_token,
    kv_elements_per_mixer,
    state_bytes_per_sequence,
    tensor_bits,
)
from trillion.count.flop import RECURRENT_FLOP_PER_STATE
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
    attn_flop_per_ctx_token: int  # per attention mixer: 2 * heads * (d_qk + d_v) FLOP per token of context
    max_context: int | None
    # layer kinds (hybrid, windowed, chunked and sparse-attention stacks; a uniform stack has one
    # full-attention mixer per layer, no cap and no recurrent state)
    attention_caps: tuple[tuple[int | None, int], ...] = ()  # (window/chunk/top-k cap or None, mixers)
    storage_caps: tuple[tuple[int | None, int], ...] = ()  # the same without top-k: what the cache keeps
    recurrent_flop_per_token: int = 0  # state updates and convolutions, all layers
    state_elements: int = 0  # recurrent state of one sequence, all layers
    indexer_flop_per_ctx_token: int = 0  # DeepSeek sparse attention's indexer, per mixer per token of context
    # decode's attention core per mixer per token of context: MLA decodes in the latent space with
    # the up-projections absorbed (DeepSeek-V2 §2.1.2; FlashMLA, vLLM and SGLang's MLA backends):
    # scores over kv_lora_rank + rope, values over kv_lora_rank; 0: the same as prefill's
    decode_attn_flop_per_ctx_token: int = 0
    q_latent_width: int = 0  # MLA query latent (q_lora_rank); 0 without one

    @property
    def decode_attn_flop(self) -> int:
        return self.decode_attn_flop_per_ctx_token or self.attn_flop_per_ctx_token

    @property
    def attention_mixers(self) -> int:
        return sum(n for _, n in self.attention_caps)

    def mean_keys(self, seq_len) -> Any:
        """Keys per query summed over every attention mixer, averaged over a causal sequence of
        `seq_len` tokens (each mixer capped by its window, chunk or top-k); arrays allowed."""
        s = np.asarray(seq_len, dtype=float)
        total = 0.0 * s
        for cap, n in self.attention_caps:
            full = (s + 1) / 2
            if cap is None:
                total = total + n * full
            else:
                capped = (cap * (cap + 1) / 2 + (s - cap) * cap) / s
                total = total + n * np.where(s <= cap, full, capped)
        return total

    def attention_fraction(self, seq_len) -> Any:
        """Attention-core work at `seq_len` relative to a uniform stack of full-attention layers:
        1.0 for a uniform model, less with windows, chunks, top-k or recurrent layers."""
        s = np.asarray(seq_len, dtype=float)
        return self.mean_keys(s) / (self.num_layers * (s + 1) / 2)

    def cached_tokens(self, context) -> Any:
        """Layer-tokens the KV cache holds at `context` tokens (each attention mixer keeps at most
        its window or chunk; DSA's top-k limits what is read, not what is kept); multiply by one
        mixer's bytes per token."""
        return self._capped(context, self.storage_caps or self.attention_caps)

    def read_tokens(self, context) -> Any:
        """Layer-tokens one decode step reads at `context` tokens (windows, chunks and top-k)."""
        return self._capped(context, self.attention_caps)

    @staticmethod
    def _capped(context, caps) -> Any:
        c = np.asarray(context, dtype=float)
        total = 0.0 * c
        for cap, n in caps:
            total = total + n * (c if cap is None else np.minimum(c, cap))
        return total

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
    kv_bytes_per_token: int  # all attention mixers, whole model, for a context within every window
    kv_bytes_per_mixer_token: float = 0.0  # one attention mixer's KV bytes per token
    state_bytes: float = 0.0  # recurrent state of one sequence, whole model, in the KV format

    def kv_bytes(self, context) -> Any:
        """KV-cache bytes of one sequence at `context` tokens (windows and chunks capped)."""
        return self.kv_bytes_per_mixer_token * self.cached_tokens(context)

    def sequence_bytes(self, context) -> Any:
        """What one sequence of `context` tokens holds while generating: KV cache plus state."""
        return self.kv_bytes(context) + self.state_bytes


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
    topk = a.indexer.topk if isinstance(a, MLA) and a.indexer is not None else None
    caps: dict[int | None, int] = {}
    kept: dict[int | None, int] = {}
    recurrent_flop = state = 0
    for layer in spec.layer_list():
        if layer.attention:
            bounds = [x for x in (layer.window, layer.chunk, topk) if x]
            cap = min(bounds) if bounds else None
            caps[cap] = caps.get(cap, 0) + layer.attention
            held = [x for x in (layer.window, layer.chunk) if x]
            kept[min(held) if held else None] = kept.get(min(held) if held else None, 0) + layer.attention
        r = layer.recurrent
        if r is not None:
            recurrent_flop += RECURRENT_FLOP_PER_STATE[r.kind] * r.state_heads * r.state_rows * r.state_cols
            recurrent_flop += 2 * r.conv_channels * r.conv_kernel
            state += r.state_elements
    indexer_flop = 2 * a.indexer.num_heads * a.indexer.head_dim if isinstance(a, MLA) and a.indexer else 0
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
        attention_caps=tuple(sorted(caps.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
        storage_caps=tuple(sorted(kept.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
        recurrent_flop_per_token=recurrent_flop,
        state_elements=state,
        indexer_flop_per_ctx_token=indexer_flop,
        decode_attn_flop_per_ctx_token=(
            2 * a.num_heads * (2 * a.kv_lora_rank + a.qk_rope_head_dim) if isinstance(a, MLA) else 0
        ),
        q_latent_width=(a.q_lora_rank or 0) if isinstance(a, MLA) else 0,
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
        kv_bytes_per_mixer_token=kv_elements_per_mixer(spec) * KV_FORMATS[kv] / 8,
        state_bytes=state_bytes_per_sequence(spec, kv),
    )
