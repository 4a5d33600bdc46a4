"""What a language model *is*, as frozen data: attention, feed-forward, MoE, norms, embeddings.

No arithmetic beyond validation lives here; counting is in `trillion.count`. Every size is a
count (an exact int). Construct through keyword arguments; `ModelSpec.validate()` raises
`InputError` naming the field, with the arithmetic written out, for anything inconsistent.

Layer conventions (0-based layer index ``i``):
- A decoder layer is: norm(s), self-attention, [cross-attention], norm(s), FFN — dense or MoE.
- Which FFNs are MoE is decided by `MoE.is_moe_layer(i)`: ``i >= first_k_dense`` and ``i`` not
  in `dense_layers` and ``i % sparse_step == sparse_phase``. DeepSeek's ``first_k_dense_replace``
  and ``moe_layer_freq`` map to (first_k_dense, sparse_step, phase 0); Qwen-MoE's
  ``decoder_sparse_step`` and ``mlp_only_layers`` map to (sparse_step, phase sparse_step - 1,
  dense_layers), since Qwen tests ``(i + 1) % step == 0``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Literal

from trillion.errors import InputError

NormKind = Literal["rmsnorm", "layernorm"]
PositionKind = Literal["rotary", "learned", "alibi", "relative", "relative_xl", "none"]
Activation = Literal["gelu", "relu", "silu"]
QKNorm = Literal["none", "head", "full"]


# No dimension of a real model comes near 2^32; larger values are typos or hostile input, and would
# push FLOP counts past what a float can print.
MAX_DIM = 2**32
# Layers are walked one by one (MoE layer rules, sliding-window lists): the deepest published
# stacks have ~200 layers, so 2^16 bounds the work (milliseconds) far above any real model.
MAX_LAYERS = 2**16


def _need(where: str, field: str, ok: bool, message: str) -> None:
    if not ok:
        raise InputError(where, field, message)


def _positive(where: str, field: str, value: int | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    _need(
        where,
        field,
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        f"must be a positive integer, got {value!r}",
    )
    assert isinstance(value, int)
    _need(where, field, value <= MAX_DIM, f"{value} is implausibly large (> 2^32)")


def _check_types(obj: object, where: str) -> None:
    """Bools are bools, literals are among their choices, tuples hold ints, names are strings.

    Sizes are checked by each class's own validate(); this catches a TOML ``[spec]`` or a
    programmatic caller passing ``tied_embeddings = "no"`` (truthy) or ``norm = "batchnorm"``.
    """
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value, hint = getattr(obj, f.name), hints[f.name]
        origin = typing.get_origin(hint)
        if hint is bool:
            ok, want = isinstance(value, bool), "true or false"
        elif origin is Literal:
            ok, want = value in typing.get_args(hint), " | ".join(map(repr, typing.get_args(hint)))
        elif hint is str:
            ok, want = isinstance(value, str), "a string"
        elif origin is tuple:
            ok = isinstance(value, tuple) and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_DIM for v in value
            )
            want = "a list of non-negative integers"
        elif hint is int or (origin in (typing.Union, types.UnionType) and int in typing.get_args(hint)):
            ok = (
                value is None
                and type(None) in typing.get_args(hint)
                or (isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_DIM)
            )
            want = "an integer up to 2^32"
        else:
            continue
        _need(where, f.name, ok, f"must be {want}, got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Attention:
    """Softmax attention with grouped key/value heads.

    MHA when ``num_kv_heads == num_heads``, MQA when it is 1, GQA in between. ``head_dim`` need
    not equal ``hidden_size / num_heads`` (Gemma, PaLM). ``qk_norm`` is "head" for a norm over
    ``head_dim`` shared by all heads (Qwen3, Gemma3), "full" for one over all heads (OLMo2).
    """

    num_heads: int
    num_kv_heads: int
    head_dim: int
    q_bias: bool = False
    k_bias: bool = False
    v_bias: bool = False
    o_bias: bool = False
    qk_norm: QKNorm = "none"

    @property
    def kind(self) -> Literal["mha", "gqa", "mqa"]:
        if self.num_kv_heads == self.num_heads:
            return "mha"
        return "mqa" if self.num_kv_heads == 1 else "gqa"

    @property
    def qk_head_dim(self) -> int:
        return self.head_dim

    @property
    def v_head_dim(self) -> int:
        return self.head_dim

    def validate(self, where: str) -> None:
        _check_types(self, where)
        _positive(where, "num_heads", self.num_heads)
        _positive(where, "num_kv_heads", self.num_kv_heads)
        _positive(where, "head_dim", self.head_dim)
        _need(
            where,
            "num_kv_heads",
            self.num_kv_heads <= self.num_heads and self.num_heads % self.num_kv_heads == 0,
            f"num_heads({self.num_heads}) must be a multiple of num_kv_heads({self.num_kv_heads})",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MLA:
    """Multi-head latent attention (DeepSeek-V2 §2.1, DeepSeek-V3, Kimi K2).

    Queries go through an optional low-rank bottleneck (``q_lora_rank``; None = a full
    projection, as in DeepSeek-V2-Lite); keys and values through a shared latent of
    ``kv_lora_rank`` plus one decoupled RoPE key of ``qk_rope_head_dim`` shared by all heads.
    ``bias`` is the Hugging Face ``attention_bias`` (on q_a, kv_a and o projections).
    """

    num_heads: int
    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    bias: bool = False

    kind = "mla"

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def num_kv_heads(self) -> int:
        return self.num_heads

    def validate(self, where: str) -> None:
        _check_types(self, where)
        _positive(where, "num_heads", self.num_heads)
        _positive(where, "q_lora_rank", self.q_lora_rank, allow_none=True)
        _positive(where, "kv_lora_rank", self.kv_lora_rank)
        _positive(where, "qk_nope_head_dim", self.qk_nope_head_dim)
        _positive(where, "qk_rope_head_dim", self.qk_rope_head_dim)
        _positive(where, "v_head_dim", self.v_head_dim)


@dataclass(frozen=True, kw_only=True, slots=True)
class MLP:
    """A position-wise feed-forward block.

    Gated (SwiGLU / GeGLU: gate, up and down matrices) or plain (up and down: GPT's GELU MLP,
    OPT's ReLU MLP). ``intermediate_size`` is the hidden width of one block.
    """

    intermediate_size: int
    gated: bool
    activation: Activation = "silu"
    bias: bool = False

    @property
    def num_matrices(self) -> int:
        return 3 if self.gated else 2

    def validate(self, where: str, field: str = "intermediate_size") -> None:
        _check_types(self, where)
        _positive(where, field, self.intermediate_size)


@dataclass(frozen=True, kw_only=True, slots=True)
class MoE:
    """A mixture-of-experts FFN: a linear router, routed experts (top-k), optional shared experts.

    ``num_shared_experts`` shared experts are counted as one MLP of width
    ``shared_intermediate_size`` (DeepSeek fuses them that way; Qwen2-MoE has one shared expert of
    its own width, gated by a ``hidden -> 1`` sigmoid, ``shared_gate``).
    """

    num_experts: int
    top_k: int
    expert: MLP
    num_shared_experts: int = 0
    shared_intermediate_size: int | None = None
    shared_gate: bool = False
    router_bias: bool = False
    first_k_dense: int = 0
    dense_layers: tuple[int, ...] = ()
    sparse_step: int = 1
    sparse_phase: int = 0

    def is_moe_layer(self, layer: int) -> bool:
        return (
            layer >= self.first_k_dense
            and layer not in self.dense_layers
            and layer % self.sparse_step == self.sparse_phase
        )

    @property
    def shared(self) -> MLP | None:
        if self.num_shared_experts == 0 or self.shared_intermediate_size is None:
            return None
        return dataclasses.replace(self.expert, intermediate_size=self.shared_intermediate_size)

    def validate(self, where: str) -> None:
        _check_types(self, where)
        _positive(where, "num_experts", self.num_experts)
        _positive(where, "top_k", self.top_k)
        _need(
            where,
            "top_k",
            self.top_k <= self.num_experts,
            f"top_k({self.top_k}) must not exceed num_experts({self.num_experts})",
        )
        self.expert.validate(where, "moe_intermediate_size")
        _need(
            where,
            "num_shared_experts",
            isinstance(self.num_shared_experts, int) and self.num_shared_experts >= 0,
            f"must be a non-negative integer, got {self.num_shared_experts!r}",
        )
        if self.num_shared_experts:
            _positive(where, "shared_intermediate_size", self.shared_intermediate_size)
        _need(
            where,
            "first_k_dense",
            isinstance(self.first_k_dense, int) and self.first_k_dense >= 0,
            f"must be a non-negative integer, got {self.first_k_dense!r}",
        )
        _positive(where, "sparse_step", self.sparse_step)
        _need(
            where,
            "sparse_phase",
            0 <= self.sparse_phase < self.sparse_step,
            f"must be in [0, sparse_step({self.sparse_step})), got {self.sparse_phase}",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelSpec:
    """A whole transformer language model.

    Decoder-only unless ``num_encoder_layers`` > 0 (T5 / Switch Transformer: the encoder has
    self-attention and an FFN per layer; every decoder layer adds a cross-attention of the same
    shape as its self-attention). ``norms_per_layer`` counts the norm vectors in one decoder layer
    (2 for pre-norm, 4 for Gemma2's pre+post norms, 1 for GPT-J/Falcon-7B's shared norm).
    ``num_position_embeddings`` is the number of rows of a learned position table (OPT stores 2
    extra rows); ``relative_attention_buckets`` the rows of T5's relative bias (one table per
    stack, held by its first layer). ``positions="relative_xl"`` is Transformer-XL's relative
    attention (Dai et al. 2019 §3.3), used by Gopher and Chinchilla: each layer adds a projection
    of the relative position encodings (heads*head_dim x hidden) and two bias vectors (u, v) of
    heads*head_dim. ``embedding_norm`` is a norm right after the token embedding (BLOOM).
    """

    name: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    attention: Attention | MLA
    mlp: MLP | None
    moe: MoE | None = None
    tied_embeddings: bool = False
    norm: NormKind = "rmsnorm"
    norm_bias: bool = False
    norms_per_layer: int = 2
    final_norm: bool = True
    positions: PositionKind = "rotary"
    num_position_embeddings: int | None = None
    relative_attention_buckets: int | None = None
    embedding_norm: bool = False
    sliding_window: int | None = None
    sliding_window_layers: tuple[int, ...] = ()
    num_encoder_layers: int = 0
    max_context: int | None = None
    source: str = ""

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def is_encoder_decoder(self) -> bool:
        return self.num_encoder_layers > 0

    @property
    def moe_layers(self) -> tuple[int, ...]:
        """Decoder layer indices (0-based) whose FFN is a mixture of experts."""
        if self.moe is None:
            return ()
        return tuple(i for i in range(self.num_layers) if self.moe.is_moe_layer(i))

    def validate(self, where: str | None = None) -> ModelSpec:
        """Raise `InputError` for anything inconsistent; return self so calls chain."""
        where = where or self.name
        _check_types(self, where)
        _need(where, "attention", isinstance(self.attention, (Attention, MLA)), "must be Attention or MLA")
        _need(where, "mlp", self.mlp is None or isinstance(self.mlp, MLP), "must be an MLP or absent")
        _need(where, "moe", self.moe is None or isinstance(self.moe, MoE), "must be a MoE or absent")
        _positive(where, "vocab_size", self.vocab_size)
        _positive(where, "hidden_size", self.hidden_size)
        _positive(where, "num_layers", self.num_layers)
        for field, n in (("num_layers", self.num_layers), ("num_encoder_layers", self.num_encoder_layers)):
            _need(
                where,
                field,
                not isinstance(n, int) or n <= MAX_LAYERS,
                f"{n} layers is implausibly deep (> {MAX_LAYERS:,}: bounded work)",
            )
        self.attention.validate(where)
        if self.mlp is not None:
            self.mlp.validate(where)
        if self.moe is not None:
            self.moe.validate(where)
            dense_needed = any(not self.moe.is_moe_layer(i) for i in range(self.num_layers))
            if self.num_encoder_layers:
                dense_needed = dense_needed or any(
                    not self.moe.is_moe_layer(i) for i in range(self.num_encoder_layers)
                )
        else:
            dense_needed = True
        _need(
            where,
            "intermediate_size",
            not dense_needed or self.mlp is not None,
            "some layers have a dense FFN but no dense intermediate size is given",
        )
        _need(
            where,
            "norms_per_layer",
            isinstance(self.norms_per_layer, int) and self.norms_per_layer >= 0,
            f"must be a non-negative integer, got {self.norms_per_layer!r}",
        )
        _need(
            where,
            "num_encoder_layers",
            isinstance(self.num_encoder_layers, int) and self.num_encoder_layers >= 0,
            f"must be a non-negative integer, got {self.num_encoder_layers!r}",
        )
        if self.positions == "learned":
            _positive(where, "num_position_embeddings", self.num_position_embeddings)
        if self.positions == "relative":
            _positive(where, "relative_attention_buckets", self.relative_attention_buckets)
        _positive(where, "sliding_window", self.sliding_window, allow_none=True)
        _positive(where, "max_context", self.max_context, allow_none=True)
        bad = [i for i in self.sliding_window_layers if not 0 <= i < self.num_layers]
        _need(
            where,
            "sliding_window_layers",
            not bad,
            f"layer indices {bad} outside [0, num_layers({self.num_layers}))",
        )
        _need(
            where,
            "sliding_window",
            not self.sliding_window_layers or self.sliding_window is not None,
            "sliding_window_layers given without a sliding_window size",
        )
        return self
