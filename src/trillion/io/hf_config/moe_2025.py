"""Mixture-of-experts model types of 2024-2025: gpt-oss, Llama 4 (text and the multimodal wrapper),
OLMoE and ERNIE 4.5 MoE (see BUILDERS).

Each builder reads the keys its transformers 5.x configuration class reads, with the same defaults
(``configuration_<type>.py``, including ``__post_init__``), and describes exactly the parameters its
modeling code registers (``modeling_<type>.py``), so ``count_params`` equals transformers'
``sum(p.numel())`` on the meta device; tests/count/test_oracle_moe_2025.py checks that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trillion.errors import InputError
from trillion.io.hf_config.base import _Config
from trillion.spec.model import MAX_LAYERS, MLP, Attention, Layer, ModelSpec, MoE, Weight


class _Nested(_Config):
    """Reads from a nested table (``text_config``): errors name the key as ``text_config.<key>``."""

    def __init__(self, data: dict[str, Any], where: str, prefix: str):
        super().__init__(data, where)
        self.prefix = prefix

    def fail(self, key: str | None, message: str) -> InputError:
        return InputError(self.where, f"{self.prefix}.{key}" if key else self.prefix, message)


def _not_null(c: _Config, *keys: str) -> None:
    """Keys the configuration types as plain ``int``: transformers' strict dataclass refuses a null."""
    for key in keys:
        if key in c.data and c.data[key] is None:
            raise c.fail(key, "must be an integer, got null (transformers refuses it)")


def _kv_heads(c: _Config, heads: int, default: int) -> int:
    """``num_key_value_heads`` (absent: the family default; null: all heads, where the configuration
    allows it); it must divide the query heads."""
    if "num_key_value_heads" in c.data and c.data["num_key_value_heads"] is None:
        return heads
    kv = c.get_int("num_key_value_heads", default=default)
    if kv > heads or heads % kv:
        absent = "" if "num_key_value_heads" in c.data else " (absent: transformers' default)"
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv}){absent}",
        )
    return kv


def _experts(c: _Config, experts_keys: tuple[str, ...], experts_default: int,
             top_k_keys: tuple[str, ...], top_k_default: int) -> tuple[int, int]:  # fmt: skip
    """(routed experts, experts per token), under either name a config's ``attribute_map`` allows."""
    experts = c.get_int(*experts_keys, default=experts_default)
    top_k = c.get_int(*top_k_keys, default=top_k_default)
    if top_k > experts:
        raise c.fail(
            top_k_keys[0], f"top-k({top_k}) exceeds the number of experts {experts_keys[0]}({experts})"
        )
    return experts, top_k


def _layer_types(c: _Config, layers: int, default: list[str], allowed: tuple[str, ...]) -> list[str]:
    """``layer_types`` as given (one known entry per layer, as transformers' ``validate_layer_type``
    demands) or the family's derived default."""
    value = c.data.get("layer_types")
    if value is None:
        return default
    if not isinstance(value, list) or len(value) != layers:
        raise c.fail("layer_types", f"must list one entry per layer ({layers}), got {value!r}"[:200])
    bad = sorted({repr(v) for v in value if v not in allowed})
    if bad:
        raise c.fail(
            "layer_types", f"unknown layer type(s) {', '.join(bad[:3])} (known: {', '.join(allowed)})"
        )
    return value


def _gpt_oss(c: _Config, name: str) -> ModelSpec:
    """gpt-oss (GptOssConfig / GptOssForCausalLM): every layer is attention with one learned sink logit
    per head (``GptOssAttention.sinks``), biased q/k/v/o projections (``attention_bias``, default
    true), sliding (``sliding_window``, default 128) or full per ``layer_types`` (default: even layers
    sliding), then a MoE (``GptOssMLP``): a biased router (``GptOssTopKRouter``: weight (E, H), bias
    (E,)) and experts with biases (``GptOssExperts``: gate_up_proj (E, H, 2I) + bias (E, 2I),
    down_proj (E, I, H) + bias (E, H)). No dense FFN and no shared expert. The released checkpoints
    store the expert matrices in MXFP4 (blocks + scales); that changes bytes, not counts."""
    hidden = c.get_int("hidden_size", default=2880)
    layers = c.get_int("num_hidden_layers", default=36, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=64)
    _not_null(c, "num_key_value_heads", "head_dim")
    kv = _kv_heads(c, heads, 8)
    head_dim = c.get_int("head_dim", default=64)
    bias = c.get_bool("attention_bias", default=True)
    experts, top_k = _experts(c, ("num_local_experts", "num_experts"), 128, ("num_experts_per_tok",), 4)
    window = None if "sliding_window" in c.data and c.data["sliding_window"] is None else (
        c.get_int("sliding_window", default=128))  # fmt: skip
    default = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(layers)]
    types = _layer_types(c, layers, default, ("sliding_attention", "full_attention"))
    stack = tuple(
        Layer(attention=1, ffns=("moe",), window=window if t == "sliding_attention" else None) for t in types
    )
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=201088), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias,
                            v_bias=bias, o_bias=bias, sinks=True),
        mlp=None,
        moe=MoE(num_experts=experts, top_k=top_k, router_bias=True,
                expert=MLP(intermediate_size=c.get_int("intermediate_size", default=2880), gated=True,
                           bias=True)),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False), layers=stack,
        max_context=c.get_int("max_position_embeddings", default=131072),
    )  # fmt: skip


def _llama4_text(c: _Config, name: str) -> ModelSpec:
    """Llama 4's language model (Llama4TextConfig / Llama4ForCausalLM). ``no_rope_layers`` (default:
    every ``no_rope_layer_interval``-th layer, 4, is NoPE) marks the RoPE layers; ``layer_types``
    (default: ``chunked_attention`` on RoPE layers when ``attention_chunk_size`` is set, 8192, else
    ``full_attention``) caps the RoPE layers' attention to their chunk, while the NoPE layers attend
    to everything. Layers in ``moe_layers`` (default: every ``interleave_moe_layer_step``-th from
    step - 1) have a MoE (``Llama4TextMoe``): a bias-free router (E, H), gated experts of
    ``intermediate_size`` and one shared expert of the same width; the others a dense SwiGLU of
    ``intermediate_size_mlp``. The QK norm (``use_qk_norm``) is an L2 norm with no parameters.
    Attention projections carry ``attention_bias``."""
    hidden = c.get_int("hidden_size", default=5120)
    layers = c.get_int("num_hidden_layers", default=48, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=40)
    _not_null(c, "num_key_value_heads", "head_dim")
    kv = _kv_heads(c, heads, 8)
    head_dim = c.get_int("head_dim", default=128)
    bias = c.get_bool("attention_bias", default=False)
    experts, top_k = _experts(c, ("num_local_experts",), 16, ("num_experts_per_tok",), 1)
    gated, act = c.gated("hidden_act", "silu")
    step = c.get_int("interleave_moe_layer_step", default=1)
    moe_layers = c.data.get("moe_layers")
    if moe_layers is None:
        moe_set = set(range(step - 1, layers, step))
    else:
        listed = c.get_int_list("moe_layers")
        outside = [i for i in listed if not 0 <= i < layers]
        if outside:
            raise c.fail(
                "moe_layers", f"layer indices {outside[:5]} outside [0, num_hidden_layers({layers}))"
            )
        moe_set = set(listed)
    interval = c.get_int("no_rope_layer_interval", default=4)
    rope = c.get_int_list("no_rope_layers") or tuple(int((i + 1) % interval != 0) for i in range(layers))
    if len(rope) < layers:
        raise c.fail("no_rope_layers", f"has {len(rope)} entries for num_hidden_layers({layers})")
    chunk = None if "attention_chunk_size" in c.data and c.data["attention_chunk_size"] is None else (
        c.get_int("attention_chunk_size", default=8192))  # fmt: skip
    default = [
        "chunked_attention" if rope[i] and chunk is not None else "full_attention" for i in range(layers)
    ]
    types = _layer_types(c, layers, default, ("chunked_attention", "full_attention"))
    if chunk is None and "chunked_attention" in types:
        raise c.fail("attention_chunk_size", "chunked_attention layers need a chunk size, got null")
    stack = tuple(
        Layer(attention=1, ffns=("moe",) if i in moe_set else ("dense",),
              chunk=chunk if t == "chunked_attention" else None)
        for i, t in enumerate(types)
    )  # fmt: skip
    expert_width = c.get_int("intermediate_size", default=8192)
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=202048), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias,
                            v_bias=bias, o_bias=bias),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size_mlp", default=16384), gated=gated,
                activation=act),  # type: ignore[arg-type]
        moe=MoE(num_experts=experts, top_k=top_k,
                expert=MLP(intermediate_size=expert_width, gated=gated,
                           activation=act),  # type: ignore[arg-type]
                num_shared_experts=1, shared_intermediate_size=expert_width),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False), layers=stack,
        max_context=c.get_int("max_position_embeddings", default=131072),
    )  # fmt: skip


def _llama4(c: _Config, name: str) -> ModelSpec:
    """Llama 4's multimodal config (Llama4Config): AutoModelForCausalLM builds Llama4ForCausalLM from its
    ``text_config`` (Llama4TextConfig defaults when absent), so this counts the language model only,
    without the vision encoder and projector; the tying is the text config's own."""
    text = c.data.get("text_config")
    if text is None:
        text = {}
    if not isinstance(text, dict):
        raise c.fail("text_config", f"must be a table, got {type(text).__name__}")
    return _llama4_text(_Nested(text, c.where, "text_config"), name)


def _olmoe(c: _Config, name: str) -> ModelSpec:
    """OLMoE (OlmoeConfig / OlmoeForCausalLM): attention with an RMSNorm over all query heads
    (``q_norm`` of hidden_size) and one over all key heads (``k_norm`` of head_dim x kv heads), then
    in every layer a MoE (``OlmoeSparseMoeBlock``): a bias-free router (E, H) and gated experts of
    ``intermediate_size`` (``OlmoeExperts.gate_up_proj`` (E, 2I, H), ``down_proj`` (E, H, I)); no
    shared expert. The norms are sized from hidden_size / heads, so a ``head_dim`` other than that is
    refused (transformers would build norms that do not fit the projections)."""
    hidden = c.get_int("hidden_size", default=2048)
    layers = c.get_int("num_hidden_layers", default=16, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=16)
    kv = _kv_heads(c, heads, heads)
    head_dim = c.head_dim(hidden, heads)
    if head_dim * heads != hidden:
        raise c.fail(
            "head_dim",
            f"OLMoE's q_norm spans hidden_size({hidden}): head_dim must be "
            f"hidden_size / num_attention_heads = {hidden // heads}, got {head_dim}",
        )
    bias = c.get_bool("attention_bias", default=False)
    experts, top_k = _experts(c, ("num_experts", "num_local_experts"), 64, ("num_experts_per_tok",), 8)
    gated, act = c.gated("hidden_act", "silu")
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=50304), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias,
                            v_bias=bias, o_bias=bias, qk_norm="full"),
        mlp=None,
        moe=MoE(num_experts=experts, top_k=top_k,
                expert=MLP(intermediate_size=c.get_int("intermediate_size", default=2048), gated=gated,
                           activation=act)),  # type: ignore[arg-type]
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=4096),
    )  # fmt: skip


def _ernie4_5_moe(c: _Config, name: str) -> ModelSpec:
    """ERNIE 4.5 MoE (Ernie4_5_MoeConfig / Ernie4_5_MoeForCausalLM). Layer i is MoE when
    ``(i + 1) % moe_layer_interval == 0`` and ``moe_layer_start_index <= i <= moe_layer_end_index``
    (-1: the last layer), else a dense SwiGLU of ``intermediate_size``. A MoE layer
    (``Ernie4_5_MoeSparseMoeBlock``) holds a bias-free router (E, H), gated experts of
    ``moe_intermediate_size`` without biases, ``moe_num_shared_experts`` shared experts fused into one
    SwiGLU of ``moe_intermediate_size * moe_num_shared_experts``, and ``moe_statics.
    e_score_correction_bias`` (1, E): transformers registers it as an ``nn.Parameter`` (with
    requires_grad false) and the checkpoints store it, so it is counted here, unlike DeepSeek-V3's
    buffer. ``use_bias`` puts biases on every attention projection, the dense MLP, the shared experts
    and the output head (``lm_head.bias`` (V,), kept even when the head's weight is tied); the spec has
    no field for the last two, so they are declared weights (the head's bias on layer 0).
    ``num_nextn_predict_layers`` (MTP, which transformers does not build) is counted apart."""
    hidden = c.get_int("hidden_size", default=2560)
    layers = c.get_int("num_hidden_layers", default=28, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=20)
    _not_null(c, "num_key_value_heads")  # typed int | None, but a null fails in the attention
    kv = _kv_heads(c, heads, 4)
    head_dim = c.get_int("head_dim", default=None) or hidden // heads  # getattr(config, "head_dim", h // n)
    if not head_dim:
        raise c.fail("num_attention_heads", f"hidden_size({hidden}) // num_attention_heads({heads}) is 0")
    bias = c.get_bool("use_bias", default=False)
    vocab = c.get_int("vocab_size", default=103424)
    experts, top_k = _experts(c, ("moe_num_experts", "num_experts"), 64, ("moe_k", "num_experts_per_tok"), 6)
    moe_width = c.get_int("moe_intermediate_size", default=1536)
    shared = c.get_int("moe_num_shared_experts", default=2, minimum=0)
    start = c.get_int("moe_layer_start_index", default=1, minimum=-MAX_LAYERS, maximum=MAX_LAYERS)
    end = c.get_int("moe_layer_end_index", default=-1, minimum=-MAX_LAYERS, maximum=MAX_LAYERS)
    end = layers - 1 if end == -1 else end
    interval = c.get_int("moe_layer_interval", default=1)
    gated, act = c.gated("hidden_act", "silu")
    moe_extra: tuple[Weight, ...] = (
        Weight(path="gate/e_score_correction_bias", shape=(1, experts), role="bias"),
    )
    if bias and shared:  # the shared experts are an Ernie4_5_MoeMLP with use_bias; the routed ones have none
        width = moe_width * shared
        moe_extra += tuple(
            Weight(path=f"shared/{proj}/bias", shape=(n,), role="bias")
            for proj, n in (("gate_proj", width), ("up_proj", width), ("down_proj", hidden))
        )
    head_bias = (Weight(path="lm_head/bias", shape=(vocab,), role="bias"),) if bias else ()

    def layer(i: int) -> Layer:
        is_moe = (i + 1) % interval == 0 and start <= i <= end
        return Layer(attention=1, ffns=("moe",) if is_moe else ("dense",),
                     weights=(moe_extra if is_moe else ()) + (head_bias if i == 0 else ()))  # fmt: skip

    return ModelSpec(
        name=name, vocab_size=vocab, hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias,
                            v_bias=bias, o_bias=bias),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size", default=12288), gated=gated,
                activation=act, bias=bias),  # type: ignore[arg-type]
        moe=MoE(num_experts=experts, top_k=top_k,
                expert=MLP(intermediate_size=moe_width, gated=gated,
                           activation=act),  # type: ignore[arg-type]
                num_shared_experts=shared, shared_intermediate_size=moe_width * shared if shared else None),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=True),
        layers=tuple(layer(i) for i in range(layers)),
        max_context=c.get_int("max_position_embeddings", default=131072),
        mtp_layers=c.get_int("num_nextn_predict_layers", default=0, minimum=0, maximum=16),
    )  # fmt: skip


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "gpt_oss": _gpt_oss,
    "llama4_text": _llama4_text,
    "llama4": _llama4,
    "olmoe": _olmoe,
    "ernie4_5_moe": _ernie4_5_moe,
}
