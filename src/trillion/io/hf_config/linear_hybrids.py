"""Hybrids of linear attention and softmax attention: Qwen3-Next (gated DeltaNet + gated attention),
Kimi Linear (Kimi delta attention + MLA), MiniMax-01 (lightning attention + softmax attention), and
MiniMax-M2 (the MiniMax family's all-softmax successor), see BUILDERS.

Each builder reads the keys its transformers 5.x ``configuration_<type>.py`` reads, with the same
defaults and ``__post_init__`` derivations (layer-type lists from intervals, index lists or
alternation; legacy key spellings), and declares exactly the parameters ``modeling_<type>.py``
registers, so that ``count_params`` equals ``sum(p.numel())`` of the model transformers builds (the
test suite checks it on the meta device). Linear-attention mixers are `Recurrent` mixers with one
d_k x d_v state matrix per head: kind "gated_deltanet" (Qwen3-Next), "kda" (Kimi delta attention,
with a depthwise convolution over q, k and v) and "lightning" (MiniMax, no convolution)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trillion.io.hf_config.base import _Config
from trillion.spec.model import MLA, MLP, Attention, Layer, ModelSpec, MoE, Recurrent, Weight

# transformers' remap of legacy layer-type names (configuration_utils._LEGACY_LAYER_TYPE_REMAP)
_LEGACY_TYPES = {"mamba": "linear_attention", "attention": "full_attention"}


def _layer_types(
    c: _Config, layers: int, default: list[str], allowed: tuple[str, ...], key: str = "layer_types"
) -> list[str]:
    """``layer_types`` as given (legacy names remapped as PreTrainedConfig.__init__ does; checked:
    one known entry per layer) or the family's default."""
    value = c.data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or len(value) != layers:
        raise c.fail(key, f"must list one entry per layer ({layers}), got {value!r}"[:200])
    if key == "layer_types":
        value = [_LEGACY_TYPES.get(v, v) if isinstance(v, str) else v for v in value]
    bad = sorted({repr(v) for v in value if v not in allowed})
    if bad:
        raise c.fail(key, f"unknown layer type(s) {', '.join(bad[:3])[:120]} (known: {', '.join(allowed)})")
    return value


def gated_deltanet(hidden: int, k_heads: int, v_heads: int, k_dim: int, v_dim: int, kernel: int) -> Recurrent:
    """Qwen3-Next's gated DeltaNet (Qwen3NextGatedDeltaNet): fused qkvz and ba projections, a
    depthwise causal convolution over q, k and v, per-head dt bias and A_log, a gated RMSNorm over
    the value head, and the output projection. State: one d_k x d_v matrix per value head."""
    key_dim, value_dim = k_heads * k_dim, v_heads * v_dim
    conv = 2 * key_dim + value_dim
    return Recurrent(
        kind="gated_deltanet", state_heads=v_heads, state_rows=k_dim, state_cols=v_dim,
        conv_channels=conv, conv_kernel=kernel,
        weights=(
            Weight(path="in_proj_qkvz/weight", shape=(2 * key_dim + 2 * value_dim, hidden)),
            Weight(path="in_proj_ba/weight", shape=(2 * v_heads, hidden)),
            Weight(path="conv1d/weight", shape=(conv, 1, kernel), role="conv"),
            Weight(path="dt_bias", shape=(v_heads,), role="scalar"),
            Weight(path="A_log", shape=(v_heads,), role="scalar"),
            Weight(path="norm/weight", shape=(v_dim,), role="norm"),
            Weight(path="out_proj/weight", shape=(hidden, value_dim)),
        ),
    )  # fmt: skip


def _qwen3_next(c: _Config, name: str) -> ModelSpec:
    """Qwen3-Next (Qwen3NextConfig / Qwen3NextForCausalLM): per ``layer_types`` (default: gated attention
    every ``full_attention_interval``-th layer), gated DeltaNet or gated GQA attention (q_proj doubled
    for the output gate, per-head q/k RMSNorm); a MoE with one sigmoid-gated shared expert where
    ``(i + 1) % decoder_sparse_step == 0`` and ``i`` is not in ``mlp_only_layers``, else a dense MLP."""
    hidden = c.get_int("hidden_size", default=2048)
    layers = c.get_int("num_hidden_layers", default=48, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=16)
    kv = c.get_int("num_key_value_heads", default=2)
    if kv > heads or heads % kv:
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv})",
        )
    head_dim = c.get_int("head_dim", default=256)
    bias = c.get_bool("attention_bias", default=False)
    experts = c.get_int("num_experts", default=512, minimum=0)
    top_k = c.get_int("num_experts_per_tok", default=10)
    step = c.get_int("decoder_sparse_step", default=1)
    mlp_only = set(c.get_int_list("mlp_only_layers"))
    interval = c.get_int("full_attention_interval", default=4)
    default = ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(layers)]
    types = _layer_types(c, layers, default, ("linear_attention", "full_attention"))
    mixer = gated_deltanet(
        hidden,
        c.get_int("linear_num_key_heads", default=16),
        c.get_int("linear_num_value_heads", default=32),
        c.get_int("linear_key_head_dim", default=128),
        c.get_int("linear_value_head_dim", default=128),
        c.get_int("linear_conv_kernel_dim", default=4),
    )
    moe = None
    if experts:
        if top_k > experts:
            raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds num_experts({experts})")
        moe = MoE(num_experts=experts, top_k=top_k,
                  expert=MLP(intermediate_size=c.get_int("moe_intermediate_size", default=512), gated=True),
                  num_shared_experts=1, shared_intermediate_size=c.get_int("shared_expert_intermediate_size", default=512),
                  shared_gate=True)  # fmt: skip

    def ffn(i: int) -> tuple:
        return ("moe",) if moe is not None and i not in mlp_only and (i + 1) % step == 0 else ("dense",)

    stack = tuple(
        Layer(attention=1, ffns=ffn(i))
        if t == "full_attention"
        else Layer(attention=0, recurrent=mixer, ffns=ffn(i))
        for i, t in enumerate(types)
    )
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=151936), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias, v_bias=bias,
                            o_bias=bias, qk_norm="head", output_gate=True),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size", default=5632), gated=True), moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False), layers=stack,
        max_context=c.get_int("max_position_embeddings", default=32768),
    )  # fmt: skip


def kimi_delta_attention(hidden: int, heads: int, head_dim: int, kernel: int) -> Recurrent:
    """Kimi delta attention (KimiLinearDeltaAttention): q, k and v projections, a depthwise causal
    convolution over all three, the channel-wise forget gate (KimiLinearForgetGate: a low-rank
    f_a -> f_b projection, a dt bias per channel and one A_log per head), the beta projection, the
    low-rank output gate (g_a -> g_b), a gated RMSNorm over the head (o_norm) and the output
    projection. State: one d_k x d_v (head_dim x head_dim) matrix per head."""
    qkv = heads * head_dim
    return Recurrent(
        kind="kda", state_heads=heads, state_rows=head_dim, state_cols=head_dim,
        conv_channels=3 * qkv, conv_kernel=kernel,
        weights=(
            Weight(path="q_proj/weight", shape=(qkv, hidden)),
            Weight(path="k_proj/weight", shape=(qkv, hidden)),
            Weight(path="v_proj/weight", shape=(qkv, hidden)),
            Weight(path="conv1d/weight", shape=(3 * qkv, 1, kernel), role="conv"),
            Weight(path="forget_gate/f_a_proj/weight", shape=(head_dim, hidden)),
            Weight(path="forget_gate/f_b_proj/weight", shape=(qkv, head_dim)),
            Weight(path="forget_gate/dt_bias", shape=(qkv,), role="scalar"),
            Weight(path="forget_gate/A_log", shape=(1, 1, heads, 1), role="scalar"),
            Weight(path="b_proj/weight", shape=(heads, hidden)),
            Weight(path="g_a_proj/weight", shape=(head_dim, hidden)),
            Weight(path="g_b_proj/weight", shape=(qkv, head_dim)),
            Weight(path="o_norm/weight", shape=(head_dim,), role="norm"),
            Weight(path="o_proj/weight", shape=(hidden, qkv)),
        ),
    )  # fmt: skip


def lightning_attention(hidden: int, heads: int, head_dim: int) -> Recurrent:
    """MiniMax's lightning attention (MiniMaxLightningAttention): a fused q, k, v projection, an RMSNorm
    over all heads, a sigmoid output gate from the layer input and the output projection; the decay
    rates are buffers, not parameters. State: one head_dim x head_dim matrix per head, no convolution."""
    width = heads * head_dim
    return Recurrent(
        kind="lightning", state_heads=heads, state_rows=head_dim, state_cols=head_dim,
        weights=(
            Weight(path="qkv_proj/weight", shape=(3 * width, hidden)),
            Weight(path="output_gate/weight", shape=(width, hidden)),
            Weight(path="norm/weight", shape=(width,), role="norm"),
            Weight(path="out_proj/weight", shape=(hidden, width)),
        ),
    )  # fmt: skip


def _sub_config(c: _Config, key: str) -> dict[str, Any]:
    """A nested object of the config (absent: empty), e.g. Kimi Linear's ``linear_attn_config``."""
    value = c.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise c.fail(key, f"must be an object, got {value!r}"[:200])
    return value


def _kimi_layer_types(c: _Config, layers: int, lac: dict[str, Any]) -> list[str]:
    """KimiLinearConfig.__post_init__: ``layer_types`` if given, else the checkpoint's 1-indexed
    ``linear_attn_config.full_attn_layers`` / ``kda_layers`` (both present), else full attention at
    layers 4, 8, 12, ... (0-based, ``i and i % 4 == 0``)."""
    allowed = ("full_attention", "linear_attention")
    if c.data.get("layer_types") is not None or "full_attn_layers" not in lac or "kda_layers" not in lac:
        default = ["full_attention" if i and i % 4 == 0 else "linear_attention" for i in range(layers)]
        return _layer_types(c, layers, default, allowed)
    types: list[str | None] = [None] * layers
    for key, kind in (("full_attn_layers", "full_attention"), ("kda_layers", "linear_attention")):
        value = lac[key]
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise c.fail("linear_attn_config", f"{key} must be a list of layer numbers, got {value!r}"[:200])
        for v in value:
            if not 1 <= v <= layers:
                raise c.fail("linear_attn_config", f"{key} holds layer {v}, outside 1..num_hidden_layers({layers}) "
                             "(the checkpoint numbers layers from 1)")  # fmt: skip
            if types[v - 1] is not None:
                raise c.fail(
                    "linear_attn_config", f"layer {v} is listed twice in full_attn_layers/kda_layers"
                )
            types[v - 1] = kind
    missing = [i + 1 for i, t in enumerate(types) if t is None]
    if missing:
        raise c.fail(
            "linear_attn_config", f"layers {missing[:5]} are in neither full_attn_layers nor kda_layers"
        )
    return [t for t in types if t is not None]


def _kimi_linear(c: _Config, name: str) -> ModelSpec:
    """Kimi Linear (KimiLinearConfig / KimiLinearForCausalLM): per ``layer_types``, Kimi delta attention
    or MLA (no rotary embedding: the model is NoPE); per ``mlp_layer_types`` (default: dense below
    ``first_k_dense_replace``, 1), a dense SwiGLU MLP or a MoE of ``num_experts`` SwiGLU experts with a
    sigmoid router (its correction bias is a buffer) and ``num_shared_experts`` shared experts fused
    into one MLP. The linear-attention sizes come from ``linear_attn_config`` (head_dim, num_heads,
    short_conv_kernel_size) over the flat ``linear_*`` keys. The checkpoint's key spellings are the
    primary ones (num_experts, num_experts_per_token, num_shared_experts, model_max_length); the
    transformers names are read as aliases. ``tie_word_embeddings`` is read for its type only: the
    model never ties its head (``_tied_weights_keys = {}``)."""
    hidden = c.get_int("hidden_size", default=2304)
    layers = c.get_int("num_hidden_layers", default=27, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=32)
    lac = _sub_config(c, "linear_attn_config")
    # linear_attn_config (the checkpoint's) wins over the flat linear_* keys; errors name the nested key
    sub = _Config({f"linear_attn_config.{k}": v for k, v in lac.items()}, c.where)
    flat = {"num_heads": ("linear_num_heads", 32), "head_dim": ("linear_head_dim", 128),
            "short_conv_kernel_size": ("linear_conv_kernel_dim", 4)}  # fmt: skip
    linear_heads, linear_head_dim, kernel = (
        sub.get_int(f"linear_attn_config.{k}", default=c.get_int(key, default=d))
        for k, (key, d) in flat.items()
    )
    types = _kimi_layer_types(c, layers, lac)
    mlp_default: list[str] = []
    if c.data.get("mlp_layer_types") is None:
        first_dense = c.get_int("first_k_dense_replace", default=1, minimum=0)
        mlp_default = ["dense" if i < first_dense else "sparse" for i in range(layers)]
    mlp_types = _layer_types(c, layers, mlp_default, ("dense", "sparse"), key="mlp_layer_types")
    bias = c.get_bool("attention_bias", default=False)
    q_lora = None if c.data.get("q_lora_rank") is None else c.get_int("q_lora_rank")
    attention = MLA(
        num_heads=heads, q_lora_rank=q_lora, kv_lora_rank=c.get_int("kv_lora_rank", default=512),
        qk_nope_head_dim=c.get_int("qk_nope_head_dim", default=128),
        qk_rope_head_dim=c.get_int("qk_rope_head_dim", default=64),
        v_head_dim=c.get_int("v_head_dim", default=128), bias=bias,
    )  # fmt: skip
    gated, act = c.gated("hidden_act", "silu")
    moe = None
    if "sparse" in mlp_types:
        experts = c.get_int("num_experts", "num_local_experts", default=256)
        top_k = c.get_int("num_experts_per_token", "num_experts_per_tok", default=8)
        if top_k > experts:
            raise c.fail("num_experts_per_token", f"top_k({top_k}) exceeds num_experts({experts})")
        width = c.get_int("moe_intermediate_size", default=1024)
        shared = c.get_int("num_shared_experts", "n_shared_experts", default=1, minimum=0)
        moe = MoE(num_experts=experts, top_k=top_k,
                  expert=MLP(intermediate_size=width, gated=gated, activation=act),  # type: ignore[arg-type]
                  num_shared_experts=shared, shared_intermediate_size=width * shared if shared else None)  # fmt: skip
    mixer = kimi_delta_attention(hidden, linear_heads, linear_head_dim, kernel)
    stack = tuple(
        Layer(attention=1 if t == "full_attention" else 0, recurrent=None if t == "full_attention" else mixer,
              ffns=("moe",) if f == "sparse" else ("dense",))
        for t, f in zip(types, mlp_types, strict=True)
    )  # fmt: skip
    c.get_bool("tie_word_embeddings", default=False)
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=163840), hidden_size=hidden, num_layers=layers,
        attention=attention,
        mlp=MLP(intermediate_size=c.get_int("intermediate_size", default=9216), gated=gated, activation=act),  # type: ignore[arg-type]
        moe=moe, tied_embeddings=False, positions="none", layers=stack,
        max_context=c.get_int("model_max_length", "max_position_embeddings", default=1048576),
        mtp_layers=c.get_int("num_nextn_predict_layers", default=0, minimum=0, maximum=16),
    )  # fmt: skip


def _gqa(c: _Config, layers_default: int, heads_default: int, kv_default: int) -> tuple[int, int, int]:
    """(layers, heads, kv heads) with the kv heads dividing the heads."""
    layers = c.get_int("num_hidden_layers", default=layers_default, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=heads_default)
    kv = c.get_int("num_key_value_heads", default=kv_default)
    if kv > heads or heads % kv:
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv})",
        )
    return layers, heads, kv


def _mixtral_moe(c: _Config, experts_default: int, top_k_default: int, width_default: int) -> MoE:
    """Mixtral-style MoE of MiniMax and MiniMax-M2 (every layer): a bias-free router over
    ``num_local_experts`` (alias ``num_experts``) SwiGLU experts of ``intermediate_size``, no shared
    expert (MiniMax-M2's routing-correction bias is a buffer)."""
    experts = c.get_int("num_local_experts", "num_experts", default=experts_default)
    top_k = c.get_int("num_experts_per_tok", default=top_k_default)
    if top_k > experts:
        raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds num_local_experts({experts})")
    gated, act = c.gated("hidden_act", "silu")
    width = c.get_int("intermediate_size", default=width_default)
    expert = MLP(intermediate_size=width, gated=gated, activation=act)  # type: ignore[arg-type]
    return MoE(num_experts=experts, top_k=top_k, expert=expert)


def _minimax(c: _Config, name: str) -> ModelSpec:
    """MiniMax-01 (MiniMaxConfig / MiniMaxForCausalLM): per ``layer_types`` (default: full attention at
    even layers, lightning attention at odd ones), lightning attention or GQA softmax attention (no
    biases, a ``sliding_window`` when given), then a Mixtral-style MoE in every layer. The original
    checkpoints' ``attn_type_list`` (1 softmax, 0 lightning) is not read by transformers: it is accepted
    when it agrees with the layer types transformers derives and refused otherwise, naming
    ``layer_types`` as the key to give."""
    hidden = c.get_int("hidden_size", default=4096)
    layers, heads, kv = _gqa(c, 32, 32, 8)
    head_dim = c.head_dim(hidden, heads)
    default = ["full_attention" if (i + 1) % 2 else "linear_attention" for i in range(layers)]
    types = _layer_types(c, layers, default, ("full_attention", "linear_attention"))
    legacy = c.data.get("attn_type_list")
    if legacy is not None:
        if (
            not isinstance(legacy, list)
            or len(legacy) != layers
            or any(v not in (0, 1) or isinstance(v, bool) for v in legacy)
        ):
            raise c.fail(
                "attn_type_list",
                f"must list 0 (lightning) or 1 (softmax) per layer ({layers}), got {legacy!r}"[:200],
            )
        if [t == "full_attention" for t in types] != [v == 1 for v in legacy]:
            raise c.fail("attn_type_list", "disagrees with the layer types transformers builds (it reads only "
                         "layer_types, absent: softmax at even layers); give layer_types to match")  # fmt: skip
    window = c.get_int("sliding_window", default=None)
    mixer = lightning_attention(hidden, heads, head_dim)
    stack = tuple(
        Layer(attention=1, ffns=("moe",), window=window) if t == "full_attention"
        else Layer(attention=0, recurrent=mixer, ffns=("moe",))
        for t in types
    )  # fmt: skip
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=32000), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim), mlp=None,
        moe=_mixtral_moe(c, 8, 2, 14336), tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        layers=stack, max_context=c.get_int("max_position_embeddings", default=131072),
    )  # fmt: skip


def _minimax_m2(c: _Config, name: str) -> ModelSpec:
    """MiniMax-M2 (MiniMaxM2Config / MiniMaxM2ForCausalLM): GQA softmax attention in every layer (no
    biases; RMSNorms over all query heads and all key heads, ``head_dim`` 128 by default) and a
    Mixtral-style MoE of 256 experts with a sigmoid router. transformers builds no multi-token
    prediction modules; the checkpoint's ``use_mtp`` / ``num_mtp_modules`` are read into
    ``mtp_layers`` (counted apart). Its ``attn_type_list`` (all softmax) is not read by transformers."""
    hidden = c.get_int("hidden_size", default=3072)
    layers, heads, kv = _gqa(c, 62, 48, 8)
    mtp = (
        c.get_int("num_mtp_modules", default=0, minimum=0, maximum=16)
        if c.get_bool("use_mtp", default=False)
        else 0
    )
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=200064), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.get_int("head_dim", default=128),
                            qk_norm="full"),
        mlp=None, moe=_mixtral_moe(c, 256, 8, 1536),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=196608), mtp_layers=mtp,
    )  # fmt: skip


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "qwen3_next": _qwen3_next,
    "kimi_linear": _kimi_linear,
    "minimax": _minimax,
    "minimax_m2": _minimax_m2,
}
