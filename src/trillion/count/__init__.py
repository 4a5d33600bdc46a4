"""Exact accounting of a `ModelSpec`: parameters, FLOP per token, weight and KV-cache bytes.

`count(spec, seq_len)` gathers everything into one `ModelCount`; the functions it calls live in
`params`, `flop` and `bytes`, each documenting its convention.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trillion.count.breakdown import Breakdown
from trillion.count.bytes import (
    KV_FORMATS,
    WEIGHT_FORMATS,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    state_bytes_per_sequence,
    weight_bytes,
)
from trillion.count.flop import TRAIN_FACTOR, AttentionMode, forward_flop
from trillion.count.params import count_active_params, count_params, embedding_params, mtp_tensors
from trillion.spec.model import ModelSpec

DEFAULT_SEQ_LEN = 4096

__all__ = ["Breakdown", "ModelCount", "count", "DEFAULT_SEQ_LEN"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelCount:
    """Every exact count of one model at one context length (all ints; units in the names)."""

    spec: ModelSpec
    seq_len: int
    attention: AttentionMode
    params: Breakdown
    active_params: Breakdown
    embedding_params: int
    forward_flop: Breakdown
    weight_bytes: dict[str, int]
    kv_cache_bytes_per_token: dict[str, int]
    kv_cache_bytes_at_seq_len: dict[str, int]  # one sequence of seq_len tokens, windows and chunks capped
    state_bytes_per_sequence: dict[str, int]  # linear-attention / SSM state of one sequence
    mtp_params: int = 0  # multi-token-prediction modules: their own figure, not in the total
    assumptions: tuple[str, ...] = field(default=())

    @property
    def sequence_bytes(self) -> dict[str, int]:
        """Memory one sequence of seq_len tokens holds while generating: KV cache plus state."""
        return {f: self.kv_cache_bytes_at_seq_len[f] + self.state_bytes_per_sequence[f] for f in KV_FORMATS}

    @property
    def total_params(self) -> int:
        return self.params.total

    @property
    def non_embedding_params(self) -> int:
        return self.params.total - self.embedding_params

    @property
    def forward_flop_per_token(self) -> int:
        return self.forward_flop.total

    @property
    def train_flop_per_token(self) -> int:
        """Forward + backward (= 2x forward): 3x forward (Kaplan et al. 2020 §2.1)."""
        return TRAIN_FACTOR["none"] * self.forward_flop.total

    @property
    def train_flop_per_token_full_recompute(self) -> int:
        """With full activation recompute the forward runs twice: 4x forward."""
        return TRAIN_FACTOR["full"] * self.forward_flop.total

    @property
    def six_n_flop_per_token(self) -> int:
        """The 6·N rule of thumb with N = active parameters, for reference."""
        return 6 * self.active_params.total

    def to_dict(self) -> dict:
        return {
            "name": self.spec.name,
            "seq_len": self.seq_len,
            "attention_flop_convention": self.attention,
            "total_params": self.total_params,
            "active_params": self.active_params.total,
            "embedding_params": self.embedding_params,
            "non_embedding_params": self.non_embedding_params,
            "forward_flop_per_token": self.forward_flop_per_token,
            "forward_matmul_flop_per_token": self.forward_flop.get("matmul"),
            "forward_attention_flop_per_token": self.forward_flop.get("attention"),
            "train_flop_per_token": self.train_flop_per_token,
            "train_flop_per_token_full_recompute": self.train_flop_per_token_full_recompute,
            "six_n_flop_per_token": self.six_n_flop_per_token,
            "weight_bytes": dict(self.weight_bytes),
            "kv_cache_bytes_per_token": dict(self.kv_cache_bytes_per_token),
            "kv_cache_bytes_at_seq_len": dict(self.kv_cache_bytes_at_seq_len),
            "state_bytes_per_sequence": dict(self.state_bytes_per_sequence),
            "sequence_bytes_at_seq_len": self.sequence_bytes,
            "mtp_params": self.mtp_params,
            "layer_kinds": layer_kinds(self.spec),
            "params_breakdown": self.params.to_tree(),
            "active_params_breakdown": self.active_params.to_tree(),
            "forward_flop_breakdown": self.forward_flop.to_tree(),
            "assumptions": list(self.assumptions),
        }


ASSUMPTIONS = (
    "parameters: every trainable tensor of the Hugging Face implementation; buffers and MTP "
    "modules not counted; a tied output head counted once",
    "active parameters: routed experts at top_k/num_experts, everything else in full",
    "embedding parameters: token and position tables plus an untied output head",
    "FLOP: 2 per multiply-accumulate; matmuls over active weights incl. router and output head; "
    "norms, biases, activations and softmax not counted",
    "attention FLOP: 2*heads*(qk_head_dim + v_head_dim)*context per attention layer per token, context capped by "
    "sliding windows, chunks and sparse-attention top-k; recurrent layers: a per-token state update (see count.flop)",
    "KV cache: attention layers only; recurrent (linear attention, SSM) layers keep a fixed state per sequence",
    "training FLOP: 3x forward (backward = 2x forward); 4x with full recompute",
    "quantised weight formats quantise block matrices only; embeddings, head, router, norms in bf16",
)


def layer_kinds(spec: ModelSpec) -> dict[str, int]:
    """How many layers of each kind: ``attention``, ``sliding_window``, ``chunked``, a recurrent
    kind (``gated_deltanet``, ``mamba2``, ...), ``ffn_only``; a layer may count under two (Falcon-H1)."""
    out: dict[str, int] = {}
    for layer in spec.layer_list():
        kinds = []
        if layer.attention:
            kinds.append("sliding_window" if layer.window else "chunked" if layer.chunk else "attention")
        if layer.recurrent is not None:
            kinds.append(layer.recurrent.kind)
        for k in kinds or ["ffn_only"]:
            out[k] = out.get(k, 0) + 1
    return out


def count(spec: ModelSpec, seq_len: int = DEFAULT_SEQ_LEN, attention: AttentionMode = "causal") -> ModelCount:
    """All exact counts of `spec` at context `seq_len` (tokens); see `ModelCount`."""
    flop = forward_flop(spec, seq_len, attention)
    context = (
        "causal: mean context (S+1)/2 over a sequence of S tokens"
        if attention == "causal"
        else "full: S keys for every query"
    )
    return ModelCount(
        spec=spec,
        seq_len=seq_len,
        attention=attention,
        params=count_params(spec),
        active_params=count_active_params(spec),
        embedding_params=embedding_params(spec),
        forward_flop=flop,
        weight_bytes={name: weight_bytes(spec, fmt) for name, fmt in WEIGHT_FORMATS.items()},
        kv_cache_bytes_per_token={f: kv_cache_bytes_per_token(spec, f) for f in KV_FORMATS},
        kv_cache_bytes_at_seq_len={f: kv_cache_bytes(spec, seq_len, f) for f in KV_FORMATS},
        state_bytes_per_sequence={f: state_bytes_per_sequence(spec, f) for f in KV_FORMATS},
        mtp_params=sum(t.numel for t in mtp_tensors(spec)),
        assumptions=ASSUMPTIONS + (f"attention context: {context}, S = {seq_len}",),
    )
