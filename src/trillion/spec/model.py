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
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

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


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """`typing.get_type_hints` of a spec class, resolved once (it evaluates every annotation)."""
    return typing.get_type_hints(cls)


def _check_types(obj: object, where: str) -> None:
    """Bools are bools, literals are among their choices, tuples hold ints, names are strings.

    Sizes are checked by each class's own validate(); this catches a TOML ``[spec]`` or a
    programmatic caller passing ``tied_embeddings = "no"`` (truthy) or ``norm = "batchnorm"``.
    """
    hints = _hints(type(obj))  # type: ignore[arg-type]
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value, hint = getattr(obj, f.name), hints[f.name]
        origin = typing.get_origin(hint)
        if hint is bool:
            ok, want = isinstance(value, bool), "true or false"
        elif origin is Literal:
            ok, want = value in typing.get_args(hint), " | ".join(map(repr, typing.get_args(hint)))
        elif hint is str:
            ok, want = isinstance(value, str), "a string"
        elif origin is tuple and typing.get_args(hint)[0] is int:
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
        _need(where, f.name, ok, f"must be {want}, got {repr(value)[:120]}")


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
    output_gate: bool = False  # a sigmoid gate on the attention output from q_proj's second half (Qwen3-Next)
    sinks: bool = False  # one learned attention-sink logit per head (gpt-oss)

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
    indexer: Indexer | None = None  # DeepSeek sparse attention's lightning indexer (DeepSeek-V3.2)

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
        if self.indexer is not None:
            self.indexer.validate(where)


WeightRole = Literal["linear", "norm", "bias", "conv", "scalar"]
RecurrentKind = Literal["gated_deltanet", "kda", "lightning", "mamba", "mamba2", "short_conv"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Weight:
    """One parameter tensor as an implementation registers it, for the parts of a layer whose
    shapes differ from family to family (linear-attention and SSM mixers, indexers, activation
    parameters). ``path`` is relative to its owner; ``role`` says how it is counted: a ``linear``
    multiplies activations (2 FLOP per element per token), the others do not."""

    path: str
    shape: tuple[int, ...]
    role: WeightRole = "linear"

    def validate(self, where: str) -> None:
        _need(
            where,
            "weights",
            isinstance(self.path, str) and bool(self.path),
            f"a weight needs a path, got {self.path!r}",
        )
        _need(where, self.path, isinstance(self.shape, tuple) and len(self.shape) >= 1
              and all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_DIM for d in self.shape),
              f"shape must be positive integers up to 2^32, got {self.shape!r}")  # fmt: skip
        _need(where, self.path, self.role in typing.get_args(WeightRole), f"unknown role {self.role!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Indexer:
    """DeepSeek sparse attention's lightning indexer (DeepSeek-V3.2-Exp): a few small heads score
    every past token and the attention keeps the `topk` best. Its `weights` are its parameters."""

    num_heads: int
    head_dim: int
    topk: int
    weights: tuple[Weight, ...]

    def validate(self, where: str) -> None:
        _positive(where, "index_n_heads", self.num_heads)
        _positive(where, "index_head_dim", self.head_dim)
        _positive(where, "index_topk", self.topk)
        for w in self.weights:
            w.validate(where)


@dataclass(frozen=True, kw_only=True, slots=True)
class Recurrent:
    """A mixer whose memory of the past is a fixed-size state instead of a KV cache that grows:
    linear attention (gated DeltaNet, Kimi delta attention, lightning attention), state-space
    models (Mamba, Mamba-2) and short convolutions (LFM2).

    The state of one sequence holds ``state_heads`` matrices of ``state_rows`` x ``state_cols``
    (linear attention: d_k x d_v per value head; an SSM: d_state x head width per head), plus the
    last ``conv_kernel - 1`` inputs of a causal convolution over ``conv_channels``. ``weights``
    lists every parameter as the implementation registers it.
    """

    kind: RecurrentKind
    state_heads: int
    state_rows: int
    state_cols: int
    conv_channels: int = 0
    conv_kernel: int = 0
    weights: tuple[Weight, ...] = ()

    @property
    def state_elements(self) -> int:
        """Elements of one sequence's state (the recurrent matrices and the convolution window)."""
        return self.state_heads * self.state_rows * self.state_cols + self.conv_channels * max(
            self.conv_kernel - 1, 0
        )

    def validate(self, where: str) -> None:
        _check_types(self, where)
        for field in ("state_heads", "state_rows", "state_cols", "conv_channels", "conv_kernel"):
            value = getattr(self, field)
            _need(
                where,
                field,
                isinstance(value, int) and 0 <= value <= MAX_DIM,
                f"must be a non-negative integer, got {value!r}",
            )
        _need(where, "state_size", self.kind == "short_conv" or self.state_heads * self.state_rows * self.state_cols > 0,
              f"a {self.kind} mixer needs a non-zero state (heads x rows x cols)")  # fmt: skip
        _need(where, "conv_kernel", (self.conv_channels == 0) == (self.conv_kernel == 0) or self.conv_kernel > 0,
              "a convolution needs both channels and a kernel size")  # fmt: skip
        for w in self.weights:
            w.validate(where)


FFN = Literal["dense", "moe"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Layer:
    """One decoder layer of a heterogeneous stack (hybrid, windowed or chunked models).

    ``attention`` softmax-attention mixers of the model's `ModelSpec.attention` shape (0 in a pure
    SSM or FFN-only layer, 2 in LongCat-Flash's); an optional ``recurrent`` mixer (beside the
    attention in Falcon-H1, alone in Mamba or linear-attention layers); ``ffns`` the FFNs in order
    (the model's `mlp` or `moe`; none in Nemotron-H's mixer-only layers); a sliding ``window`` or
    a ``chunk`` (Llama 4) capping what its attention sees; ``norms`` norm vectors of hidden size;
    ``weights`` any other parameter of the layer (e.g. xIELU's learned activation constants).
    """

    attention: int = 1
    recurrent: Recurrent | None = None
    ffns: tuple[FFN, ...] = ("dense",)
    window: int | None = None
    chunk: int | None = None
    norms: int = 2
    weights: tuple[Weight, ...] = ()

    def validate(self, where: str) -> None:
        _need(where, "layers", isinstance(self.attention, int) and 0 <= self.attention <= 4,
              f"attention mixers per layer must be 0-4, got {self.attention!r}")  # fmt: skip
        _need(where, "layers", isinstance(self.ffns, tuple) and all(f in ("dense", "moe") for f in self.ffns),
              f"ffns must be dense or moe, got {self.ffns!r}")  # fmt: skip
        _positive(where, "sliding_window", self.window, allow_none=True)
        _positive(where, "attention_chunk_size", self.chunk, allow_none=True)
        _need(
            where,
            "norms",
            isinstance(self.norms, int) and 0 <= self.norms <= 16,
            f"must be 0-16, got {self.norms!r}",
        )
        _need(where, "layers", bool(self.attention or self.recurrent is not None or self.ffns),
              "a layer with no mixer and no FFN does nothing")  # fmt: skip
        if self.recurrent is not None:
            self.recurrent.validate(where)
        for w in self.weights:
            w.validate(where)


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
    zero_experts: int = 0  # zero-computation (identity) experts the router may pick (LongCat-Flash)

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
    layers: tuple[Layer, ...] = ()  # per-layer structure of a heterogeneous stack (empty: uniform)
    mtp_layers: int = 0  # multi-token-prediction modules (counted apart, not in the total)
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
        if self.layers:
            return tuple(i for i, layer in enumerate(self.layers) if "moe" in layer.ffns)
        return tuple(i for i in range(self.num_layers) if self.moe.is_moe_layer(i))

    def layer_list(self) -> tuple[Layer, ...]:
        """Every decoder layer as a `Layer`: the explicit ``layers``, or the uniform stack the other
        fields describe (one attention, the MoE rule, the sliding-window layers)."""
        if self.layers:
            return self.layers
        windowed = set(self.sliding_window_layers)
        return tuple(
            Layer(attention=1, ffns=("moe",) if self.moe is not None and self.moe.is_moe_layer(i) else ("dense",),
                  window=self.sliding_window if i in windowed else None, norms=self.norms_per_layer)
            for i in range(self.num_layers)
        )  # fmt: skip

    @property
    def is_hybrid(self) -> bool:
        """Some layers keep a fixed-size recurrent state (linear attention, SSM, convolution)."""
        return any(layer.recurrent is not None for layer in self.layers)

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
            dense_needed = not self.layers and any(
                not self.moe.is_moe_layer(i) for i in range(self.num_layers)
            )
            if self.num_encoder_layers:
                dense_needed = dense_needed or any(
                    not self.moe.is_moe_layer(i) for i in range(self.num_encoder_layers)
                )
        else:
            dense_needed = not self.layers
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
        _need(where, "mtp_layers", isinstance(self.mtp_layers, int) and 0 <= self.mtp_layers <= 16,
              f"must be 0-16, got {self.mtp_layers!r}")  # fmt: skip
        if self.layers:
            _need(where, "layer_types", isinstance(self.layers, tuple) and len(self.layers) == self.num_layers,
                  f"{len(self.layers) if isinstance(self.layers, tuple) else '?'} layer descriptions for "
                  f"num_hidden_layers({self.num_layers})")  # fmt: skip
            _need(
                where, "layers", not self.is_encoder_decoder, "per-layer structure is for decoder-only models"
            )
            for layer in self.layers:
                _need(where, "layers", isinstance(layer, Layer), f"must be Layer, got {type(layer).__name__}")
                layer.validate(where)
            _need(where, "moe", self.moe is not None or not any("moe" in x.ffns for x in self.layers),
                  "a layer has a MoE FFN but the model has no MoE")  # fmt: skip
            _need(where, "intermediate_size", self.mlp is not None or not any("dense" in x.ffns for x in self.layers),
                  "a layer has a dense FFN but no dense intermediate size is given")  # fmt: skip
            caps = [
                int(x.window or x.chunk or 0) for x in self.layers if x.attention and (x.window or x.chunk)
            ]
            if self.max_context and caps:
                _need(where, "sliding_window", max(caps) <= self.max_context,
                      f"a window of {max(caps)} tokens is larger than max_position_embeddings({self.max_context})")  # fmt: skip
        return self
